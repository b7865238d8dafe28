"""The case's life (DOMAIN.md "Life of a case"): who may take which step from which state,
and what each step does to the clocks, through the domain layer only."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from portal.domain import queues, workflow
from portal.domain.calendar import WorkCalendar
from portal.domain.errors import RuleViolation
from portal.domain.models import (
    NO_DUE,
    Case,
    CaseEvent,
    CaseState,
    CaseType,
    ExtensionRequest,
    RatingLevel,
    Role,
    Supervision,
)
from tests import factories

S = CaseState
CAL = WorkCalendar()
OFFICE, HANDLER, HEAD, LEADER = Role.OFFICE, Role.HANDLER, Role.HEAD, Role.LEADER
INSPECTOR, ENTERPRISE = Role.INSPECTOR, Role.ENTERPRISE
UNIT = {HANDLER, HEAD}
HANDLING = {S.IN_HAND, S.LONG_TERM}
WITH_UNIT = {S.DISPATCHED, S.IN_HAND, S.LONG_TERM, S.ESCALATED}
MEETING = set(S) - {S.SUBMITTED, S.REFUSED, S.MERGED, S.CLOSED, S.ARCHIVED}

# The rules as the seeds and DOMAIN.md state them, written out independently of
# workflow.STEPS: (roles allowed, states allowed). Every other (state, role) is refused.
EXPECTED = {
    "accept": ({OFFICE}, {S.SUBMITTED}),
    "refuse": ({OFFICE}, {S.SUBMITTED, S.ACCEPTED}),
    "merge": ({OFFICE}, {S.SUBMITTED, S.ACCEPTED}),
    "answer": ({OFFICE}, {S.SUBMITTED, S.ACCEPTED}),
    "office_contact": ({OFFICE}, {S.SUBMITTED, S.ACCEPTED}),
    "dispatch": ({OFFICE}, {S.ACCEPTED, S.ESCALATED}),
    "rule_on_return": ({OFFICE}, {S.ACCEPTED}),
    "approve_dispatch": ({LEADER}, {S.AWAITING_APPROVAL}),
    "reject_dispatch": ({LEADER}, {S.AWAITING_APPROVAL}),
    "sign": (UNIT, {S.DISPATCHED}),
    "return": (UNIT, {S.DISPATCHED}),
    "contact": (UNIT, {S.DISPATCHED, *HANDLING}),
    "progress": (UNIT, HANDLING),
    "contribute": (UNIT, HANDLING),
    "plan": (UNIT, {S.IN_HAND}),
    "request_extension": (UNIT, {S.IN_HAND}),
    "decide_extension": ({HEAD}, {S.IN_HAND}),
    "long_term": (UNIT, {S.IN_HAND}),
    "stop_clock": (UNIT, {S.IN_HAND}),
    "resume_clock": (UNIT, {S.IN_HAND}),
    "reply": (UNIT, HANDLING),
    "escalate": (UNIT, {S.DISPATCHED, *HANDLING}),
    "refer_to_leaders": ({OFFICE}, {S.ESCALATED}),
    "refer_up": ({OFFICE}, {S.ESCALATED}),
    "instruct": ({LEADER}, {S.ESCALATED}),
    "approve_reply": ({OFFICE}, {S.REPLIED}),
    "send_back": ({OFFICE}, {S.REPLIED}),
    "rate": ({ENTERPRISE}, {S.AWAITING_RATING}),
    "callback": ({OFFICE}, {S.AWAITING_RATING, S.RATED}),
    "supervise": ({OFFICE, INSPECTOR}, WITH_UNIT),
    "answer_supervision": ({HEAD}, WITH_UNIT | {S.REPLIED}),
    "hold_accountable": (
        {INSPECTOR},
        WITH_UNIT | {S.REPLIED, S.AWAITING_RATING, S.RATED, S.CLOSED},
    ),
    "close": ({OFFICE}, {S.RATED, S.AWAITING_RATING}),
    "archive": ({OFFICE}, {S.CLOSED, S.REFUSED, S.MERGED}),
    # Shantou 四: taken on and not closed off
    "meeting_add": ({OFFICE}, MEETING),
    "meeting_remove": ({OFFICE}, MEETING),
}


def test_the_table_names_every_step():
    assert set(EXPECTED) == set(workflow.STEPS)


def _prepare(db, world, case, action: str) -> None:
    """Make the step's further condition true, so the table tests roles and states alone."""
    db.session.flush()
    policy = case.jurisdiction.effective_policy
    case.lead_unit = world.department
    if action == "contribute":
        case.lead_unit, case.co_handlers = world.other_department, [world.department]
    if action == "rule_on_return":
        case.return_pending = True
    if action == "plan":
        policy.plan_days = 5
    if action in ("stop_clock", "resume_clock"):
        policy.clock_stop_allowed = True
    if action == "resume_clock":
        case.clock_stopped_at = factories.now()
    if action == "decide_extension":
        db.session.add(
            ExtensionRequest(
                case=case,
                days=2,
                reason="r",
                requested_by_id=world.users["handler"].id,
                requested_at=factories.now(),
            )
        )
    if action in ("instruct",):
        case.with_leaders = True
    if action == "refer_up":
        case.office = world.county_office  # the city's office is above it
    if action == "answer_supervision":
        db.session.add(
            Supervision(
                case=case,
                office_id=world.office.id,
                year=2026,
                seq=case.id,
                reason="other",
                opened_at=factories.now(),
            )
        )
    if action == "close":
        workflow.record_event(db.session, case, action="callback", by=None, at=factories.now())
    db.session.flush()


