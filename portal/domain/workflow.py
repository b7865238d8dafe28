"""The case's life as verbs. Each verb checks the rules, sets deadlines from the calendar and
the jurisdiction's policy, appends one case event, and raises RuleViolation when a rule
forbids the step. The actor and `now` are always passed in; nothing here reads a clock.

`STEPS` is the table of who may take which step from which state; `check` enforces it and
`available_steps` tells a page which actions to offer. Every step below calls `check`
first, then the step's own rules, then appends its event (DOMAIN.md "Life of a case"):

    submitted ─accept→ accepted ─dispatch→ [awaiting_approval ─approve→] dispatched
      │  └refuse / merge / answer (on the spot)          │        └return→ accepted (ruling)
      │                                                 sign
      ▼                                                  ▼
    in_hand ⇄ long_term, ⇄ escalated (office → leaders / upper office) ─reply→ replied
    replied ─approve_reply→ awaiting_rating ─rate→ rated ─close→ closed ─archive→ archived
                           └send_back→ in_hand           └not satisfied→ in_hand (督办, round + 1)
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm.attributes import flag_modified

from portal.domain import step_notices, tracking, uploads
from portal.domain.calendar import WorkCalendar, local_date
from portal.domain.errors import N_, RuleViolation
from portal.domain.models import (
    Attachment,
    Case,
    CaseEvent,
    CaseState,
    CaseType,
    Category,
    Channel,
    Enterprise,
    EventAction,
    ExtensionRequest,
    Jurisdiction,
    JurisdictionLevel,
    OrgUnit,
    Rating,
    RatingLevel,
    Role,
    Supervision,
    UnitKind,
    User,
    with_own_limits,
)
from portal.domain.numbering import format_number, next_seq
from portal.domain.policies import (
    case_types_for,
    confirm_days_for,
    finish_days_for,
    handling_starts_on_confirmation,
    pin,
)

S = CaseState
A = EventAction

# Chaozhou 四(四)1: "非现场或电话接收的、有企业联系方式的，应在1个工作日内与企业取得对接联系" —
# a whistle taken on the phone or face to face is already a contact.
ALREADY_IN_CONTACT = frozenset(
    {Channel.PHONE, Channel.VISIT, Channel.SERVICE_CENTRE, Channel.LEADER_VISIT}
)


def record_event(
    session,
    case: Case,
    *,
    action: EventAction,
    by: User | None,
    at: datetime,
    to_state: CaseState | None = None,
    note: str = "",
    visible_to_enterprise: bool = False,
    data: dict | None = None,
) -> CaseEvent:
    """Append an event and move the case to `to_state` (when given) in one step."""
    event = CaseEvent(
        case=case,
        at=at,
        actor_id=by.id if by is not None else None,
        actor_unit_id=by.unit_id if by is not None else None,
        action=action,
        from_state=case.state,
        to_state=to_state or case.state,
        note=note,
        visible_to_enterprise=visible_to_enterprise,
        data=data,
    )
    if to_state is not None:
        case.state = to_state
    case.last_event_at = at
    flag_modified(case, "last_event_at")  # updated even when two steps share a timestamp:
    # the case row changes with every step, so its version moves
    session.add(event)
    step_notices.tell(session, case, event)
    return event


def register_case(
    session,
    calendar: WorkCalendar,
    *,
    jurisdiction: Jurisdiction,
    applicant_name: str,
    contact_name: str,
    contact_phone: str,
    title: str,
    content: str,
    case_type: CaseType,
    channel: Channel,
    at: datetime,
    by: User | None,
    enterprise: Enterprise | None = None,
    category: Category | None = None,
    receiving_unit: OrgUnit | None = None,
    submission_key: str | None = None,
    own_limits: dict | None = None,
) -> Case:
    """Register a whistle as a case (Chaozhou 四(四)1 受理登记, 附件2's fields).

    The case gets the next number of its jurisdiction and year, state SUBMITTED, and its
    contact deadline: "应在1个工作日内与企业取得对接联系" under the jurisdiction's policy.
    `own_limits`: limits the case carries over the profile's (a 12345 work order's,
    `work_orders.hotline_limits`). A type the policy does not take is refused
    (`policies.case_types_for`: Shantou 三(三) sets no limit for business handling).
    """
    if not content.strip():
        raise RuleViolation(N_("Describe the problem."), field="content")
    if not contact_phone.strip():
        raise RuleViolation(N_("Enter a contact phone number."), field="contact_phone")
    policy = with_own_limits(jurisdiction.effective_policy, own_limits)
    if case_type not in case_types_for(policy):
        raise RuleViolation(
            N_("This type of case is not taken here. Choose another type."), field="case_type"
        )
    year = local_date(at).year
    seq = next_seq(session, jurisdiction.id, year)
    if receiving_unit is None:
        receiving_unit = office_of(session, jurisdiction)
    # Chaozhou 四(四)1: whoever receives a whistle makes contact within the limit. Where the
    # units confirm a case before handling it (Shantou 三(二)), the contact limit is the
    # unit's, from the 转办函 (三(三)); on receipt the 专班 only "第一时间进行分析研判".
    contact_due = None
    if (
        policy is not None
        and policy.contact_days is not None
        and channel not in ALREADY_IN_CONTACT
        and not handling_starts_on_confirmation(policy)
    ):
        contact_due = calendar.due_date(at, policy.contact_days)
    case = Case(
        number=format_number(jurisdiction, year, seq),
        jurisdiction=jurisdiction,
        year=year,
        seq=seq,
        enterprise=enterprise,
        applicant_name=applicant_name,
        contact_name=contact_name,
        contact_phone=contact_phone,
        title=title,
        content=content,
        category=category,
        type=case_type,
        channel=channel,
        received_at=at,
        receiving_unit=receiving_unit,
        office=receiving_unit,
        received_by=by if by and by.role.is_staff else None,
        submitted_by=by if by and not by.role.is_staff else None,
        state=CaseState.SUBMITTED,
        contact_due=contact_due,
        submission_key=submission_key,
        own_limits=own_limits or None,
        created_at=at,
    )
    session.add(case)
    event = record_event(
        session,
        case,
        action=A.REGISTER,
        by=by,
        at=at,
        note=channel.value,
        visible_to_enterprise=True,
    )
    event.from_state = None
    return case


# Units that take whistles themselves and handle them as their own (Chaozhou 四(二)): every
# kind but the office (which registers for the whole level), the leading group and the
# inspectors.
NOT_DIRECT = frozenset({UnitKind.OFFICE, UnitKind.LEADING_GROUP, UnitKind.INSPECTION})


def register_direct(
    session,
    calendar: WorkCalendar,
    *,
    by: User,
    at: datetime,
    channel: Channel,
    applicant_name: str,
    contact_name: str,
    contact_phone: str,
    title: str,
    content: str,
    case_type: CaseType,
    enterprise: Enterprise | None = None,
    category: Category | None = None,
) -> Case:
    """A department registers a whistle it received itself and handles it as its own case.

    Chaozhou 四(二) "企业根据自身诉求问题，可直接向对应的部门反映……各级各部门要结合实际建立电话、
    邮箱、微信、网页、APP等收集企业诉求和意见的渠道" and 四(四)1 "各级各部门对企业吹哨事项
    进行受理登记": the unit is the receiving unit (受理单位), its user the receiving person
    (受理人), the channel is recorded, and the unit leads: the case is in hand at once, with
    no signing. Its clocks run from the registration under the profile, pinned as at a
    dispatch: 四(四)2 "在直接受理……后5个工作日内办结", and contact within 1 working day
    unless it came by phone or face to face (四(四)1 "非现场或电话接收的……应在1个工作日内与
    企业取得对接联系": the call or visit is the contact). The level's office answers for it
    as for a case it dispatched (reviews the reply, supervises): 四(四)3 "同时报本级领导小组
    办公室汇总"."""
    unit = by.unit
    if by.role not in STAFF_OF_UNIT or unit is None or not unit.active or unit.kind in NOT_DIRECT:
        raise RuleViolation(N_("Only a department's staff register a whistle for their unit."))
    if channel is Channel.PORTAL:
        raise RuleViolation(N_("Choose how the whistle arrived."), field="channel")
    office = office_of(session, unit.jurisdiction)
    if office is None:
        raise RuleViolation(N_("Your level has no office to report the case to."))
    case = register_case(
        session,
        calendar,
        jurisdiction=unit.jurisdiction,
        applicant_name=applicant_name,
        contact_name=contact_name,
        contact_phone=contact_phone,
        title=title,
        content=content,
        case_type=case_type,
        channel=channel,
        at=at,
        by=by,
        enterprise=enterprise,
        category=category,
        receiving_unit=unit,
    )
    case.office, case.lead_unit = office, unit
    _start_clocks(calendar, case, at)
    case.sign_due = None  # its own case: nothing to sign for
    if channel in ALREADY_IN_CONTACT:
        case.contacted_at = at
    record_event(
        session,
        case,
        action=A.ACCEPT,
        by=by,
        at=at,
        to_state=S.IN_HAND,
        visible_to_enterprise=True,
        data={"lead": unit.id, "direct": True},
    )
    return case


# --------------------------------------------------------------------------- whistling

LOCAL, CITY = "local", "city"


def whistle_targets(enterprise: Enterprise) -> dict[str, Jurisdiction]:
    """Where an enterprise may whistle: its local level (the county, district or zone it
    belongs to) and, above it, the city (Chaozhou 四(三)1)."""
    chain = [enterprise.jurisdiction, *enterprise.jurisdiction.ancestors]
    local = next((j for j in chain if j.level.rank <= 1), chain[-1])
    city = next((j for j in chain if j.level is JurisdictionLevel.CITY), None)
    targets = {LOCAL: local}
    if city is not None and city is not local:
        targets[CITY] = city
    return targets


def categories_of(session, jurisdiction: Jurisdiction) -> list[Category]:
    """The jurisdiction's whistle categories, or its nearest parent's when it has none."""
    for node in [jurisdiction, *jurisdiction.ancestors]:
        found = session.scalars(
            sa.select(Category)
            .where(Category.jurisdiction_id == node.id, Category.active)
            .order_by(Category.number)
        ).all()
        if found:
            return list(found)
    return []


def office_of(session, jurisdiction: Jurisdiction) -> OrgUnit | None:
    """The office (领导小组办公室/工作专班) that receives whistles for `jurisdiction`."""
    for node in [jurisdiction, *jurisdiction.ancestors]:
        office = session.scalar(
            sa.select(OrgUnit)
            .where(
                OrgUnit.jurisdiction_id == node.id, OrgUnit.kind == UnitKind.OFFICE, OrgUnit.active
            )
            .order_by(OrgUnit.id)
            .limit(1)
        )
        if office is not None:
            return office
    return None


def whistle(
    session,
    calendar: WorkCalendar,
    *,
    by: User,
    level: str,
    case_type: CaseType,
    category_number: int | None,
    title: str,
    content: str,
    contact_name: str,
    contact_phone: str,
    at: datetime,
    submission_key: str,
    files: Sequence[uploads.CheckedFile] = (),
    upload_root: Path,
) -> Case:
    """An enterprise user whistles on the portal.

    Chaozhou 四(三)1: "属咨询事项的，企业可选择向市、县（区）两级部门进行吹哨；属业务办理事项的，
    按属地管理原则……一般情况下，先向县（区）有关部门和开发区管委会吹哨". So business handling
    goes to the local level; other types may choose the city.

    Idempotent: a resend with the same `submission_key` returns the case already created.
    """
    enterprise = by.enterprise
    if enterprise is None:
        raise RuleViolation(N_("Only an enterprise account can whistle."))
    if enterprise.name_check is not None:  # accounts.NAME_PENDING: the office confirms first
        raise RuleViolation(
            N_("The office has not yet confirmed your business's name. Whistle once it has.")
        )
    existing = session.scalar(sa.select(Case).where(Case.submission_key == submission_key))
    if existing is not None:
        if existing.enterprise_id != enterprise.id:
            raise RuleViolation(N_("This form was already used. Reload the page and try again."))
        return existing
    if len(files) > uploads.MAX_FILES:
        raise RuleViolation(N_("Attach at most 5 files."), field="attachments")
    targets = whistle_targets(enterprise)
    if level not in targets:
        raise RuleViolation(N_("Choose where to whistle."), field="level")
    if level == CITY and case_type is CaseType.BUSINESS:
        raise RuleViolation(
            N_(
                "Business handling goes to your county, district or zone first. "
                "Choose the local level."
            ),
            field="level",
        )
    target = targets[level]
    category = None
    if category_number is not None:
        category = next(
            (c for c in categories_of(session, target) if c.number == category_number), None
        )
        if category is None:
            raise RuleViolation(
                N_(
                    "This category is not used at the level you chose. Choose "
                    "another category or level."
                ),
                field="category",
            )
    case = register_case(
        session,
        calendar,
        jurisdiction=target,
        applicant_name=enterprise.name,
        contact_name=contact_name,
        contact_phone=contact_phone,
        title=title,
        content=content,
        case_type=case_type,
        channel=Channel.PORTAL,
        at=at,
        by=by,
        enterprise=enterprise,
        category=category,
        receiving_unit=office_of(session, target),
        submission_key=submission_key,
    )
    session.flush()
    for checked in files:
        attach(session, case, checked, by=by, at=at, upload_root=upload_root)
    return case


def attach(
    session,
    case: Case,
    checked: uploads.CheckedFile,
    *,
    by: User | None,
    at: datetime,
    upload_root: Path,
    event: CaseEvent | None = None,
    visible_to_enterprise: bool = True,
) -> Attachment:
    stored = uploads.store(upload_root, checked)
    attachment = Attachment(
        case=case,
        event=event,
        filename=checked.filename,
        stored_name=stored,
        content_type=checked.content_type,
        size=len(checked.data),
        sha256=checked.sha256,
        uploaded_by_id=by.id if by is not None else None,
        uploaded_at=at,
        visible_to_enterprise=visible_to_enterprise,
    )
    session.add(attachment)
    return attachment


# --------------------------------------------------------------------------- who may do what

STAFF_OF_UNIT = frozenset({Role.HANDLER, Role.HEAD})

Relation = Callable[[Case, User], bool]
Condition = Callable[[Case], bool]


@dataclass(frozen=True)
class Step:
    """One step, declared once (`STEPS`, at the end of this module): the verb that takes it,
    the events it writes, who may take it (roles, and their `relation` to the case), from
    which states, and a further condition on the case (`when`), all as callables."""

    verb: Callable[..., object]
    writes: frozenset[EventAction]
    roles: frozenset[Role]
    states: frozenset[CaseState]
    relation: Relation
    when: Condition | None = None


def step(verb, writes, roles, states, relation: Relation, when: Condition | None = None) -> Step:
    return Step(verb, frozenset(writes), frozenset(roles), frozenset(states), relation, when)


def acting_office_id(case: Case) -> int | None:
    # Through the relationships, not the *_id columns: those lag until the session flushes.
    office = case.office or case.receiving_unit
    return office.id if office is not None else None


def _lead_id(case: Case) -> int | None:
    return case.lead_unit.id if case.lead_unit is not None else None


def own(case: Case, user: User) -> bool:
    """The enterprise whose case it is."""
    return (
        user.enterprise_id is not None
        and case.enterprise is not None
        and user.enterprise_id == case.enterprise.id
    )


def office(case: Case, user: User) -> bool:
    """The office answerable for the case (`Case.office`)."""
    return user.unit_id is not None and user.unit_id == acting_office_id(case)


def lead(case: Case, user: User) -> bool:
    """The lead unit's staff."""
    return user.unit_id is not None and user.unit_id == _lead_id(case)


def lead_head(case: Case, user: User) -> bool:
    """The lead unit's head."""
    return lead(case, user) and user.role is Role.HEAD


def co(case: Case, user: User) -> bool:
    """A co-handling unit's staff."""
    return user.unit_id is not None and user.unit_id in {u.id for u in case.co_handlers}


def lead_or_co(case: Case, user: User) -> bool:
    return co(case, user) or lead(case, user)


def leaders(case: Case, user: User) -> bool:
    """The leaders of the answerable office's jurisdiction."""
    answerable = case.office or case.receiving_unit
    return (
        user.unit_id is not None
        and user.unit is not None
        and answerable is not None
        and user.unit.jurisdiction_id == answerable.jurisdiction_id
    )


def oversight(case: Case, user: User) -> bool:
    """The answerable office, or an inspector of the case's jurisdiction or above."""
    if user.unit_id is None or user.unit is None:
        return False
    if user.role is Role.OFFICE:
        return office(case, user)
    chain = [case.jurisdiction, *case.jurisdiction.ancestors]
    return user.unit.jurisdiction_id in {j.id for j in chain}


# Further conditions on the case, named in the steps' declarations.


def plans_allowed(case: Case) -> bool:
    policy = case.policy
    return policy is not None and policy.plan_days is not None


def extension_possible(case: Case) -> bool:
    policy = case.policy
    return (
        policy is not None
        and policy.max_extension_days is not None
        and pending_extension(case) is None
        and extension_days_used(case) < policy.max_extension_days
    )


def clock_can_stop(case: Case) -> bool:
    policy = case.policy
    return policy is not None and policy.clock_stop_allowed and case.clock_stopped_at is None


def has_upper_office(case: Case) -> bool:
    return not case.with_leaders and _upper_office(case) is not None


def closable(case: Case) -> bool:
    return case.state is S.RATED or any(e.action == A.CALLBACK for e in case.events)


def is_allowed(case: Case, user: User | None, action: str, at: datetime | None = None) -> bool:
    rule = STEPS[action]
    return (
        user is not None
        and user.active
        and user.role in rule.roles
        and case.state in rule.states
        and rule.relation(case, user)
        and (rule.when is None or rule.when(case))
    )


def check(case: Case, user: User | None, action: str) -> None:
    """Raise RuleViolation unless `user` may take step `action` on `case` now."""
    rule = STEPS[action]
    if (
        user is None
        or not user.active
        or user.role not in rule.roles
        or not rule.relation(case, user)
    ):
        raise RuleViolation(N_("You may not take this step on this case."))
    if case.state not in rule.states or (rule.when is not None and not rule.when(case)):
        raise RuleViolation(
            N_(
                "This case has moved on and this step no longer applies. "
                "Its current state is shown on the page."
            )
        )


def available_steps(case: Case, user: User) -> list[str]:
    """The steps `user` may take on `case` now, in the table's order (pages offer these)."""
    return [action for action in STEPS if is_allowed(case, user, action)]


# --------------------------------------------------------------------------- shared pieces


def _policy(case: Case):
    """The limits the case is held to (`Case.policy`: the revision it was dispatched under)."""
    return case.policy


def _due(calendar: WorkCalendar, at: datetime, days: int | None) -> date | None:
    return calendar.due_date(at, days) if days is not None else None


def _text(value: str, message: str, field: str = "note") -> str:
    value = (value or "").strip()
    if not value:
        raise RuleViolation(message, field=field)
    return value


def _upper_office(case: Case) -> OrgUnit | None:
    """The office of the jurisdiction above the answerable office's (county → city)."""
    office = case.office or case.receiving_unit
    if office is None:
        return None
    for node in office.jurisdiction.ancestors:
        found = next((u for u in node.units if u.kind is UnitKind.OFFICE and u.active), None)
        if found is not None:
            return found
    return None


def working_days_left(case: Case, calendar: WorkCalendar, today: date) -> int | None:
    """Working days until the step the case waits on is due; None when nothing is owed
    or the day has passed (then the case is overdue)."""
    due = case.current_due
    return calendar.working_days_between(today, due) if due is not None and due >= today else None


def pending_extension(case: Case) -> ExtensionRequest | None:
    return next((x for x in case.extensions if x.approved is None), None)


def extension_days_used(case: Case) -> int:
    return sum(x.days for x in case.extensions if x.approved)


def open_supervision(case: Case) -> Supervision | None:
    return next((x for x in case.supervisions if x.replied_at is None), None)


# --------------------------------------------------------------------------- triage

# Shantou 二 "企业诉求有下列情形之一的，不予受理" — the ten reasons, by number.
REFUSAL_REASONS = {
    1: "涉及国家秘密、商业机密、个人隐私的",
    2: "涉及军队和国家安全的问题",
    3: "涉及党委、人大、政协、纪委监委、法院、检察院、民主党派、社会团体、军队和武警职能等非政府部门职能",  # noqa: E501
    4: "涉法涉诉，及正在通过诉讼、仲裁、行政复议、信访、纪检监察机关、政府信息公开等法定途径解决的，"  # noqa: E501
    "或已终结的诉讼案件、行政复议案件",
    5: "诉求事项已依法依规办结，诉求人仍以同一事实和理由提出诉求的",
    6: "反映问题属于110、119、120、122等紧急救助系统受理的",
    7: "诉求事项不清，无具体诉求内容、联系方式不实的、按照联系方式多次联系不上的",
    8: "违反法律法规规章、社会公序良俗的",
    9: "损害自然人、法人和其他组织合法权益的",
    10: "其他超出受理范围的事项",
}

# DOMAIN.md 5: how a unit gets in touch (电话、走访、座谈、专题会、专家).
CONTACT_METHODS = ("phone", "visit", "talks", "meeting", "experts")

# Why a unit sends a dispatched case back (退回); counted per unit (退单拉锯).
RETURN_REASONS = ("not_our_duty", "needs_other_lead", "unclear", "other_level", "other")

CALLBACK_METHODS = ("phone", "visit")
CALLBACK_OUTCOMES = ("reached", "unreachable", "declined")


def accept(
    session, calendar: WorkCalendar, case: Case, *, by: User, at: datetime, note: str = ""
) -> CaseEvent:
    """受理. The dispatch clock starts: Chengkou 五(三)1 "在2个工作日内分别交办"; Haimen
    三(二) "第一时间交办" (0 days: the same working day)."""
    check(case, by, "accept")
    case.dispatch_due = _due(calendar, at, _policy(case).dispatch_days if _policy(case) else None)
    _record_receiver(case, by)
    return record_event(
        session,
        case,
        action=A.ACCEPT,
        by=by,
        at=at,
        to_state=S.ACCEPTED,
        note=note.strip(),
        visible_to_enterprise=True,
    )


def _record_receiver(case: Case, by: User) -> None:
    """受理人 (Chaozhou 四(四)1 "登记内容包括……受理时间、受理单位、受理人等", 附件2): the person
    who accepts a case (or answers it on the spot) is its receiver, unless someone of the
    receiving unit registered it already (a call taken at the office). A whistle from the
    portal, a work order or a liaison's forward has none until then."""
    registered = case.received_by
    unit = case.receiving_unit
    if registered is None or unit is None or registered.unit_id != unit.id:
        case.received_by = by


def refuse(session, case: Case, *, by: User, at: datetime, reason: int, message: str) -> CaseEvent:
    """不予受理 with one of Shantou 二's ten reasons and a message to the enterprise."""
    check(case, by, "refuse")
    if reason not in REFUSAL_REASONS:
        raise RuleViolation(N_("Choose one of the ten reasons."), field="reason")
    message = _text(message, N_("Tell the enterprise why, in plain words."), "message")
    return record_event(
        session,
        case,
        action=A.REFUSE,
        by=by,
        at=at,
        to_state=S.REFUSED,
        note=message,
        visible_to_enterprise=True,
        data={"reason": reason},
    )


def merge(session, case: Case, *, by: User, at: datetime, into_number: str) -> CaseEvent:
    """重复件 (Shantou 二): "承办单位已经受理或正在办理，诉求人再次反映同样问题的或提交补充材料的，
    不作为新增诉求，作重复件处理，直接交由承办单位办理". The text goes to the open case as
    information from the enterprise."""
    check(case, by, "merge")
    target = session.scalar(
        sa.select(Case).where(Case.number == (into_number or "").strip().upper())
    )
    if target is None or target.id == case.id or acting_office_id(target) != by.unit_id:
        raise RuleViolation(N_("No open case of this office has that number."), field="into")
    if not target.is_open or target.state is S.SUBMITTED:
        raise RuleViolation(
            N_("Merge only into a case already accepted and still open."), field="into"
        )
    if case.enterprise_id != target.enterprise_id or (
        case.enterprise_id is None and case.contact_phone != target.contact_phone
    ):
        raise RuleViolation(
            N_("A duplicate comes from the same enterprise as the case it joins."), field="into"
        )
    case.duplicate_of = target
    record_event(
        session,
        target,
        action=A.SUPPLEMENT,
        by=by,
        at=at,
        visible_to_enterprise=True,
        note=f"{case.number}: {case.title}\n{case.content}",
        data={"merged": case.number},
    )
    return record_event(
        session,
        case,
        action=A.MERGE,
        by=by,
        at=at,
        to_state=S.MERGED,
        note=target.number,
        visible_to_enterprise=True,
        data={"into": target.number},
    )


def answer(
    session, calendar: WorkCalendar, case: Case, *, by: User, at: datetime, text: str
) -> CaseEvent:
    """现场办理/当场答复 (DOMAIN.md 2): the office settles it at once; the enterprise rates it."""
    check(case, by, "answer")
    text = _text(text, N_("Write the answer to the enterprise."), "text")
    _record_receiver(case, by)
    _reply_reaches_enterprise(calendar, case, text, at)
    return record_event(
        session,
        case,
        action=A.ANSWER,
        by=by,
        at=at,
        to_state=S.AWAITING_RATING,
        note=text,
        visible_to_enterprise=True,
    )


def contact(
    session, case: Case, *, by: User, at: datetime, method: str, when: datetime, note: str
) -> CaseEvent:
    """对接联系 (Chaozhou 四(四)1 office on receipt; Shantou 三(三) "接到《转办函》后，需在1个
    工作日内联系诉求企业" for the unit). `when` is the time of the call or visit."""
    check(case, by, "office_contact" if by.role is Role.OFFICE else "contact")
    if method not in CONTACT_METHODS:
        raise RuleViolation(N_("Choose how you were in touch."), field="method")
    if when > at:
        raise RuleViolation(N_("The contact cannot be in the future."), field="when")
    if case.contacted_at is None:
        case.contacted_at = when
    return record_event(
        session,
        case,
        action=A.CONTACT,
        by=by,
        at=at,
        note=note.strip(),
        data={"method": method, "when": when.isoformat()},
    )


# --------------------------------------------------------------------------- dispatch


def _dispatchable(session, case: Case, unit: OrgUnit | None) -> OrgUnit:
    office = case.office or case.receiving_unit
    if unit is None or not unit.active or unit.kind in (UnitKind.OFFICE, UnitKind.LEADING_GROUP):
        raise RuleViolation(N_("Choose the department that leads."), field="lead")
    chain = {unit.jurisdiction_id, *(j.id for j in unit.jurisdiction.ancestors)}
    if office is None or office.jurisdiction_id not in chain:
        raise RuleViolation(N_("This office cannot dispatch to that unit."), field="lead")
    return unit


def _start_clocks(calendar: WorkCalendar, case: Case, at: datetime, *, keep_finish=False):
    """交办: the lead unit must sign (Shantou 三(二) 1 working day, one more for a unit of a
    zone, district or county: `policies.confirm_days_for`), get in touch (contact_days) and
    finish (Chaozhou 四(四)2 "收到本级领导小组办公室转交诉求和意见后5个工作日内办结") — counted
    from the dispatch, or, where the profile has units confirm first (Shantou), from their
    confirmation (`_start_handling`, called by `sign`). The case keeps the limits in force
    now (issue 16 item 3: a later edit of the profile does not move its clocks)."""
    pin(case, at)
    policy = _policy(case)
    case.dispatched_at = at
    if policy is None:
        return
    lead = case.lead_unit
    lower = lead is not None and lead.jurisdiction.level.rank > 0
    case.sign_due = _due(calendar, at, confirm_days_for(policy, lower_level=lower))
    case.contacted_at = None
    if handling_starts_on_confirmation(policy):
        case.contact_due = None  # the 转办函 has not issued: nothing runs but the confirm
        if not keep_finish:
            case.finish_due = None
        return
    _start_handling(calendar, case, at, keep_finish=keep_finish)


def _start_handling(calendar: WorkCalendar, case: Case, at: datetime, *, keep_finish=False):
    """The unit's contact and handling clocks start at `at`: Shantou 三(三) "承办单位接到《转办函》
    后，需在1个工作日内联系诉求企业……咨询类诉求事项应在1个工作日内办结反馈……"."""
    policy = _policy(case)
    if policy is None:
        return
    case.contact_due = _due(calendar, at, policy.contact_days)
    if not keep_finish:
        case.finish_due = _due(calendar, at, finish_days_for(policy, case.type))


def dispatch(
    session,
    calendar: WorkCalendar,
    case: Case,
    *,
    by: User,
    at: datetime,
    lead: OrgUnit | None,
    co: Sequence[OrgUnit | None] = (),
    note: str = "",
    needs_approval: bool = False,
) -> CaseEvent:
    """交办/转办 to a lead unit plus co-handlers ("谁主办、谁反馈"). A matter that needs a
    leader (Shantou 三(二) "对需市领导协调的诉求呈报市领导审核同意后，向承办单位发出《转办函》")
    waits for approval first, and its clocks start when approved."""
    check(case, by, "dispatch")
    lead = _dispatchable(session, case, lead)
    co_handlers = [_dispatchable(session, case, u) for u in co if u is not None and u.id != lead.id]
    case.lead_unit, case.co_handlers = lead, co_handlers
    case.with_leaders = False
    notice = open_supervision(case)
    if notice is not None and notice.unit_id is None:  # opened on an answer given on the spot
        notice.unit_id = lead.id
    data = {"lead": lead.id, "co": [u.id for u in co_handlers]}
    if needs_approval:
        case.leaders_involved = True
        return record_event(
            session,
            case,
            action=A.REQUEST_APPROVAL,
            by=by,
            at=at,
            to_state=S.AWAITING_APPROVAL,
            note=note.strip(),
            data=data,
        )
    _start_clocks(calendar, case, at)
    return record_event(
        session,
        case,
        action=A.DISPATCH,
        by=by,
        at=at,
        to_state=S.DISPATCHED,
        note=note.strip(),
        visible_to_enterprise=True,
        data=data,
    )


def approve_dispatch(
    session, calendar: WorkCalendar, case: Case, *, by: User, at: datetime, note: str = ""
) -> CaseEvent:
    check(case, by, "approve_dispatch")
    _start_clocks(calendar, case, at)
    return record_event(
        session,
        case,
        action=A.APPROVE_DISPATCH,
        by=by,
        at=at,
        to_state=S.DISPATCHED,
        note=note.strip(),
        visible_to_enterprise=True,
    )


def reject_dispatch(session, case: Case, *, by: User, at: datetime, note: str) -> CaseEvent:
    check(case, by, "reject_dispatch")
    note = _text(note, N_("Say what the office should do instead."))
    case.lead_unit, case.co_handlers = None, []
    return record_event(
        session, case, action=A.REJECT_DISPATCH, by=by, at=at, to_state=S.ACCEPTED, note=note
    )


def sign(
    session, case: Case, *, by: User, at: datetime, calendar: WorkCalendar | None = None
) -> CaseEvent:
    """签收: the lead unit reports in. Where the profile has units confirm before the
    转办函 issues (Shantou 三(二) "确认是否受理", then "向承办单位发出《转办函》"), the
    confirmation starts the unit's contact and handling clocks (三(三) "接到《转办函》后").
    `calendar`: the working days with the admin's overrides; without one, the official
    calendar alone."""
    check(case, by, "sign")
    data = None
    policy = _policy(case)
    if handling_starts_on_confirmation(policy):
        _start_handling(calendar or WorkCalendar(), case, at)
        data = {"finish_due": case.finish_due.isoformat() if case.finish_due else None}
    return record_event(
        session,
        case,
        action=A.SIGN,
        by=by,
        at=at,
        to_state=S.IN_HAND,
        visible_to_enterprise=True,
        data=data,
    )


def return_case(
    session, calendar: WorkCalendar, case: Case, *, by: User, at: datetime, reason: str, note: str
) -> CaseEvent:
    """退回 within the confirm limit (Shantou 三(二) "确认是否受理"), with a reason code. The
    office must rule on it within the profile's `return_ruling_days`. Every return is an
    event of the returning unit, so returns are counted per unit (the 退单拉锯 problem)."""
    check(case, by, "return")
    if case.sign_due is not None and local_date(at) > case.sign_due:
        raise RuleViolation(
            N_(
                "The time to return this case ended on %(day)s. Handle it, "
                "or escalate it to the office."
            ),
            field="reason",
            day=case.sign_due.isoformat(),
        )
    if reason not in RETURN_REASONS:
        raise RuleViolation(N_("Choose why the case is not yours."), field="reason")
    note = _text(note, N_("Explain the return so the office can rule on it."))
    case.return_pending = True
    case.return_due = _due(
        calendar, at, _policy(case).return_ruling_days if _policy(case) else None
    )
    return record_event(
        session,
        case,
        action=A.RETURN,
        by=by,
        at=at,
        to_state=S.ACCEPTED,
        note=note,
        data={"reason": reason, "unit": _lead_id(case)},
    )


def rule_on_return(
    session,
    calendar: WorkCalendar,
    case: Case,
    *,
    by: User,
    at: datetime,
    lead: OrgUnit | None,
    note: str,
) -> CaseEvent:
    """The office rules on a return: keep the unit, or reassign.

    The clock rule for returns: a unit the office keeps gets a new sign limit from the ruling
    but its finish date stands, as if it had never returned the case (a return the office
    rejects buys no time); a newly assigned unit gets the full limits from the ruling.
    """
    check(case, by, "rule_on_return")
    note = _text(note, N_("Say why the office keeps or reassigns the case."))
    lead = _dispatchable(session, case, lead)
    keep = lead.id == _lead_id(case)
    if not keep:
        case.lead_unit = lead
        case.co_handlers = [u for u in case.co_handlers if u.id != lead.id]
    case.return_pending, case.return_due = False, None
    _start_clocks(calendar, case, at, keep_finish=keep and case.finish_due is not None)
    return record_event(
        session,
        case,
        action=A.RULE_ON_RETURN,
        by=by,
        at=at,
        to_state=S.DISPATCHED,
        note=note,
        visible_to_enterprise=not keep,
        data={"kept": keep, "lead": lead.id},
    )


# --------------------------------------------------------------------------- handling


def handling_started(case: Case) -> datetime | None:
    """When the unit's handling clocks started: at the dispatch, or at the unit's
    confirmation where the profile has units confirm first (Shantou 三(三))."""
    if not handling_starts_on_confirmation(_policy(case)):
        return case.dispatched_at
    signs = [e.at for e in case.events if e.action == A.SIGN]
    return signs[-1] if signs else None


def progress(
    session, case: Case, *, by: User, at: datetime, text: str, visible: bool = False
) -> CaseEvent:
    """进展: a note, internal or shown to the enterprise. Shantou 三(四) "承办单位需对于未办结
    事项每周四需向工作专班反馈一次进展情况" — `progress_due` says when one is owed."""
    check(case, by, "progress")
    text = _text(text, N_("Write the progress."), "text")
    return record_event(
        session, case, action=A.PROGRESS, by=by, at=at, note=text, visible_to_enterprise=visible
    )


def progress_report_day(case: Case, today: date) -> date | None:
    """This week's report day (the profile's weekday, Shantou: Thursday) when the case owes
    a report by then: being handled and dispatched before that day. Under daily tracking
    (Haimen 三(四) "区服务企业办每天跟踪交办事项办理情况，收集落实进度") every working day
    is one: the day asked about (the tick asks on working days only)."""
    policy = _policy(case)
    if policy is None or case.state not in S.HANDLING:
        return None
    if policy.daily_tracking:
        report_day = today
    elif policy.weekly_progress_weekday is not None:
        weekday = policy.weekly_progress_weekday
        report_day = today - timedelta(days=(today.weekday() - weekday) % 7)
    else:
        return None
    if case.dispatched_at is None or local_date(case.dispatched_at) >= report_day:
        return None
    return report_day


def progress_due(case: Case, today: date, last_progress: datetime | None | str = "events") -> bool:
    """A weekly progress report is owed when no progress was written since this week's
    report day. `last_progress`: the latest progress time when the caller has it (a queue
    asks for a whole page at once), else the case's events are read."""
    report_day = progress_report_day(case, today)
    if report_day is None:
        return False
    if isinstance(last_progress, str):  # "events": read them
        return not any(
            e.action == A.PROGRESS and local_date(e.at) >= report_day for e in case.events
        )
    return last_progress is None or local_date(last_progress) < report_day


def contribute(session, case: Case, *, by: User, at: datetime, text: str) -> CaseEvent:
    """A co-handler's part, for the lead to consolidate into one reply (Chaozhou 四(四)3
    "协办部门……将办理情况反馈主办部门")."""
    check(case, by, "contribute")
    text = _text(text, N_("Write your unit's part."), "text")
    return record_event(session, case, action=A.CONTRIBUTE, by=by, at=at, note=text)


def plan(
    session,
    calendar: WorkCalendar,
    case: Case,
    *,
    by: User,
    at: datetime,
    text: str,
    promised: date | None,
) -> CaseEvent:
    """办理计划 with a promised date (Chengkou 五(三)2 "短期内无法办结的，在5个工作日内制定办理
    计划、承诺办理时限"; Haimen 三(二) "初步答复，并在承诺的时间内办结"). The promised date becomes
    the finish date the enterprise sees — when the plan is in time. A plan made after the
    profile's plan limit (`plan_days` from the dispatch) is recorded as late and leaves the
    finish date as it was: the case stays overdue against its handling limit, the lateness
    in the record, not silently reset by the new promise."""
    check(case, by, "plan")
    text = _text(text, N_("Describe the plan."), "text")
    if promised is None or promised <= local_date(at):
        raise RuleViolation(N_("Promise a date after today."), field="promised")
    if not calendar.is_working_day(promised):
        raise RuleViolation(N_("Promise a working day."), field="promised")
    data: dict[str, object] = {"promised": promised.isoformat()}
    policy = _policy(case)
    started = handling_started(case)
    plan_due = (
        calendar.due_date(started, policy.plan_days)
        if policy is not None and policy.plan_days is not None and started
        else None
    )
    if plan_due is not None and local_date(at) > plan_due:
        data.update(late=True, plan_due=plan_due.isoformat())
    else:
        case.finish_due = promised
    return record_event(
        session,
        case,
        action=A.PLAN,
        by=by,
        at=at,
        note=text,
        visible_to_enterprise=True,
        data=data,
    )


def request_extension(
    session, case: Case, *, by: User, at: datetime, days: int | None, reason: str
) -> ExtensionRequest:
    """延期申请 (Chaozhou 四(四)2): never beyond the profile's cap, counted over all approved
    extensions of the case."""
    check(case, by, "request_extension")
    reason = _text(reason, N_("Give the reason for more time."), "reason")
    left = _policy(case).max_extension_days - extension_days_used(case)
    if days is None or days < 1 or days > left:
        raise RuleViolation(N_("Ask for 1 to %(left)d working days."), field="days", left=left)
    request = ExtensionRequest(
        case=case, days=days, reason=reason, requested_by_id=by.id, requested_at=at
    )
    session.add(request)
    record_event(
        session, case, action=A.REQUEST_EXTENSION, by=by, at=at, note=reason, data={"days": days}
    )
    return request


def decide_extension(
    session,
    calendar: WorkCalendar,
    case: Case,
    *,
    by: User,
    at: datetime,
    approve: bool,
    note: str = "",
) -> CaseEvent:
    """The unit's head decides ("经部门主要领导批准"); an approval moves the finish date and the
    enterprise is told the new date and the reason ("延长时限和理由告知企业")."""
    check(case, by, "decide_extension")
    request = pending_extension(case)
    policy = _policy(case)
    # The step's condition: a request is pending (its cap was known when it was made).
    assert request is not None and policy is not None and policy.max_extension_days is not None
    left = policy.max_extension_days - extension_days_used(case)
    if approve and request.days > left:  # the cap holds at the decision too
        raise RuleViolation(
            N_("Approving this would pass the limit: at most %(left)d more working days."),
            field="decision",
            left=left,
        )
    request.approved, request.decided_by_id, request.decided_at = approve, by.id, at
    request.decision_note = note.strip()
    if approve:
        base = case.finish_due or local_date(at)
        request.new_due = case.finish_due = calendar.add_working_days(base, request.days)
        return record_event(
            session,
            case,
            action=A.DECIDE_EXTENSION,
            by=by,
            at=at,
            note=request.reason,
            visible_to_enterprise=True,
            data={"approved": True, "days": request.days, "new_due": request.new_due.isoformat()},
        )
    return record_event(
        session,
        case,
        action=A.DECIDE_EXTENSION,
        by=by,
        at=at,
        note=note.strip(),
        data={"approved": False, "days": request.days},
    )


def long_term(session, case: Case, *, by: User, at: datetime, reason: str) -> CaseEvent:
    """待条件成熟: a matter (often a policy suggestion) that cannot be settled now stays open
    as long-term, with the reason told to the enterprise."""
    check(case, by, "long_term")
    reason = _text(reason, N_("Say why it must wait."), "reason")
    return record_event(
        session,
        case,
        action=A.LONG_TERM,
        by=by,
        at=at,
        to_state=S.LONG_TERM,
        note=reason,
        visible_to_enterprise=True,
    )


def stop_clock(session, case: Case, *, by: User, at: datetime, reason: str) -> CaseEvent:
    """While the unit waits for materials the enterprise must supply, the finish clock stops
    (where the profile allows it), with a reason the enterprise sees."""
    check(case, by, "stop_clock")
    reason = _text(reason, N_("Say which materials you are waiting for."), "reason")
    case.clock_stopped_at = at
    return record_event(
        session, case, action=A.STOP_CLOCK, by=by, at=at, note=reason, visible_to_enterprise=True
    )


def resume_clock(
    session, calendar: WorkCalendar, case: Case, *, by: User, at: datetime
) -> CaseEvent:
    """The clock runs again; the finish date moves by the working days it stood still."""
    check(case, by, "resume_clock")
    assert case.clock_stopped_at is not None  # the step's condition
    stood = max(0, calendar.working_days_between(local_date(case.clock_stopped_at), local_date(at)))
    if case.finish_due is not None and stood:
        case.finish_due = calendar.add_working_days(case.finish_due, stood)
    case.clock_stopped_at = None
    return record_event(
        session,
        case,
        action=A.RESUME_CLOCK,
        by=by,
        at=at,
        visible_to_enterprise=True,
        data={"days": stood},
    )


# --------------------------------------------------------------------------- escalation


def escalate(session, case: Case, *, by: User, at: datetime, reason: str) -> CaseEvent:
    """The lead unit cannot settle it alone: up to its office (DOMAIN.md 7; Chaozhou 四(三)2
    "对难以协调解决的重大事项，由受理部门提交本级领导小组办公室协调解决"). The enterprise is
    told (四(四)1 "并由受理部门将提交情况告知企业"): the step is on its timeline, the reason
    is not (the unit's own words to the office), and a notice goes out (`step_notices`)."""
    check(case, by, "escalate")
    reason = _text(reason, N_("Say why the unit cannot settle it."), "reason")
    case.with_leaders = False
    return record_event(
        session,
        case,
        action=A.ESCALATE,
        by=by,
        at=at,
        to_state=S.ESCALATED,
        note=reason,
        visible_to_enterprise=True,
    )


def refer_to_leaders(session, case: Case, *, by: User, at: datetime, reason: str) -> CaseEvent:
    """The office puts it before the level's leading group (Chaozhou 四(三)2 "确实无法协调
    解决的，由本级领导小组办公室报本级领导小组协调解决"); the enterprise is told, as on every
    step up (四(四)1 "并由受理部门将提交情况告知企业")."""
    check(case, by, "refer_to_leaders")
    reason = _text(reason, N_("Say what the leaders must decide."), "reason")
    case.with_leaders = case.leaders_involved = True
    return record_event(
        session,
        case,
        action=A.REFER_TO_LEADERS,
        by=by,
        at=at,
        note=reason,
        visible_to_enterprise=True,
    )


def refer_up(session, case: Case, *, by: User, at: datetime, reason: str) -> CaseEvent:
    """County office → city office: the case moves to the upper queue with its history."""
    check(case, by, "refer_up")
    reason = _text(reason, N_("Say why the level above must act."), "reason")
    upper = _upper_office(case)
    assert upper is not None  # the step's condition (has_upper_office)
    event = record_event(
        session,
        case,
        action=A.REFER_UP,
        by=by,
        at=at,
        note=reason,
        visible_to_enterprise=True,
        data={"office": upper.id},
    )
    case.office = upper
    return event


def instruct(
    session, calendar: WorkCalendar, case: Case, *, by: User, at: datetime, text: str
) -> CaseEvent:
    """The leaders' instruction (批示). The lead unit handles it again with a full limit; a
    case without a lead unit goes back to its office to dispatch."""
    check(case, by, "instruct")
    text = _text(text, N_("Write the instruction."), "text")
    case.with_leaders = False
    to_state = S.ESCALATED
    if case.lead_unit is not None:
        to_state = S.IN_HAND
        policy = _policy(case)
        case.finish_due = _due(calendar, at, finish_days_for(policy, case.type) if policy else None)
    return record_event(
        session, case, action=A.INSTRUCT, by=by, at=at, to_state=to_state, note=text
    )


# --------------------------------------------------------------------------- reply, review

REPLY_ACTIONS = (A.REPLY, A.ANSWER)


def reply(
    session, calendar: WorkCalendar, case: Case, *, by: User, text: str, at: datetime
) -> CaseEvent:
    """办结反馈 by the lead unit ("谁主办、谁反馈", Chaozhou 四(四)3), consolidating its
    co-handlers' parts. The office reviews it before the enterprise sees it, within its own
    limit (`review_days`; DOMAIN.md 8), and within the profile's feedback limit where it
    sets one: Chaozhou 四(四)3 "办理完成后，由主办部门在1个工作日内将结果反馈给企业"
    (`reply_days`) — the office's review does not lengthen it."""
    check(case, by, "reply")
    text = _text(text, N_("Write the reply to the enterprise."), "text")
    case.clock_stopped_at = None
    policy = _policy(case)
    limits = [policy.review_days, policy.reply_days] if policy else []
    days = [d for d in limits if d is not None]
    case.review_due = _due(calendar, at, min(days) if days else None)
    return record_event(session, case, action=A.REPLY, by=by, at=at, to_state=S.REPLIED, note=text)


def approve_reply(
    session, calendar: WorkCalendar, case: Case, *, by: User, at: datetime
) -> CaseEvent:
    """审核 passed: the enterprise sees the reply and may rate it."""
    check(case, by, "approve_reply")
    event = latest_reply(case)
    assert event is not None  # a case in REPLIED has its reply
    _reply_reaches_enterprise(calendar, case, event.note, at)
    return record_event(
        session,
        case,
        action=A.PUBLISH_REPLY,
        by=by,
        at=at,
        to_state=S.AWAITING_RATING,
        note=event.note,
        visible_to_enterprise=True,
    )


def send_back(session, case: Case, *, by: User, at: datetime, reason: str) -> CaseEvent:
    """审核 failed: back to the lead unit with the office's reason; the finish date stands."""
    check(case, by, "send_back")
    reason = _text(reason, N_("Say what the reply lacks."), "reason")
    return record_event(
        session, case, action=A.SEND_BACK, by=by, at=at, to_state=S.IN_HAND, note=reason
    )


def _reply_reaches_enterprise(calendar: WorkCalendar, case: Case, text: str, at: datetime) -> None:
    """The enterprise reads the reply from now on and may rate it within the profile's
    window; past it the office calls back (Chaozhou 四(四)4 "对企业未评价的……进行回访")."""
    policy = _policy(case)
    case.reply_text, case.replied_at = text, at
    case.rating_due = _due(calendar, at, policy.rating_window_days if policy else None)


def latest_reply(case: Case) -> CaseEvent | None:
    replies = [e for e in case.events if e.action in REPLY_ACTIONS]
    return replies[-1] if replies else None


def rating_deadline(case: Case, calendar: WorkCalendar):
    """The last day the enterprise may rate the latest reply (the profile's window), counted
    from when the reply reached it."""
    policy = _policy(case)
    if case.replied_at is None or policy is None:
        return None
    return calendar.due_date(case.replied_at, policy.rating_window_days)


def rating_levels(case: Case) -> tuple[RatingLevel, ...]:
    """满意 / 不满意, plus 基本满意 where the profile has three levels (Chengkou)."""
    policy = _policy(case)
    if policy is not None and policy.rating_levels == 3:
        return (RatingLevel.SATISFIED, RatingLevel.BASICALLY, RatingLevel.UNSATISFIED)
    return (RatingLevel.SATISFIED, RatingLevel.UNSATISFIED)


def _rated(case: Case, event: CaseEvent) -> bool:
    return any(r.reply_event_id == event.id for r in case.ratings)


def can_rate(case: Case, calendar: WorkCalendar, at: datetime) -> bool:
    if case.state is not S.AWAITING_RATING:
        return False
    event = latest_reply(case)
    if event is None or _rated(case, event):
        return False
    deadline = rating_deadline(case, calendar)
    return deadline is None or local_date(at) <= deadline


def rating_window_closed(case: Case, calendar: WorkCalendar, today: date) -> bool:
    deadline = rating_deadline(case, calendar)
    return case.state is S.AWAITING_RATING and deadline is not None and today > deadline


def rate(
    session,
    calendar: WorkCalendar,
    case: Case,
    *,
    by: User | None,
    level: RatingLevel,
    solved: bool,
    comment: str,
    at: datetime,
    by_callback: bool = False,
) -> Rating:
    """服务反馈评价 (Chaozhou 四(四)4, 附件3; Chengkou 五(三)3; Haimen 附件1 回访情况).

    Satisfied (or basically satisfied) closes the loop as RATED. Unsatisfied sends the case
    back to its lead unit for re-handling ("责成重新办理") under supervision ("对企业不满意……
    由本级领导小组办公室进行督办"); an answer the office gave on the spot has no lead unit, so
    the case goes back to the office to be dispatched, under supervision all the same.
    `by_callback`: the answer was given on the office's callback, after the window.
    """
    if case.state is not S.AWAITING_RATING:
        raise RuleViolation(N_("This case is not waiting for your rating."))
    event = latest_reply(case)
    if event is None or _rated(case, event):
        raise RuleViolation(N_("This reply has already been rated."))
    if level not in rating_levels(case):
        raise RuleViolation(N_("Choose one of the ratings offered."), field="level")
    deadline = rating_deadline(case, calendar)
    if not by_callback and deadline is not None and local_date(at) > deadline:
        raise RuleViolation(
            N_("The time for rating this reply has passed; the office will call you to ask.")
        )
    if event.id is None:
        session.flush()
    rating = Rating(
        case=case,
        reply_event_id=event.id,
        level=level,
        solved=solved,
        comment=comment.strip(),
        rated_by_id=by.id if by else None,
        at=at,
    )
    session.add(rating)
    case.rating_level, case.rating_solved = level, solved
    data = {"level": level.value, "solved": solved, "callback": by_callback}
    if level is RatingLevel.UNSATISFIED:
        to_state = S.IN_HAND if case.lead_unit is not None else S.ACCEPTED
        record_event(
            session,
            case,
            action=A.RATE,
            by=by,
            at=at,
            to_state=to_state,
            note=comment.strip(),
            visible_to_enterprise=True,
            data=data,
        )
        if to_state is S.ACCEPTED:
            policy = _policy(case)
            case.dispatch_due = _due(calendar, at, policy.dispatch_days if policy else None)
        _rehandle(session, calendar, case, at=at)
    else:
        record_event(
            session,
            case,
            action=A.RATE,
            by=by,
            at=at,
            to_state=S.RATED,
            note=comment.strip(),
            visible_to_enterprise=True,
            data=data,
        )
        case.under_supervision = False  # the supervised round ended in satisfaction
        # The office samples satisfied cases for a callback (DOMAIN.md 9).
        case.needs_callback = not by_callback and callback_sampled(case)
    return rating


def _rehandle(session, calendar: WorkCalendar, case: Case, *, at: datetime) -> None:
    """重新办理 under 督办: a new round with the profile's full handling limit; after the
    profile's number of rounds the case goes up a level (DOMAIN.md 9)."""
    policy = _policy(case)
    case.rehandle_rounds += 1
    case.finish_due = _due(calendar, at, finish_days_for(policy, case.type) if policy else None)
    if policy is not None and case.rehandle_rounds > policy.max_rehandle_rounds:
        upper = _upper_office(case)
        note = f"round {case.rehandle_rounds}"
        if upper is not None:
            record_event(
                session,
                case,
                action=A.REFER_UP,
                by=None,
                at=at,
                to_state=S.ESCALATED,
                note=note,
                visible_to_enterprise=True,
                data={"office": upper.id},
            )
            case.office = upper
        else:
            case.with_leaders = case.leaders_involved = True
            record_event(
                session,
                case,
                action=A.REFER_TO_LEADERS,
                by=None,
                at=at,
                to_state=S.ESCALATED,
                note=note,
                visible_to_enterprise=True,
            )
        return
    _open_supervision(session, calendar, case, by=None, at=at, reason="unsatisfied", note="")


# --------------------------------------------------------------------------- supervision

SUPERVISION_REASONS = ("unsatisfied", "overdue", "other")


def _open_supervision(
    session, calendar, case: Case, *, by: User | None, at: datetime, reason: str, note: str
) -> Supervision:
    office_id = acting_office_id(case)
    year = local_date(at).year
    seq = (
        session.scalar(
            sa.select(sa.func.max(Supervision.seq)).where(
                Supervision.office_id == office_id, Supervision.year == year
            )
        )
        or 0
    ) + 1
    policy = _policy(case)
    supervision = Supervision(
        case=case,
        office_id=office_id,
        year=year,
        seq=seq,
        reason=reason,
        note=note,
        unit_id=_lead_id(case),
        opened_by_id=by.id if by else None,
        opened_at=at,
        reply_due=_due(calendar, at, policy.supervision_reply_days if policy else None),
    )
    session.add(supervision)
    case.under_supervision, case.supervision_due = True, supervision.reply_due
    record_event(
        session,
        case,
        action=A.SUPERVISE,
        by=by,
        at=at,
        note=note,
        visible_to_enterprise=True,
        data={"reason": reason, "seq": seq},
    )
    return supervision


def open_overdue_supervision(
    session, calendar: WorkCalendar, case: Case, *, at: datetime, due
) -> Supervision:
    """The scheduler's 督办 of an overdue step (Chaozhou 四(四)4 "对……超时办理的……进行督办"),
    where the profile says so (`supervise_overdue`)."""
    return _open_supervision(
        session, calendar, case, by=None, at=at, reason="overdue", note=f"{due.isoformat()}"
    )


def supervise(
    session, calendar: WorkCalendar, case: Case, *, by: User, at: datetime, reason: str, note: str
) -> Supervision:
    """督办 (Chaozhou 四(四)4; Shantou 三(五)): a numbered 督办单 to the lead unit's head, with
    the profile's reply limit (`supervision_reply_days`, the office's own limit: the seeds
    give none)."""
    check(case, by, "supervise")
    if reason not in SUPERVISION_REASONS:
        raise RuleViolation(N_("Choose why the case is supervised."), field="reason")
    note = _text(note, N_("Say what the unit must do."))
    return _open_supervision(session, calendar, case, by=by, at=at, reason=reason, note=note)


def answer_supervision(session, case: Case, *, by: User, at: datetime, text: str) -> Supervision:
    """The unit head answers the 督办单."""
    check(case, by, "answer_supervision")
    text = _text(text, N_("Write the unit's answer."), "text")
    supervision = open_supervision(case)
    assert supervision is not None  # the step's condition
    supervision.replied_at, supervision.replied_by_id, supervision.reply_text = at, by.id, text
    case.supervision_due = None
    record_event(
        session,
        case,
        action=A.ANSWER_SUPERVISION,
        by=by,
        at=at,
        note=text,
        data={"seq": supervision.seq},
    )
    return supervision


def hold_accountable(session, case: Case, *, by: User, at: datetime, note: str) -> CaseEvent:
    """问责 (Chaozhou 四(五) "对……推诿扯皮……的，严肃追责问责"): the inspector's mark."""
    check(case, by, "hold_accountable")
    note = _text(note, N_("Record the grounds."))
    case.accountability = True
    return record_event(session, case, action=A.HOLD_ACCOUNTABLE, by=by, at=at, note=note)


# --------------------------------------------------------------------------- callback, close


def callback_sampled(case: Case) -> bool:
    """Is this satisfied case in the profile's callback sample? Decided from the case number
    (stable, reproducible, not chosen by anyone): the first 16 bits of its SHA-256 below the
    profile's share."""
    policy = _policy(case)
    share = policy.callback_sample_percent if policy else 0
    return int(hashlib.sha256(case.number.encode()).hexdigest()[:4], 16) % 100 < share


def callback(
    session,
    calendar: WorkCalendar,
    case: Case,
    *,
    by: User,
    at: datetime,
    method: str,
    outcome: str,
    level: RatingLevel | None,
    solved: bool | None,
    note: str,
) -> CaseEvent:
    """回访 (Chaozhou 四(四)4 "对企业未评价的……进行回访"; Shantou 三(六)). Every attempt is
    recorded. When the enterprise is reached on a case it has not rated, its answer is
    its rating (and not satisfied sends the case back, as a rating would)."""
    check(case, by, "callback")
    if method not in CALLBACK_METHODS:
        raise RuleViolation(N_("Choose how you called back."), field="method")
    if outcome not in CALLBACK_OUTCOMES:
        raise RuleViolation(N_("Choose the outcome."), field="outcome")
    if outcome == "reached" and level is None:
        raise RuleViolation(N_("Record whether the enterprise is satisfied."), field="level")
    event = record_event(
        session,
        case,
        action=A.CALLBACK,
        by=by,
        at=at,
        note=note.strip(),
        data={
            "method": method,
            "outcome": outcome,
            "level": level.value if level else None,
            "solved": solved,
        },
    )
    if outcome != "unreachable":  # an unanswered call stays on the list, to try again
        case.needs_callback = False
    if outcome == "reached" and case.state is S.AWAITING_RATING:
        assert level is not None  # required for a reached enterprise, above
        rate(
            session,
            calendar,
            case,
            by=by,
            level=level,
            solved=bool(solved),
            comment=note,
            at=at,
            by_callback=True,
        )
    return event


def close(session, case: Case, *, by: User, at: datetime, note: str = "") -> CaseEvent:
    """销号 (Haimen 四(三)): rated, or unrated with a callback on record."""
    check(case, by, "close")
    case.closed_at, case.under_supervision = at, False
    return record_event(
        session,
        case,
        action=A.CLOSE,
        by=by,
        at=at,
        to_state=S.CLOSED,
        note=note.strip(),
        visible_to_enterprise=True,
    )


def archive(session, case: Case, *, by: User, at: datetime) -> CaseEvent:
    """归档 (Shantou 三(七) "逐宗建档、汇编成卷")."""
    check(case, by, "archive")
    return record_event(session, case, action=A.ARCHIVE, by=by, at=at, to_state=S.ARCHIVED)


def supplement(
    session,
    case: Case,
    *,
    by: User,
    text: str,
    at: datetime,
    files: Sequence[uploads.CheckedFile] = (),
    upload_root: Path,
) -> CaseEvent:
    """The enterprise adds information or files to an open case (also the way to handle a
    duplicate: Shantou 二 "再次反映同样问题的或提交补充材料的，不作为新增诉求"). The event
    tells the unit holding the case."""
    if not case.is_open:
        raise RuleViolation(N_("This case is closed; whistle again for a new problem."))
    if not text.strip() and not files:
        raise RuleViolation(N_("Write what you want to add, or attach a file."), field="text")
    if len(files) > uploads.MAX_FILES:
        raise RuleViolation(N_("Attach at most 5 files."), field="attachments")
    event = record_event(
        session,
        case,
        action=A.SUPPLEMENT,
        by=by,
        at=at,
        note=text.strip(),
        visible_to_enterprise=True,
    )
    session.flush()
    for checked in files:
        attach(session, case, checked, by=by, at=at, upload_root=upload_root, event=event)
    return event


# --------------------------------------------------------------------------- the meeting list

# Shantou 四(一) "上会诉求清单及建议名单按照以下原则确定" and 四(二) "有下列情况之一的，不予上会，
# 由承办单位办结并做好意见反馈或沟通解释工作", by number. The list reads from the record the
# rules and exclusions it can tell (`lists.meeting_candidates`); the office adds or takes
# off a case by hand under any of them, with its reason.
MEETING_RULES = {
    1: "企业诉求经有关单位办理后，相关诉求仍然未能解决或企业仍不满意的",
    2: "企业诉求涉及多个部门，无法由牵头部门协调解决需要市级层面进行统筹协调、研究解决措施的",
    3: "企业意见建议涉及我市营商环境建设、具有典型代表意义，需上会进行研究部署的",
    4: "上级领导批示或指示要求，需要予以重点跟进的",
    5: "依照相关规定，其他需上会的",
}
MEETING_EXCLUSIONS = {
    1: "一般性的意见建议类",
    2: "经承办单位已办结诉求，并经市工作专班回访确认诉求人满意的",
    3: "正在办理且相办理工作推进正常的诉求事项",
    4: "诉求人主动提出不予上会的",
    5: "依照相关规定，其他不宜上会的",
}
MEETING_ACTIONS = (A.MEETING_ADD, A.MEETING_REMOVE)
# Taken on and not closed off: what a meeting can still take up (a rated case the office
# has not closed off included).
MEETING_STATES = frozenset(CaseState) - S.CLOSED_OFF - {S.SUBMITTED}


def meeting_decision(case: Case) -> CaseEvent | None:
    """The office's latest decision by hand about the meeting list, if it made one."""
    found = [e for e in case.events if e.action in MEETING_ACTIONS]
    return found[-1] if found else None


def _decided(case: Case) -> EventAction | None:
    decision = meeting_decision(case)
    return EventAction(decision.action) if decision is not None else None


def meeting_office(case: Case, user: User) -> bool:
    """The office of the case's jurisdiction or of one above it: the meeting's list covers
    its own level and the levels below (Shantou 一(一)3 "督促指导各区（县）")."""
    chain = {case.jurisdiction_id, *(j.id for j in case.jurisdiction.ancestors)}
    return user.unit is not None and user.unit.jurisdiction_id in chain


def _meeting_choice(value, choices: dict, message: str, field: str) -> int:
    number = int(value) if str(value or "").isdecimal() else 0
    if number not in choices:
        raise RuleViolation(message, field=field)
    return number


def put_on_meeting_list(
    session, case: Case, *, by: User, at: datetime, rule, reason: str
) -> CaseEvent:
    """The office puts a case on the meeting's list by hand (Shantou 四 "由市工作专班会同……
    研究提出上会诉求清单"), under one of 四(一)'s rules, with its reason. Rule 3 "企业意见建议
    ……具有典型代表意义" is how a typical suggestion stays on the list although 四(二)1 leaves
    general suggestions off."""
    check(case, by, "meeting_add")
    rule = _meeting_choice(rule, MEETING_RULES, N_("Choose the rule it meets."), "rule")
    reason = _text(reason, N_("Say why the meeting should take it up."), "reason")
    return record_event(
        session, case, action=A.MEETING_ADD, by=by, at=at, note=reason, data={"rule": rule}
    )


def take_off_meeting_list(
    session, case: Case, *, by: User, at: datetime, exclusion, reason: str
) -> CaseEvent:
    """The office takes a case off the meeting's list by hand under one of 四(二)'s
    exclusions (4 "诉求人主动提出不予上会的", 5 "其他不宜上会的" are the office's to judge),
    with its reason. The unit handles it on ("由承办单位办结并做好意见反馈或沟通解释工作")."""
    check(case, by, "meeting_remove")
    exclusion = _meeting_choice(
        exclusion, MEETING_EXCLUSIONS, N_("Choose why it stays off."), "exclusion"
    )
    reason = _text(reason, N_("Say why the meeting should not take it up."), "reason")
    return record_event(
        session,
        case,
        action=A.MEETING_REMOVE,
        by=by,
        at=at,
        note=reason,
        data={"exclusion": exclusion},
    )


# --------------------------------------------------------------------------- tracking codes


def issue_tracking_code(case: Case) -> str:
    """A code for the short link in SMS messages (/t/<code>). Only its hash is stored; a new
    code replaces the old one."""
    code = secrets.token_urlsafe(12)
    case.tracking_hash = hash_tracking_code(code)
    return code


def hash_tracking_code(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def find_tracked_case(session, number: str, mobile: str) -> Case | None:
    """The case with this number whose registered contact mobile is `mobile` (the /track
    page: no account needed), both read however they were typed (`tracking.py`)."""
    candidates = tracking.case_number_candidates(number)
    if not candidates:
        return None
    cases = session.scalars(sa.select(Case).where(Case.number.in_(candidates)))
    return next((c for c in cases if tracking.same_phone(c.contact_phone, mobile)), None)


# --------------------------------------------------------------------------- the steps

# Every step, declared once: its verb, the events it writes, who may take it from which
# states, and any further condition. Pages offer the steps in this order
# (`available_steps`); the web layer adds each staff step's form and title under the same
# name (`portal/blueprints/cases/steps.py`), and a test fails if either side lacks a part.
OFFICE, LEADER, HEAD = {Role.OFFICE}, {Role.LEADER}, {Role.HEAD}
STEPS: dict[str, Step] = {
    # Triage (Shantou 二, 三(一)-(二); Chaozhou 四(四)1)
    "accept": step(accept, {A.ACCEPT}, OFFICE, {S.SUBMITTED}, office),
    "refuse": step(refuse, {A.REFUSE}, OFFICE, {S.SUBMITTED, S.ACCEPTED}, office),
    "merge": step(merge, {A.MERGE, A.SUPPLEMENT}, OFFICE, {S.SUBMITTED, S.ACCEPTED}, office),
    "answer": step(answer, {A.ANSWER}, OFFICE, {S.SUBMITTED, S.ACCEPTED}, office),
    "office_contact": step(contact, {A.CONTACT}, OFFICE, {S.SUBMITTED, S.ACCEPTED}, office),
    # Dispatch and approval (呈批)
    "dispatch": step(
        dispatch,
        {A.DISPATCH, A.REQUEST_APPROVAL},
        OFFICE,
        {S.ACCEPTED, S.ESCALATED},
        office,
        when=lambda case: not case.return_pending,
    ),
    "rule_on_return": step(
        rule_on_return,
        {A.RULE_ON_RETURN},
        OFFICE,
        {S.ACCEPTED},
        office,
        when=lambda case: case.return_pending,
    ),
    "approve_dispatch": step(
        approve_dispatch, {A.APPROVE_DISPATCH}, LEADER, {S.AWAITING_APPROVAL}, leaders
    ),
    "reject_dispatch": step(
        reject_dispatch, {A.REJECT_DISPATCH}, LEADER, {S.AWAITING_APPROVAL}, leaders
    ),
    # The lead unit reports in
    "sign": step(sign, {A.SIGN}, STAFF_OF_UNIT, {S.DISPATCHED}, lead),
    "return": step(return_case, {A.RETURN}, STAFF_OF_UNIT, {S.DISPATCHED}, lead),
    "contact": step(contact, {A.CONTACT}, STAFF_OF_UNIT, {S.DISPATCHED, *S.HANDLING}, lead),
    "progress": step(progress, {A.PROGRESS}, STAFF_OF_UNIT, S.HANDLING, lead_or_co),
    "contribute": step(contribute, {A.CONTRIBUTE}, STAFF_OF_UNIT, S.HANDLING, co),
    "plan": step(plan, {A.PLAN}, STAFF_OF_UNIT, {S.IN_HAND}, lead, when=plans_allowed),
    "request_extension": step(
        request_extension,
        {A.REQUEST_EXTENSION},
        STAFF_OF_UNIT,
        {S.IN_HAND},
        lead,
        when=extension_possible,
    ),
    "decide_extension": step(
        decide_extension,
        {A.DECIDE_EXTENSION},
        HEAD,
        {S.IN_HAND},
        lead_head,
        when=lambda case: pending_extension(case) is not None,
    ),
    "long_term": step(long_term, {A.LONG_TERM}, STAFF_OF_UNIT, {S.IN_HAND}, lead),
    "stop_clock": step(
        stop_clock, {A.STOP_CLOCK}, STAFF_OF_UNIT, {S.IN_HAND}, lead, when=clock_can_stop
    ),
    "resume_clock": step(
        resume_clock,
        {A.RESUME_CLOCK},
        STAFF_OF_UNIT,
        {S.IN_HAND},
        lead,
        when=lambda case: case.clock_stopped_at is not None,
    ),
    "reply": step(reply, {A.REPLY}, STAFF_OF_UNIT, S.HANDLING, lead),
    # Escalation: lead unit → office → leading group / upper office
    "escalate": step(escalate, {A.ESCALATE}, STAFF_OF_UNIT, {S.DISPATCHED, *S.HANDLING}, lead),
    "refer_to_leaders": step(
        refer_to_leaders,
        {A.REFER_TO_LEADERS},
        OFFICE,
        {S.ESCALATED},
        office,
        when=lambda case: not case.with_leaders,
    ),
    "refer_up": step(refer_up, {A.REFER_UP}, OFFICE, {S.ESCALATED}, office, when=has_upper_office),
    "instruct": step(
        instruct,
        {A.INSTRUCT},
        LEADER,
        {S.ESCALATED},
        leaders,
        when=lambda case: case.with_leaders,
    ),
    # Review, rating, callback
    "approve_reply": step(approve_reply, {A.PUBLISH_REPLY}, OFFICE, {S.REPLIED}, office),
    "send_back": step(send_back, {A.SEND_BACK}, OFFICE, {S.REPLIED}, office),
    "rate": step(rate, {A.RATE}, {Role.ENTERPRISE}, {S.AWAITING_RATING}, own),
    "callback": step(callback, {A.CALLBACK}, OFFICE, {S.AWAITING_RATING, S.RATED}, office),
    # Supervision and accountability
    "supervise": step(
        supervise,
        {A.SUPERVISE},
        {Role.OFFICE, Role.INSPECTOR},
        S.IN_PROGRESS,
        oversight,
        when=lambda case: open_supervision(case) is None,
    ),
    "answer_supervision": step(
        answer_supervision,
        {A.ANSWER_SUPERVISION},
        HEAD,
        S.IN_PROGRESS | {S.REPLIED},
        lead_head,
        when=lambda case: open_supervision(case) is not None,
    ),
    "hold_accountable": step(
        hold_accountable,
        {A.HOLD_ACCOUNTABLE},
        {Role.INSPECTOR},
        S.IN_PROGRESS | {S.REPLIED, S.AWAITING_RATING, S.RATED, S.CLOSED},
        oversight,
        when=lambda case: not case.accountability,
    ),
    # The city meeting's list, by hand (Shantou 四)
    "meeting_add": step(
        put_on_meeting_list,
        {A.MEETING_ADD},
        OFFICE,
        MEETING_STATES,
        meeting_office,
        when=lambda case: _decided(case) is not A.MEETING_ADD,
    ),
    "meeting_remove": step(
        take_off_meeting_list,
        {A.MEETING_REMOVE},
        OFFICE,
        MEETING_STATES,
        meeting_office,
        when=lambda case: _decided(case) is not A.MEETING_REMOVE,
    ),
    # The end: 销号 and 归档
    "close": step(close, {A.CLOSE}, OFFICE, {S.RATED, S.AWAITING_RATING}, office, when=closable),
    "archive": step(archive, {A.ARCHIVE}, OFFICE, {S.CLOSED, S.REFUSED, S.MERGED}, office),
}
