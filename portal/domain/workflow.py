"""The case's life as verbs. Each verb checks the rules, sets deadlines from the calendar and
the jurisdiction's policy, appends one case event, and raises RuleViolation when a rule
forbids the step. The actor and `now` are always passed in; nothing here reads a clock.

Here so far: registration, the portal's whistle (with attachments and duplicates added as
information), the reply, the enterprise's rating and tracking codes. Triage, dispatch,
sign, handling and extension belong to the workbench and build on the same pieces.
"""

from __future__ import annotations

from datetime import datetime
from typing import Optional

from portal.domain.calendar import WorkCalendar, local_date
from portal.domain.errors import N_, RuleViolation
import hashlib
import secrets
from pathlib import Path

import sqlalchemy as sa

from portal.domain import uploads
from portal.domain.models import (
    Attachment, Case, CaseEvent, CaseState, CaseType, Category, Channel, Enterprise,
    Jurisdiction, JurisdictionLevel, OrgUnit, Rating, RatingLevel, UnitKind, User,
)
from portal.domain.numbering import format_number, next_seq
from portal.domain.policies import finish_days_for


# Chaozhou 四(四)1: "非现场或电话接收的、有企业联系方式的，应在1个工作日内与企业取得对接联系" —
# a whistle taken on the phone or face to face is already a contact.
ALREADY_IN_CONTACT = frozenset({Channel.PHONE, Channel.VISIT, Channel.SERVICE_CENTRE,
                                Channel.LEADER_VISIT})


def record_event(session, case: Case, *, action: str, by: Optional[User], at: datetime,
                 to_state: Optional[CaseState] = None, note: str = "",
                 visible_to_enterprise: bool = False) -> CaseEvent:
    """Append an event and move the case to `to_state` (when given) in one step."""
    event = CaseEvent(
        case=case, at=at, actor_id=by.id if by is not None else None,
        actor_unit_id=by.unit_id if by is not None else None, action=action,
        from_state=case.state, to_state=to_state or case.state, note=note,
        visible_to_enterprise=visible_to_enterprise,
    )
    if to_state is not None:
        case.state = to_state
    session.add(event)
    return event


def register_case(session, calendar: WorkCalendar, *, jurisdiction: Jurisdiction,
                  applicant_name: str, contact_name: str, contact_phone: str, title: str,
                  content: str, case_type: CaseType, channel: Channel, at: datetime,
                  by: Optional[User], enterprise: Optional[Enterprise] = None,
                  category: Optional[Category] = None,
                  receiving_unit: Optional[OrgUnit] = None,
                  submission_key: Optional[str] = None) -> Case:
    """Register a whistle as a case (Chaozhou 四(四)1 受理登记, 附件2's fields).

    The case gets the next number of its jurisdiction and year, state SUBMITTED, and its
    contact deadline: "应在1个工作日内与企业取得对接联系" under the jurisdiction's policy.
    """
    if not content.strip():
        raise RuleViolation(N_("Describe the problem."), field="content")
    if not contact_phone.strip():
        raise RuleViolation(N_("Enter a contact phone number."), field="contact_phone")
    year = local_date(at).year
    seq = next_seq(session, jurisdiction.id, year)
    policy = jurisdiction.effective_policy
    contact_due = None
    if policy is not None and policy.contact_days is not None \
            and channel not in ALREADY_IN_CONTACT:
        contact_due = calendar.due_date(at, policy.contact_days)
    case = Case(
        number=format_number(jurisdiction, year, seq), jurisdiction=jurisdiction, year=year,
        seq=seq, enterprise=enterprise, applicant_name=applicant_name,
        contact_name=contact_name, contact_phone=contact_phone, title=title, content=content,
        category=category, type=case_type, channel=channel, received_at=at,
        receiving_unit=receiving_unit, received_by=by if by and by.role.is_staff else None,
        submitted_by=by if by and not by.role.is_staff else None, state=CaseState.SUBMITTED,
        contact_due=contact_due, submission_key=submission_key, created_at=at,
    )
    session.add(case)
    event = record_event(session, case, action="register", by=by, at=at,
                         note=channel.value, visible_to_enterprise=True)
    event.from_state = None
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
        found = session.scalars(sa.select(Category).where(
            Category.jurisdiction_id == node.id, Category.active).order_by(Category.number)).all()
        if found:
            return list(found)
    return []