@pytest.mark.parametrize("action", sorted(EXPECTED))
def test_every_state_and_role(db, world, action):
    """For each step: every (state, role) pair is allowed exactly as the table says; a
    refused one raises RuleViolation from `check`."""
    roles, states = EXPECTED[action]
    wrong = []
    for state in CaseState:
        case = factories.case(db.session, world.city, enterprise=world.enterprise)
        case.state = state
        _prepare(db, world, case, action)
        for key, user in world.users.items():
            if action == "refer_up" and key == "office":
                user = world.county_office_user  # the office answerable for it now
            allowed = workflow.is_allowed(case, user, action)
            expected = user.role in roles and state in states
            if allowed != expected:
                wrong.append((state.value, key, allowed))
            if not expected:
                with pytest.raises(RuleViolation):
                    workflow.check(case, user, action)
    assert wrong == []


def test_another_unit_or_office_may_not(db, world):
    """The relation counts, not only the role: another department's handler, another
    jurisdiction's office and another enterprise are refused."""
    case = factories.case(db.session, world.city, enterprise=world.enterprise)
    other_handler = factories.user(db.session, Role.HANDLER, unit=world.other_department)
    other_enterprise_user = factories.user(
        db.session, Role.ENTERPRISE, enterprise=world.other_enterprise
    )
    assert not workflow.is_allowed(case, world.county_office_user, "accept")
    workflow.accept(db.session, CAL, case, by=world.users["office"], at=factories.now())
    workflow.dispatch(
        db.session, CAL, case, by=world.users["office"], at=factories.now(), lead=world.department
    )
    assert not workflow.is_allowed(case, other_handler, "sign")
    with pytest.raises(RuleViolation):
        workflow.sign(db.session, case, by=other_handler, at=factories.now())
    workflow.sign(db.session, case, by=world.users["handler"], at=factories.now())
    workflow.reply(db.session, CAL, case, by=world.users["handler"], text="好", at=factories.now())
    workflow.approve_reply(db.session, CAL, case, by=world.users["office"], at=factories.now())
    assert workflow.is_allowed(case, world.users["enterprise"], "rate")
    assert not workflow.is_allowed(case, other_enterprise_user, "rate")


# --------------------------------------------------------------------------- the whole loop


def at(day: date, hour: int = 10) -> datetime:
    """A Beijing wall-clock time as UTC."""
    return datetime(day.year, day.month, day.day, hour - 8, tzinfo=UTC)


