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


# --------------------------------------------------------------------------- the meeting list


def _several_departments_escalated(db, world, day: date, title: str):
    """A case the lead department shares with a co-handler and sent up to the office:
    Shantou 四(一)2 "企业诉求涉及多个部门，无法由牵头部门协调解决"."""
    office, handler = world.users["office"], world.users["handler"]
    case = factories.case(
        db.session, world.city, enterprise=world.enterprise, at=at(day), title=title
    )
    workflow.accept(db.session, CAL, case, by=office, at=at(day))
    workflow.dispatch(
        db.session,
        CAL,
        case,
        by=office,
        at=at(day),
        lead=world.department,
        co=[world.other_department],
    )
    workflow.sign(db.session, case, by=handler, at=at(day))
    workflow.escalate(db.session, case, by=handler, at=at(day, 10), reason="需市级统筹")
    return case


def _listed(db, world, today: date) -> dict:
    from portal.domain import lists

    total, found = lists.meeting_candidates(db.session, world.city.id, today)
    assert total == len(found)
    return {c.case.number: c for c in found}


def test_the_meeting_list_keeps_typical_suggestions_and_takes_the_offices_hand(db, world):
    """Shantou 四 "由市工作专班会同市委、市政府督查室研究提出上会诉求清单": the office puts a
    case on by hand under a rule of 四(一) — 3 "企业意见建议涉及我市营商环境建设、具有典型
    代表意义，需上会进行研究部署的", which keeps a typical suggestion on although 四(二)1 "一般
    性的意见建议类" leaves general ones off — and takes one off under 四(二), 4 "诉求人主动
    提出不予上会的"; each time with its reason, as an event the record keeps."""
    import pytest

    from portal.domain import lists
    from portal.domain.errors import RuleViolation
    from portal.domain.models import CaseEvent, CaseType

    office, day = world.users["office"], date(2026, 11, 2)
    suggestion = factories.case(
        db.session,
        world.city,
        enterprise=world.enterprise,
        at=at(day),
        title="建议统一涉企检查",
        case_type=CaseType.SUGGESTION,
    )
    workflow.accept(db.session, CAL, suggestion, by=office, at=at(day))
    shared = _several_departments_escalated(db, world, day, "园区道路")
    db.session.commit()
    assert set(_listed(db, world, date(2026, 11, 20))) == {shared.number}

    with pytest.raises(RuleViolation) as refused:
        workflow.put_on_meeting_list(
            db.session, suggestion, by=office, at=at(day, 11), rule="9", reason="典型"
        )
    assert refused.value.field == "rule"
    with pytest.raises(RuleViolation) as refused:
        workflow.put_on_meeting_list(
            db.session, suggestion, by=office, at=at(day, 11), rule="3", reason=" "
        )
    assert refused.value.field == "reason"
    workflow.put_on_meeting_list(
        db.session, suggestion, by=office, at=at(day, 11), rule="3", reason="全市共性问题"
    )
    workflow.take_off_meeting_list(
        db.session, shared, by=office, at=at(day, 11), exclusion="4", reason="企业来电不愿上会"
    )
    db.session.commit()
    listed = _listed(db, world, date(2026, 11, 20))
    assert set(listed) == {suggestion.number}
    assert listed[suggestion.number].rules == [3]
    assert listed[suggestion.number].by_hand.note == "全市共性问题"
    [(off, why)] = lists.taken_off_meeting_list(db.session, world.city.id)
    assert off is shared and why.data == {"exclusion": 4} and why.actor_id == office.id
    assert not workflow.is_allowed(shared, office, "meeting_remove")  # already off
    assert not workflow.is_allowed(shared, world.users["leader"], "meeting_add")

    workflow.put_on_meeting_list(
        db.session, shared, by=office, at=at(day, 15), rule="2", reason="企业改变主意"
    )
    db.session.commit()
    listed = _listed(db, world, date(2026, 11, 20))
    assert set(listed) == {suggestion.number, shared.number} and listed[shared.number].rules == [2]
    assert lists.taken_off_meeting_list(db.session, world.city.id) == []
    kept = db.session.scalars(
        sa.select(CaseEvent.action).where(
            CaseEvent.case_id == shared.id, CaseEvent.action.like("meeting_%")
        )
    ).all()
    assert kept == ["meeting_remove", "meeting_add"]  # every decision stays in the record