def office_of(session, jurisdiction: Jurisdiction) -> Optional[OrgUnit]:
    """The office (领导小组办公室/工作专班) that receives whistles for `jurisdiction`."""
    for node in [jurisdiction, *jurisdiction.ancestors]:
        office = session.scalar(sa.select(OrgUnit).where(
            OrgUnit.jurisdiction_id == node.id, OrgUnit.kind == UnitKind.OFFICE,
            OrgUnit.active).order_by(OrgUnit.id).limit(1))
        if office is not None:
            return office
    return None


def whistle(session, calendar: WorkCalendar, *, by: User, level: str, case_type: CaseType,
            category_number: Optional[int], title: str, content: str, contact_name: str,
            contact_phone: str, at: datetime, submission_key: str,
            files: list[uploads.CheckedFile] = (), upload_root: Path) -> Case:
    """An enterprise user whistles on the portal.

    Chaozhou 四(三)1: "属咨询事项的，企业可选择向市、县（区）两级部门进行吹哨；属业务办理事项的，
    按属地管理原则……一般情况下，先向县（区）有关部门和开发区管委会吹哨". So business handling
    goes to the local level; other types may choose the city.

    Idempotent: a resend with the same `submission_key` returns the case already created.
    """
    enterprise = by.enterprise
    if enterprise is None:
        raise RuleViolation(N_("Only an enterprise account can whistle."))
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
        raise RuleViolation(N_("Business handling goes to your county, district or zone first. "
                               "Choose the local level."), field="level")
    target = targets[level]
    category = None
    if category_number is not None:
        category = next((c for c in categories_of(session, target)
                         if c.number == category_number), None)
        if category is None:
            raise RuleViolation(N_("This category is not used at the level you chose. Choose "
                                   "another category or level."), field="category")
    case = register_case(
        session, calendar, jurisdiction=target, applicant_name=enterprise.name,
        contact_name=contact_name, contact_phone=contact_phone, title=title, content=content,
        case_type=case_type, channel=Channel.PORTAL, at=at, by=by, enterprise=enterprise,
        category=category, receiving_unit=office_of(session, target),
        submission_key=submission_key)
    session.flush()
    for checked in files:
        attach(session, case, checked, by=by, at=at, upload_root=upload_root)
    return case


def attach(session, case: Case, checked: uploads.CheckedFile, *, by: Optional[User],
           at: datetime, upload_root: Path, event: Optional[CaseEvent] = None,
           visible_to_enterprise: bool = True) -> Attachment:
    stored = uploads.store(upload_root, checked)
    attachment = Attachment(
        case=case, event=event, filename=checked.filename, stored_name=stored,
        content_type=checked.content_type, size=len(checked.data), sha256=checked.sha256,
        uploaded_by_id=by.id if by is not None else None, uploaded_at=at,
        visible_to_enterprise=visible_to_enterprise)
    session.add(attachment)
    return attachment


# --------------------------------------------------------------------------- reply, rating

REPLY_STATES = (CaseState.IN_HAND, CaseState.LONG_TERM, CaseState.ESCALATED)
RATEABLE_STATES = (CaseState.REPLIED, CaseState.AWAITING_RATING)


def reply(session, case: Case, *, by: User, text: str, at: datetime) -> CaseEvent:
    """办结反馈: the lead unit's answer to the enterprise ("谁主办、谁反馈", Chaozhou 四(四)3).

    The handling verbs before it (sign, handle, extend) belong to the workbench; this one is
    here because the enterprise portal shows the reply and rates it.
    """
    if case.state not in REPLY_STATES:
        raise RuleViolation(N_("Only a case being handled can be replied to."))
    if not text.strip():
        raise RuleViolation(N_("Write the reply to the enterprise."), field="text")
    case.reply_text = text.strip()
    case.replied_at = at
    return record_event(session, case, action="reply", by=by, at=at, to_state=CaseState.REPLIED,
                        note=text.strip(), visible_to_enterprise=True)


def latest_reply(case: Case) -> Optional[CaseEvent]:
    replies = [e for e in case.events if e.action == "reply"]
    return replies[-1] if replies else None


def rating_deadline(case: Case, calendar: WorkCalendar):
    """The last day the enterprise may rate the latest reply (the profile's window)."""
    event = latest_reply(case)
    policy = case.jurisdiction.effective_policy
    if event is None or policy is None:
        return None
    return calendar.due_date(event.at, policy.rating_window_days)