def test_the_closed_loop_in_events(db, world):
    """whistle → accept → dispatch → sign → contact → extension → reply → review → 不满意 →
    supervision → re-handle → reply → 满意 → 销号 → 归档, each step one event."""
    office, handler, head = (world.users[k] for k in ("office", "handler", "head"))
    case = factories.case(
        db.session, world.city, enterprise=world.enterprise, at=at(date(2026, 9, 29))
    )
    t = at(date(2026, 9, 30))
    workflow.accept(db.session, CAL, case, by=office, at=t)
    workflow.dispatch(
        db.session, CAL, case, by=office, at=t, lead=world.department, co=[world.other_department]
    )
    # Chaozhou: 5 working days from the dispatch, across National Day (10-01..07 off,
    # 10-10 a make-up Saturday).
    assert case.finish_due == date(2026, 10, 13)
    workflow.sign(db.session, case, by=handler, at=t)
    workflow.contact(db.session, case, by=handler, at=t, method="phone", when=t, note="已电话联系")
    assert case.contacted_at == t
    workflow.request_extension(db.session, case, by=handler, at=t, days=6, reason="需现场核查")
    workflow.decide_extension(db.session, CAL, case, by=head, at=t, approve=True)
    assert case.finish_due == date(2026, 10, 21)
    workflow.reply(db.session, CAL, case, by=handler, text="已协调", at=t)
    assert case.state is S.REPLIED and case.reply_text is None  # not yet reviewed
    workflow.approve_reply(db.session, CAL, case, by=office, at=t)
    assert case.state is S.AWAITING_RATING and case.reply_text == "已协调"
    workflow.rate(
        db.session,
        CAL,
        case,
        by=world.users["enterprise"],
        level=RatingLevel.UNSATISFIED,
        solved=False,
        comment="没解决",
        at=t,
    )
    assert case.state is S.IN_HAND and case.under_supervision and case.rehandle_rounds == 1
    notice = workflow.open_supervision(case)
    assert notice.reason == "unsatisfied" and notice.unit_id == world.department.id
    assert notice.reply_due == date(2026, 10, 10)  # 3 working days, the profile's default
    workflow.answer_supervision(db.session, case, by=head, at=t, text="已重新办理")
    workflow.reply(db.session, CAL, case, by=handler, text="已再次协调解决", at=t)
    workflow.approve_reply(db.session, CAL, case, by=office, at=t)
    workflow.rate(
        db.session,
        CAL,
        case,
        by=world.users["enterprise"],
        level=RatingLevel.SATISFIED,
        solved=True,
        comment="",
        at=t,
    )
    workflow.close(db.session, case, by=office, at=t)
    workflow.archive(db.session, case, by=office, at=t)
    db.session.commit()
    actions = [e.action for e in case.events]
    assert actions == [
        "register",
        "accept",
        "dispatch",
        "sign",
        "contact",
        "request_extension",
        "decide_extension",
        "reply",
        "publish_reply",
        "rate",
        "supervise",
        "answer_supervision",
        "reply",
        "publish_reply",
        "rate",
        "close",
        "archive",
    ]
    assert all(e.at is not None for e in case.events)
    assert case.state is S.ARCHIVED and len(case.ratings) == 2


def test_extension_never_beyond_the_cap_and_only_the_head_decides(db, world):
    """Chaozhou 四(四)2: "延长时限最多不得超过10个工作日", approved by the department head."""
    case = _in_hand(db, world)
    handler, head = world.users["handler"], world.users["head"]
    with pytest.raises(RuleViolation) as refused:
        workflow.request_extension(
            db.session, case, by=handler, at=factories.now(), days=11, reason="复杂"
        )
    assert refused.value.params == {"left": 10}
    workflow.request_extension(
        db.session, case, by=handler, at=factories.now(), days=7, reason="复杂"
    )
    assert not workflow.is_allowed(case, handler, "decide_extension")
    with pytest.raises(RuleViolation):  # one request at a time
        workflow.request_extension(
            db.session, case, by=handler, at=factories.now(), days=1, reason="再延"
        )
    workflow.decide_extension(db.session, CAL, case, by=head, at=factories.now(), approve=True)
    with pytest.raises(RuleViolation) as refused:
        workflow.request_extension(
            db.session, case, by=handler, at=factories.now(), days=4, reason="再延"
        )
    assert refused.value.params == {"left": 3}
    workflow.request_extension(
        db.session, case, by=handler, at=factories.now(), days=3, reason="再延"
    )
    before = case.finish_due
    workflow.decide_extension(
        db.session, CAL, case, by=head, at=factories.now(), approve=False, note="不同意"
    )
    assert case.finish_due == before
    shown = [e for e in case.events if e.visible_to_enterprise and e.action == "decide_extension"]
    assert len(shown) == 1 and shown[0].note_for_enterprise == "复杂"


def _in_hand(db, world, *, jurisdiction=None, case_type=CaseType.BUSINESS, t=None):
    t = t or factories.now()
    case = factories.case(
        db.session,
        jurisdiction or world.city,
        enterprise=world.enterprise,
        case_type=case_type,
        at=t,
    )
    office = world.users["office"] if case.office is world.office else world.county_office_user
    lead = world.department if jurisdiction is None else world.county_department
    workflow.accept(db.session, CAL, case, by=office, at=t)
    workflow.dispatch(db.session, CAL, case, by=office, at=t, lead=lead)
    signer = world.users["handler"] if jurisdiction is None else world.county_handler
    workflow.sign(db.session, case, by=signer, at=t)
    return case


