"""Seed rules about the channels a whistle comes and goes by (issue 16 item 5), each test
quoting its clause: the enterprise is told when its case goes up (Chaozhou 四(四)1 / 四(三)2),
a department registers a whistle it received directly (Chaozhou 四(二)), and the city
meeting's list (Shantou 四)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import sqlalchemy as sa
from bs4 import BeautifulSoup

from portal.domain import workflow
from portal.domain.calendar import WorkCalendar
from portal.domain.models import NoticeChannel, Notification
from tests import factories

CAL = WorkCalendar()


def at(day: date, hour: int = 9) -> datetime:
    """A Beijing wall-clock time as UTC."""
    return datetime(day.year, day.month, day.day, hour - 8, tzinfo=UTC)


def _notices(db, case, template: str) -> list[Notification]:
    return list(
        db.session.scalars(
            sa.select(Notification).where(
                Notification.case_id == case.id, Notification.template == template
            )
        )
    )


# --------------------------------------------------------------------------- going up


def test_the_enterprise_is_told_when_its_case_goes_up(client, db, world, login_as):
    """Chaozhou 四(三)2 "对难以协调解决的重大事项，由受理部门提交本级领导小组办公室协调解决，
    确实无法协调解决的，由本级领导小组办公室报本级领导小组协调解决" and 四(四)1 "……并由受理部门
    将提交情况告知企业": each step up (to the office, to the leading group) is on the
    enterprise's timeline, without the staff's internal reason, and a notice reaches its
    users in the portal and its contact number by SMS."""
    day = date(2026, 11, 23)
    office, handler = world.users["office"], world.users["handler"]
    case = factories.case(db.session, world.city, enterprise=world.enterprise, at=at(day))
    workflow.accept(db.session, CAL, case, by=office, at=at(day))
    workflow.dispatch(db.session, CAL, case, by=office, at=at(day), lead=world.department)
    workflow.sign(db.session, case, by=handler, at=at(day))
    db.session.commit()
    assert not _notices(db, case, "escalated")

    workflow.escalate(db.session, case, by=handler, at=at(day, 10), reason="内部：涉及三个部门")
    db.session.commit()
    told = _notices(db, case, "escalated")
    assert {(n.channel, n.user_id) for n in told} == {
        (NoticeChannel.IN_APP, world.users["enterprise"].id),
        (NoticeChannel.SMS, None),
    }
    assert next(n for n in told if n.channel == NoticeChannel.SMS).address == "13900000000"

    workflow.refer_to_leaders(db.session, case, by=office, at=at(day, 11), reason="请领导小组研究")
    db.session.commit()
    assert len(_notices(db, case, "escalated_leaders")) == 2

    login_as("enterprise")
    page = client.get(f"/cases/{case.number}").text
    timeline = BeautifulSoup(page, "html.parser").select_one("ol.timeline").get_text()
    assert "已提请办公室协调" in timeline and "已提请领导小组研究" in timeline
    assert "内部：涉及三个部门" not in page  # the unit's reason stays with the staff
    inbox = client.get("/notifications/").text
    assert case.number in inbox and inbox.count(case.title) >= 2
