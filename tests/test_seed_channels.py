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
from tests.conftest import csrf_from

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


def _logout(client) -> None:
    client.post("/auth/logout", data={"csrf_token": csrf_from(client.get("/").text)})


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


# --------------------------------------------------------------------------- a department's own

# A whistle as the caller gives it (Chaozhou 附件2: 企业名称、联系人、有效联系方式、诉求).
WHISTLE = dict(
    applicant_name="测试陶瓷有限公司",
    contact_name="李经理",
    contact_phone="13911112222",
    title="社保补贴",
    content="想咨询稳岗补贴怎么申领。",
)


def test_a_department_registers_a_whistle_it_received_and_handles_it(db, world):
    """Chaozhou 四(二) "企业根据自身诉求问题，可直接向对应的部门反映" and 四(四)1 "各级各部门对
    企业吹哨事项进行受理登记": the department is the receiving and the lead unit, the channel
    is recorded, and the case is in hand at once under the profile's limits — 四(四)2 "在直接
    受理……后5个工作日内办结"; 四(四)1 "非现场或电话接收的、有企业联系方式的，应在1个工作日内
    与企业取得对接联系" (a phone call is itself the contact; an e-mail is not)."""
    from portal.domain.models import CaseState, CaseType, Channel

    handler = world.users["handler"]
    monday = date(2026, 12, 14)  # 5 working days: the 21st; 1 working day: the 15th

    def direct(channel):
        return workflow.register_direct(
            db.session,
            CAL,
            by=handler,
            at=at(monday),
            channel=channel,
            case_type=CaseType.CONSULTATION,
            enterprise=world.enterprise,
            **WHISTLE,
        )

    by_phone, by_mail = direct(Channel.PHONE), direct(Channel.EMAIL)
    db.session.commit()
    for case in (by_phone, by_mail):
        assert case.state is CaseState.IN_HAND and case.jurisdiction is world.city
        assert case.receiving_unit is world.department and case.lead_unit is world.department
        assert case.received_by is handler and case.office is world.office
        assert case.finish_due == date(2026, 12, 21) and case.sign_due is None
        assert case.policy_revision is not None  # held to the limits of the day
        assert [e.action for e in case.events] == ["register", "accept"]
    assert by_phone.channel is Channel.PHONE and by_phone.contacted_at == at(monday)
    assert by_mail.channel is Channel.EMAIL and by_mail.contacted_at is None
    assert by_mail.current_due == date(2026, 12, 15)  # the contact is owed first
    assert workflow.available_steps(by_mail, handler)[:2] == ["contact", "progress"]
    assert "reply" in workflow.available_steps(by_mail, handler)
    assert "sign" not in workflow.available_steps(by_mail, handler)


def test_only_a_departments_staff_register_for_their_unit(db, world):
    """Chaozhou 四(二) "可直接向对应的部门反映": the direct channel is a department's; the
    office registers on its own form, and the web channel is the enterprise's."""
    import pytest

    from portal.domain.errors import RuleViolation
    from portal.domain.models import CaseType, Channel

    fields = dict(WHISTLE, case_type=CaseType.BUSINESS, at=at(date(2026, 12, 1)))
    with pytest.raises(RuleViolation):
        workflow.register_direct(
            db.session, CAL, by=world.users["office"], channel=Channel.PHONE, **fields
        )
    with pytest.raises(RuleViolation) as refused:
        workflow.register_direct(
            db.session, CAL, by=world.users["handler"], channel=Channel.PORTAL, **fields
        )
    assert refused.value.field == "channel"


def test_the_workbench_registers_a_direct_whistle_and_keeps_it_to_the_unit(
    client, db, world, login_as
):
    """Chaozhou 四(二) and 附件2 受理登记表 (受理单位、受理人): the department's page takes the
    office's form, the case opens on the unit's workbench, a bad field is said beside it
    with what was typed kept, and another department's staff get 404 for the case."""
    from bs4 import BeautifulSoup

    from portal.domain.models import Case, Channel, Role

    world.users["other"] = factories.user(
        db.session, Role.HANDLER, unit=world.other_department, username="other_handler"
    )
    db.session.commit()
    login_as("handler")
    queue = client.get("/workbench/").text
    assert 'href="/workbench/register"' in queue
    page = client.get("/workbench/register")
    assert page.status_code == 200 and 'action="/workbench/register"' in page.text
    form = {
        "csrf_token": csrf_from(page.text),
        "channel": "visit",
        "applicant_name": "测试陶瓷有限公司",
        "credit_code": world.enterprise.credit_code,
        "contact_name": "李经理",
        "contact_phone": "139",
        "case_type": "complaint",
        "category": "",
        "title": "窗口办事慢",
        "content": "窗口排队两小时。",
    }
    refused = client.post("/workbench/register", data=form)
    assert refused.status_code == 422
    soup = BeautifulSoup(refused.text, "html.parser")
    error = soup.find(id="contact_phone-error")
    assert error is not None and error.find_next("input")["id"] == "contact_phone"
    assert soup.find(id="title")["value"] == "窗口办事慢"
    assert db.session.scalar(sa.select(sa.func.count(Case.id))) == 0

    form["contact_phone"] = "13911112222"
    done = client.post("/workbench/register", data=form)
    assert done.status_code == 303
    case = db.session.scalar(sa.select(Case))
    assert done.headers["Location"].endswith(f"/workbench/cases/{case.number}")
    assert case.channel is Channel.VISIT and case.enterprise is world.enterprise
    assert case.lead_unit is world.department and case.received_by is world.users["handler"]
    assert client.get(f"/workbench/cases/{case.number}").status_code == 200

    _logout(client)
    login_as("other")
    assert client.get(f"/workbench/cases/{case.number}").status_code == 404
    _logout(client)
    login_as("enterprise")
    assert client.get(f"/cases/{case.number}").status_code == 200  # its own, by the visit