def test_the_case_waits_on_its_earliest_deadline(db, world):
    """Contact before finish (Shantou 三(三) 1 working day after the transfer), the office's
    review of a reply (DOMAIN.md 8, 1 working day), the 督办单's reply limit while one is open;
    `queues.due_column` says the same in SQL, and the stored `due_key` the queues sort on
    follows every step."""
    office, handler, head = (world.users[k] for k in ("office", "handler", "head"))
    t0 = at(date(2026, 11, 23))  # a Monday
    case = _in_hand(db, world, t=t0)
    assert (case.contact_due, case.finish_due) == (date(2026, 11, 24), date(2026, 11, 30))
    seen = [(case.current_due, _due_in_sql(db, case))]
    workflow.contact(db.session, case, by=handler, at=t0, method="phone", when=t0, note="已联系")
    seen.append((case.current_due, _due_in_sql(db, case)))
    workflow.reply(db.session, CAL, case, by=handler, text="已办", at=at(date(2026, 11, 27)))
    seen.append((case.current_due, _due_in_sql(db, case)))
    workflow.approve_reply(db.session, CAL, case, by=office, at=at(date(2026, 11, 30)))
    seen.append((case.current_due, _due_in_sql(db, case)))
    workflow.rate(
        db.session,
        CAL,
        case,
        by=world.users["enterprise"],
        level=RatingLevel.UNSATISFIED,
        solved=False,
        comment="没解决",
        at=at(date(2026, 11, 30)),
    )
    seen.append((case.current_due, _due_in_sql(db, case)))
    workflow.answer_supervision(db.session, case, by=head, at=at(date(2026, 12, 1)), text="重办")
    seen.append((case.current_due, _due_in_sql(db, case)))
    assert seen == [
        (date(2026, 11, 24),) * 2,  # in hand, not yet in touch: contact first
        (date(2026, 11, 30),) * 2,  # in touch: the finish date
        (date(2026, 11, 30),) * 2,  # replied on Friday: the office reviews by Monday
        (None, None),  # with the enterprise, waiting for its rating
        (date(2026, 12, 3),) * 2,  # unsatisfied: the 督办单's 3 working days
        (case.finish_due,) * 2,  # answered: re-handling's own limit
    ]
    assert case.finish_due > date(2026, 12, 3)


def _due_in_sql(db, case):
    db.session.flush()
    due, key = db.session.execute(
        sa.select(queues.due_column(), Case.due_key).where(Case.id == case.id)
    ).one()
    assert key == (due if due is not None else NO_DUE)
    return due


def test_a_return_and_the_office_ruling(db, world):
    """退回 with a reason; kept: the finish date stands; reassigned: full limits anew."""
    office, handler = world.users["office"], world.users["handler"]
    t0 = at(date(2026, 11, 23))
    case = factories.case(db.session, world.city, enterprise=world.enterprise, at=t0)
    workflow.accept(db.session, CAL, case, by=office, at=t0)
    workflow.dispatch(db.session, CAL, case, by=office, at=t0, lead=world.department)
    first_due = case.finish_due
    assert first_due == date(2026, 11, 30)
    with pytest.raises(RuleViolation):
        workflow.return_case(db.session, CAL, case, by=handler, at=t0, reason="bogus", note="x")
    workflow.return_case(
        db.session, CAL, case, by=handler, at=t0, reason="not_our_duty", note="不属我局职能"
    )
    assert case.state is S.ACCEPTED and case.return_pending
    assert case.current_due == date(2026, 11, 24)  # the office rules within 1 working day
    assert not workflow.is_allowed(case, office, "dispatch")
    t1 = at(date(2026, 11, 25))
    workflow.rule_on_return(
        db.session,
        CAL,
        case,
        by=office,
        at=t1,
        lead=world.department,
        note="属人社职能，请继续办理",
    )
    assert case.state is S.DISPATCHED and case.finish_due == first_due
    workflow.return_case(
        db.session,
        CAL,
        case,
        by=handler,
        at=t1,
        reason="needs_other_lead",
        note="应由自然资源局牵头",
    )
    workflow.rule_on_return(
        db.session,
        CAL,
        case,
        by=office,
        at=t1,
        lead=world.other_department,
        note="改由自然资源局牵头",
    )
    assert case.lead_unit is world.other_department
    assert case.finish_due == date(2026, 12, 2)
    db.session.commit()
    counted = dict(
        db.session.execute(
            sa.select(CaseEvent.actor_unit_id, sa.func.count())
            .where(CaseEvent.action == "return")
            .group_by(CaseEvent.actor_unit_id)
        ).all()
    )
    assert counted == {world.department.id: 2}