def test_a_satisfied_case_leaves_the_meeting_list_only_after_the_callback(db, world):
    """Shantou 四(二)2 "经承办单位已办结诉求，并经市工作专班回访确认诉求人满意的" are not put
    to the meeting: the enterprise's own rating is not the callback, so a finished case that
    meets a rule stays on the list, flagged for a callback, until the office's callback
    confirms it satisfied; a callback that does not reach the enterprise confirms nothing."""
    from portal.domain.models import CaseState, RatingLevel

    office, handler = world.users["office"], world.users["handler"]
    day = date(2026, 11, 2)
    case = _several_departments_escalated(db, world, day, "园区供电")
    workflow.dispatch(
        db.session,
        CAL,
        case,
        by=office,
        at=at(day, 11),
        lead=world.department,
        co=[world.other_department],
    )
    workflow.sign(db.session, case, by=handler, at=at(day, 11))
    workflow.reply(db.session, CAL, case, by=handler, text="已协调供电局", at=at(day, 14))
    workflow.approve_reply(db.session, CAL, case, by=office, at=at(day, 15))
    workflow.rate(
        db.session,
        CAL,
        case,
        by=world.users["enterprise"],
        level=RatingLevel.SATISFIED,
        solved=True,
        comment="",
        at=at(date(2026, 11, 3)),
    )
    db.session.commit()
    assert case.state is CaseState.RATED
    listed = _listed(db, world, date(2026, 11, 20))
    assert listed[case.number].rules == [2] and listed[case.number].callback_first

    def call(outcome, hour):
        workflow.callback(
            db.session,
            CAL,
            case,
            by=office,
            at=at(date(2026, 11, 4), hour),
            method="phone",
            outcome=outcome,
            level=RatingLevel.SATISFIED if outcome == "reached" else None,
            solved=True if outcome == "reached" else None,
            note="",
        )
        db.session.commit()

    call("unreachable", 9)
    assert _listed(db, world, date(2026, 11, 20))[case.number].callback_first
    call("reached", 10)
    assert case.number not in _listed(db, world, date(2026, 11, 20))


def test_the_office_decides_the_meeting_list_on_the_case_page(client, db, world, login_as):
    """Shantou 四: the office (市工作专班) decides the list; the page shows the rules, each
    candidate's reason, and the way to take it off; a reason left out is said beside its
    field, and the decision is audited. A leader reads the list but decides nothing."""
    from bs4 import BeautifulSoup

    from portal.domain.models import AuditLog

    case = _several_departments_escalated(db, world, date(2026, 11, 2), "园区道路")
    db.session.commit()
    login_as("office")
    page = client.get("/figures/meeting")
    assert page.status_code == 200
    assert f"/office/cases/{case.number}#step-meeting_remove" in page.text
    missing = client.get("/figures/meeting?number=NOPE-1")
    assert missing.status_code == 422
    assert BeautifulSoup(missing.text, "html.parser").find(id="number-error") is not None
    found = client.get(f"/figures/meeting?number={case.number.lower()}")
    assert found.status_code == 303
    assert found.headers["Location"].endswith(f"/office/cases/{case.number}#step-meeting_add")

    case_page = client.get(f"/office/cases/{case.number}").text
    soup = BeautifulSoup(case_page, "html.parser")
    step = soup.find(id="step-meeting_remove")
    assert step is not None
    version = step.find("input", attrs={"name": "meeting_remove-version"})["value"]
    url = f"/office/cases/{case.number}/meeting-remove"
    form = {
        "csrf_token": csrf_from(case_page),
        "meeting_remove-version": version,
        "meeting_remove-exclusion": "5",
        "meeting_remove-reason": "",
    }
    refused = client.post(url, data=form)
    assert refused.status_code in (409, 422)
    soup = BeautifulSoup(refused.text, "html.parser")
    assert soup.find(id="meeting_remove-reason-error") is not None
    form["meeting_remove-reason"] = "已列入区级协调"
    assert client.post(url, data=form).status_code == 303
    audited = db.session.scalars(
        sa.select(AuditLog.detail).where(AuditLog.object_id == case.number)
    ).all()
    assert any(d.startswith("meeting_remove") for d in audited)
    page = client.get("/figures/meeting").text
    assert "已列入区级协调" in page and "#step-meeting_add" in page

    _logout(client)
    login_as("leader")
    page = client.get("/figures/meeting").text
    assert "#step-meeting" not in page and 'name="number"' not in page