def rating_levels(case: Case) -> tuple[RatingLevel, ...]:
    """满意 / 不满意, plus 基本满意 where the profile has three levels (Chengkou)."""
    policy = case.jurisdiction.effective_policy
    if policy is not None and policy.rating_levels == 3:
        return (RatingLevel.SATISFIED, RatingLevel.BASICALLY, RatingLevel.UNSATISFIED)
    return (RatingLevel.SATISFIED, RatingLevel.UNSATISFIED)


def can_rate(case: Case, calendar: WorkCalendar, at: datetime) -> bool:
    if case.state not in RATEABLE_STATES:
        return False
    event = latest_reply(case)
    if event is None or any(r.reply_event_id == event.id for r in case.ratings):
        return False
    deadline = rating_deadline(case, calendar)
    return deadline is None or local_date(at) <= deadline


def rate(session, calendar: WorkCalendar, case: Case, *, by: Optional[User],
         level: RatingLevel, solved: bool, comment: str, at: datetime) -> Rating:
    """服务反馈评价 (Chaozhou 四(四)4, 附件3; Chengkou 五(三)3; Haimen 附件1 回访情况).

    Satisfied (or basically satisfied) closes the loop as RATED. Unsatisfied sends the case
    back to its lead unit for re-handling ("责成重新办理") and puts it under supervision
    ("对企业不满意……由本级领导小组办公室进行督办"): two events, one transaction.
    """
    if case.state not in RATEABLE_STATES:
        raise RuleViolation(N_("This case is not waiting for your rating."))
    event = latest_reply(case)
    if event is None or any(r.reply_event_id == event.id for r in case.ratings):
        raise RuleViolation(N_("This reply has already been rated."))
    if level not in rating_levels(case):
        raise RuleViolation(N_("Choose one of the ratings offered."), field="level")
    deadline = rating_deadline(case, calendar)
    if deadline is not None and local_date(at) > deadline:
        raise RuleViolation(N_("The time for rating this reply has passed; the office will "
                               "call you to ask."))
    rating = Rating(case=case, reply_event_id=event.id, level=level, solved=solved,
                    comment=comment.strip(), rated_by_id=by.id if by else None, at=at)
    session.add(rating)
    note = comment.strip()
    if level is RatingLevel.UNSATISFIED:
        record_event(session, case, action="rate", by=by, at=at, to_state=CaseState.IN_HAND,
                     note=note, visible_to_enterprise=True)
        case.under_supervision = True
        # 重新办理: a new round with the profile's full handling limit from today.
        policy = case.jurisdiction.effective_policy
        days = finish_days_for(policy, case.type) if policy is not None else None
        case.finish_due = calendar.due_date(at, days) if days is not None else None
        record_event(session, case, action="supervise", by=None, at=at,
                     note="unsatisfied rating", visible_to_enterprise=True)
    else:
        record_event(session, case, action="rate", by=by, at=at, to_state=CaseState.RATED,
                     note=note, visible_to_enterprise=True)
    return rating


def supplement(session, case: Case, *, by: User, text: str, at: datetime,
               files: list[uploads.CheckedFile] = (), upload_root: Path) -> CaseEvent:
    """The enterprise adds information or files to an open case (also the way to handle a
    duplicate: Shantou 二 "再次反映同样问题的或提交补充材料的，不作为新增诉求"). The event
    tells the unit holding the case."""
    if not case.is_open:
        raise RuleViolation(N_("This case is closed; whistle again for a new problem."))
    if not text.strip() and not files:
        raise RuleViolation(N_("Write what you want to add, or attach a file."), field="text")
    if len(files) > uploads.MAX_FILES:
        raise RuleViolation(N_("Attach at most 5 files."), field="attachments")
    event = record_event(session, case, action="supplement", by=by, at=at, note=text.strip(),
                         visible_to_enterprise=True)
    session.flush()
    for checked in files:
        attach(session, case, checked, by=by, at=at, upload_root=upload_root, event=event)
    return event


# --------------------------------------------------------------------------- tracking codes

def issue_tracking_code(case: Case) -> str:
    """A code for the short link in SMS messages (/t/<code>). Only its hash is stored; a new
    code replaces the old one."""
    code = secrets.token_urlsafe(12)
    case.tracking_hash = hash_tracking_code(code)
    return code


def hash_tracking_code(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def find_tracked_case(session, number: str, mobile: str) -> Optional[Case]:
    """The case with this number whose registered contact mobile is `mobile` (the /track
    page: no account needed)."""
    case = session.scalar(sa.select(Case).where(Case.number == number.strip().upper()))
    if case is None or case.contact_phone.strip() != mobile.strip():
        return None
    return case