def test_refuse_merge_and_answer_on_the_spot(db, world):
    office = world.users["office"]
    t = factories.now()
    refused = factories.case(db.session, world.city, enterprise=world.enterprise)
    with pytest.raises(RuleViolation) as err:
        workflow.refuse(db.session, refused, by=office, at=t, reason=11, message="x")
    assert err.value.field == "reason"
    with pytest.raises(RuleViolation):
        workflow.refuse(db.session, refused, by=office, at=t, reason=4, message="  ")
    workflow.refuse(
        db.session,
        refused,
        by=office,
        at=t,
        reason=4,
        message="该事项正在仲裁，请通过仲裁途径解决。",
    )
    assert refused.state is S.REFUSED and refused.events[-1].data == {"reason": 4}
    assert refused.events[-1].note_for_enterprise.startswith("该事项正在仲裁")

    open_case = factories.case(db.session, world.city, enterprise=world.enterprise)
    workflow.accept(db.session, CAL, open_case, by=office, at=t)
    again = factories.case(db.session, world.city, enterprise=world.enterprise, title="又来了")
    theirs = factories.case(db.session, world.city, enterprise=world.other_enterprise)
    workflow.accept(db.session, CAL, theirs, by=office, at=t)
    with pytest.raises(RuleViolation):  # another enterprise's case is not a duplicate
        workflow.merge(db.session, again, by=office, at=t, into_number=theirs.number)
    workflow.merge(db.session, again, by=office, at=t, into_number=open_case.number.lower())
    assert again.state is S.MERGED and again.duplicate_of is open_case
    assert open_case.events[-1].action == "supplement" and "又来了" in open_case.events[-1].note

    spot = factories.case(
        db.session, world.city, enterprise=world.enterprise, case_type=CaseType.CONSULTATION
    )
    workflow.answer(db.session, CAL, spot, by=office, at=t, text="可在政务网申报。")
    assert spot.state is S.AWAITING_RATING and workflow.can_rate(spot, CAL, t)


def test_approval_by_a_leader_starts_the_clocks(db, world):
    """Shantou 三(二): "对需市领导协调的诉求呈报市领导审核同意后，向承办单位发出《转办函》"."""
    office, leader = world.users["office"], world.users["leader"]
    t0, t1 = at(date(2026, 11, 23)), at(date(2026, 11, 25))
    case = factories.case(db.session, world.city, enterprise=world.enterprise, at=t0)
    workflow.accept(db.session, CAL, case, by=office, at=t0)
    workflow.dispatch(
        db.session, CAL, case, by=office, at=t0, lead=world.department, needs_approval=True
    )
    assert case.state is S.AWAITING_APPROVAL and case.finish_due is None
    assert case.leaders_involved
    workflow.approve_dispatch(db.session, CAL, case, by=leader, at=t1)
    assert case.state is S.DISPATCHED and case.finish_due == date(2026, 12, 2)


def test_escalation_county_to_city_moves_the_case_up(db, world):
    county_office = world.county_office_user
    case = _in_hand(db, world, jurisdiction=world.county)
    assert case.office is world.county_office
    workflow.escalate(
        db.session, case, by=world.county_handler, at=factories.now(), reason="涉及市级审批"
    )
    assert case.state is S.ESCALATED and case.holder is world.county_office
    workflow.refer_up(db.session, case, by=county_office, at=factories.now(), reason="需市级协调")
    assert case.office is world.office and case.holder is world.office
    assert not workflow.is_allowed(case, county_office, "dispatch")
    workflow.refer_to_leaders(
        db.session, case, by=world.users["office"], at=factories.now(), reason="请领导小组研究"
    )
    assert case.holder is None and case.with_leaders and case.leaders_involved
    workflow.instruct(
        db.session,
        CAL,
        case,
        by=world.users["leader"],
        at=factories.now(),
        text="请县人社局牵头，市人社局配合",
    )
    assert case.state is S.IN_HAND and not case.with_leaders


def test_after_the_policys_rounds_the_case_goes_up(db, world):
    """Re-handling rounds are counted; past `max_rehandle_rounds` the case goes up a level."""
    case = _in_hand(db, world, jurisdiction=world.county)
    handler, t = world.county_handler, factories.now()
    for round_ in (1, 2, 3):
        workflow.reply(db.session, CAL, case, by=handler, text=f"第{round_}次答复", at=t)
        workflow.approve_reply(db.session, CAL, case, by=world.county_office_user, at=t)
        workflow.rate(
            db.session,
            CAL,
            case,
            by=world.users["enterprise"],
            level=RatingLevel.UNSATISFIED,
            solved=False,
            comment="",
            at=t,
        )
        if round_ < 3:
            assert case.state is S.IN_HAND
            workflow.answer_supervision(db.session, case, by=world.county_head, at=t, text="改")
    assert case.rehandle_rounds == 3
    assert case.state is S.ESCALATED and case.office is world.office
    assert [e.action for e in case.events][-1] == "refer_up"


def test_unsatisfied_with_an_answer_on_the_spot_goes_back_to_the_office(db, world):
    """An answer the office gave at once has no lead unit to re-handle it: 不满意 brings the
    case back to the office to dispatch, under supervision, and the 督办单 goes to the unit
    the office then chooses (Chaozhou 四(四)4 "对企业不满意……进行督办")."""
    office, head = world.users["office"], world.users["head"]
    t = at(date(2026, 11, 23))
    spot = factories.case(
        db.session, world.city, enterprise=world.enterprise, case_type=CaseType.CONSULTATION, at=t
    )
    workflow.answer(db.session, CAL, spot, by=office, at=t, text="可在政务网申报。")
    workflow.rate(
        db.session,
        CAL,
        spot,
        by=world.users["enterprise"],
        level=RatingLevel.UNSATISFIED,
        solved=False,
        comment="网上找不到",
        at=t,
    )
    notice = workflow.open_supervision(spot)
    assert spot.state is S.ACCEPTED and spot.under_supervision and spot.rehandle_rounds == 1
    assert notice is not None and notice.unit_id is None and notice.reason == "unsatisfied"
    assert workflow.is_allowed(spot, office, "dispatch")
    workflow.dispatch(db.session, CAL, spot, by=office, at=t, lead=world.department)
    assert notice.unit_id == world.department.id
    assert workflow.is_allowed(spot, head, "answer_supervision")


def test_callback_on_an_unrated_case_records_its_answer(db, world):
    office = world.users["office"]
    case = factories.replied(
        db.session,
        world,
        factories.case(db.session, world.city, enterprise=world.enterprise),
        at=at(date(2026, 11, 2)),
    )
    today = date(2026, 11, 25)
    assert workflow.rating_window_closed(case, CAL, today)
    assert not workflow.can_rate(case, CAL, at(today))
    assert not workflow.is_allowed(case, office, "close")
    workflow.callback(
        db.session,
        CAL,
        case,
        by=office,
        at=at(today),
        method="phone",
        outcome="unreachable",
        level=None,
        solved=None,
        note="无人接听",
    )
    assert case.state is S.AWAITING_RATING and workflow.is_allowed(case, office, "close")
    with pytest.raises(RuleViolation):
        workflow.callback(
            db.session,
            CAL,
            case,
            by=office,
            at=at(today),
            method="phone",
            outcome="reached",
            level=None,
            solved=None,
            note="",
        )
    workflow.callback(
        db.session,
        CAL,
        case,
        by=office,
        at=at(today),
        method="phone",
        outcome="reached",
        level=RatingLevel.SATISFIED,
        solved=True,
        note="满意",
    )
    assert case.state is S.RATED and case.ratings[-1].rated_by_id == office.id


def test_the_callback_sample_follows_the_profile_share(db, world):
    cases = [factories.case(db.session, world.city) for _ in range(200)]
    share = sum(workflow.callback_sampled(c) for c in cases) / len(cases)
    assert 0.1 < share < 0.3  # the profile's 20 %, drawn from the case number
    assert [workflow.callback_sampled(c) for c in cases] == [
        workflow.callback_sampled(c) for c in cases
    ]


def test_the_clock_stops_while_waiting_for_materials(db, world):
    world.city.policy.clock_stop_allowed = True
    t0 = at(date(2026, 11, 23))
    case = _in_hand(db, world, t=t0)
    assert case.finish_due == date(2026, 11, 30)
    workflow.stop_clock(
        db.session, case, by=world.users["handler"], at=t0, reason="等企业补交营业执照"
    )
    assert case.current_due is None
    workflow.resume_clock(
        db.session, CAL, case, by=world.users["handler"], at=at(date(2026, 11, 26))
    )
    assert case.finish_due == date(2026, 12, 3)  # three working days stood still


def test_no_clock_stop_where_the_policy_does_not_allow_it(db, world):
    case = _in_hand(db, world)
    with pytest.raises(RuleViolation):
        workflow.stop_clock(
            db.session, case, by=world.users["handler"], at=factories.now(), reason="等材料"
        )


def test_weekly_progress_is_due_on_thursdays_in_shantou(db, world, profiles):
    world.city.policy = profiles["shantou"]
    case = _in_hand(db, world, t=at(date(2026, 11, 16)), case_type=CaseType.COMPLAINT)
    assert not workflow.progress_due(case, date(2026, 11, 18))  # Wednesday: not yet
    assert workflow.progress_due(case, date(2026, 11, 19))  # Thursday
    workflow.progress(
        db.session, case, by=world.users["handler"], at=at(date(2026, 11, 19)), text="已约谈"
    )
    assert not workflow.progress_due(case, date(2026, 11, 20))
    assert workflow.progress_due(case, date(2026, 11, 26))  # the next Thursday


def test_supervision_notices_are_numbered_per_office_and_year(db, world):
    inspector = world.users["inspector"]
    first, second = _in_hand(db, world), _in_hand(db, world)
    a = workflow.supervise(
        db.session,
        CAL,
        first,
        by=inspector,
        at=factories.now(),
        reason="overdue",
        note="请加快办理",
    )
    b = workflow.supervise(
        db.session,
        CAL,
        second,
        by=world.users["office"],
        at=factories.now(),
        reason="other",
        note="请加快",
    )
    assert (a.seq, b.seq) == (1, 2)
    with pytest.raises(RuleViolation):  # one open notice at a time
        workflow.supervise(
            db.session, CAL, first, by=inspector, at=factories.now(), reason="overdue", note="再催"
        )
    workflow.hold_accountable(db.session, first, by=inspector, at=factories.now(), note="推诿")
    assert first.accountability


# --------------------------------------------------------------------------- five profiles

DISPATCH_DAY = date(2026, 9, 30)  # the Wednesday before National Day


@pytest.mark.parametrize(
    "key, case_type, expected",
    [
        # Chaozhou 四(四)2: 5 working days from the dispatch; no sign limit.
        (
            "chaozhou",
            CaseType.BUSINESS,
            {"finish_due": date(2026, 10, 13), "sign_due": None, "contact_due": date(2026, 10, 8)},
        ),
        # Chengkou 五(三)2: 3 working days; 五(三)1 dispatch within 2.
        (
            "chengkou",
            CaseType.BUSINESS,
            {"finish_due": date(2026, 10, 10), "sign_due": None, "dispatch_due": date(2026, 10, 8)},
        ),
        # Dalu: dispatched "at once" (0 days: the same working day); no handling limit.
        ("dalu", CaseType.BUSINESS, {"finish_due": None, "dispatch_due": date(2026, 9, 29)}),
        # Shantou 三(二): confirm in 1 (+1 for the county's unit); 三(三) contact and handling
        # start only with the 转办函, after the confirmation (tests/test_seed_clocks.py).
        (
            "shantou",
            CaseType.CONSULTATION,
            {"finish_due": None, "sign_due": date(2026, 10, 9), "contact_due": None},
        ),
        ("shantou", CaseType.COMPLAINT, {"finish_due": None, "sign_due": date(2026, 10, 9)}),
        # Haimen 三(二): 3 working days; contact "第一时间".
        (
            "haimen",
            CaseType.BUSINESS,
            {"finish_due": date(2026, 10, 10), "contact_due": date(2026, 9, 30)},
        ),
    ],
)
def test_deadlines_of_each_profile_across_national_day(
    db, world, profiles, key, case_type, expected
):
    """Each seed's profile on a county case accepted on 09-29 and dispatched on 09-30:
    10-01..07 are off and Saturday 10-10 is a make-up working day."""
    world.county.policy = profiles[key]
    office = world.county_office_user
    case = factories.case(
        db.session,
        world.county,
        enterprise=world.enterprise,
        case_type=case_type,
        at=at(date(2026, 9, 29)),
    )
    workflow.accept(db.session, CAL, case, by=office, at=at(date(2026, 9, 29)))
    if "dispatch_due" in expected:
        assert case.dispatch_due == expected.pop("dispatch_due")
    workflow.dispatch(
        db.session, CAL, case, by=office, at=at(DISPATCH_DAY), lead=world.county_department
    )
    for name, value in expected.items():
        assert getattr(case, name) == value, name


def test_a_plan_sets_the_promised_date(db, world, profiles):
    """Chengkou 五(三)2: "短期内无法办结的，在5个工作日内制定办理计划、承诺办理时限"."""
    world.city.policy = profiles["chengkou"]
    case = _in_hand(db, world, t=at(date(2026, 11, 23)))
    handler = world.users["handler"]
    assert not workflow.is_allowed(case, handler, "request_extension")  # no cap: a plan
    with pytest.raises(RuleViolation) as err:
        workflow.plan(
            db.session,
            CAL,
            case,
            by=handler,
            at=at(date(2026, 11, 25)),
            text="分三步",
            promised=date(2026, 11, 29),
        )  # a Sunday
    assert err.value.field == "promised"
    workflow.plan(
        db.session,
        CAL,
        case,
        by=handler,
        at=at(date(2026, 11, 25)),
        text="分三步",
        promised=date(2026, 12, 18),
    )
    assert case.finish_due == date(2026, 12, 18)


def test_leaders_see_only_what_was_put_before_them(db, world):
    from portal.domain.access import case_scope
    from portal.domain.models import Case

    plain = _in_hand(db, world)
    case = factories.case(db.session, world.city, enterprise=world.enterprise)
    workflow.accept(db.session, CAL, case, by=world.users["office"], at=factories.now())
    workflow.dispatch(
        db.session,
        CAL,
        case,
        by=world.users["office"],
        at=factories.now(),
        lead=world.department,
        needs_approval=True,
    )
    db.session.commit()
    seen = set(db.session.scalars(sa.select(Case.id).where(case_scope(world.users["leader"]))))
    assert case.id in seen and plain.id not in seen


def test_a_return_only_within_the_confirm_limit(db, world, profiles):
    """Shantou 三(二): "需在1个工作日内……确认是否受理" — after that the unit handles or
    escalates; it may not send the case back."""
    world.city.policy = profiles["shantou"]
    office, handler = world.users["office"], world.users["handler"]
    t0 = at(date(2026, 11, 23))
    case = factories.case(
        db.session, world.city, enterprise=world.enterprise, at=t0, case_type=CaseType.COMPLAINT
    )
    workflow.accept(db.session, CAL, case, by=office, at=t0)
    workflow.dispatch(db.session, CAL, case, by=office, at=t0, lead=world.department)
    assert case.sign_due == date(2026, 11, 24)
    with pytest.raises(RuleViolation) as late:
        workflow.return_case(
            db.session,
            CAL,
            case,
            by=handler,
            at=at(date(2026, 11, 25)),
            reason="not_our_duty",
            note="不属我局",
        )
    assert late.value.params == {"day": "2026-11-24"}
    workflow.escalate(db.session, case, by=handler, at=at(date(2026, 11, 25)), reason="需协调")


def test_callbacks_owed_after_the_window_and_for_the_sample(db, world):
    office = world.users["office"]
    t = at(date(2026, 11, 2))
    case = factories.replied(
        db.session, world, factories.case(db.session, world.city, enterprise=world.enterprise), at=t
    )
    assert case.rating_due == date(2026, 11, 9)  # 5 working days, the profile's window
    sampled = next(
        c
        for c in (
            factories.case(db.session, world.city, enterprise=world.enterprise) for _ in range(50)
        )
        if workflow.callback_sampled(c)
    )
    factories.replied(db.session, world, sampled, at=t)
    workflow.rate(
        db.session,
        CAL,
        sampled,
        by=world.users["enterprise"],
        level=RatingLevel.SATISFIED,
        solved=True,
        comment="",
        at=t,
    )
    assert sampled.needs_callback
    workflow.callback(
        db.session,
        CAL,
        sampled,
        by=office,
        at=t,
        method="phone",
        outcome="unreachable",
        level=None,
        solved=None,
        note="",
    )
    assert sampled.needs_callback  # try again
    workflow.callback(
        db.session,
        CAL,
        sampled,
        by=office,
        at=t,
        method="phone",
        outcome="reached",
        level=RatingLevel.SATISFIED,
        solved=True,
        note="满意",
    )
    assert not sampled.needs_callback and sampled.state is S.RATED


def test_supervision_ends_with_a_satisfied_rating(db, world):
    case = factories.replied(
        db.session, world, factories.case(db.session, world.city, enterprise=world.enterprise)
    )
    t = factories.now()
    workflow.rate(
        db.session,
        CAL,
        case,
        by=world.users["enterprise"],
        level=RatingLevel.UNSATISFIED,
        solved=False,
        comment="",
        at=t,
    )
    assert case.under_supervision
    workflow.reply(db.session, CAL, case, by=world.users["handler"], text="再办", at=t)
    workflow.approve_reply(db.session, CAL, case, by=world.users["office"], at=t)
    workflow.rate(
        db.session,
        CAL,
        case,
        by=world.users["enterprise"],
        level=RatingLevel.SATISFIED,
        solved=True,
        comment="",
        at=t,
    )
    assert not case.under_supervision
