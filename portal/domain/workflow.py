"""The case's life as verbs. Each verb checks the rules, sets deadlines from the calendar and
the jurisdiction's policy, appends one case event, and raises RuleViolation when a rule
forbids the step. The actor and `now` are always passed in; nothing here reads a clock.

This module starts with registration; the triage, dispatch and handling verbs build on it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Optional

from portal.domain.calendar import WorkCalendar, local_date
from portal.domain.errors import N_, RuleViolation
from pathlib import Path

import sqlalchemy as sa

from portal.domain import uploads
from portal.domain.models import (
    Attachment, Case, CaseEvent, CaseState, CaseType, Category, Channel, Enterprise,
    Jurisdiction, JurisdictionLevel, OrgUnit, UnitKind, User,
)
from portal.domain.numbering import format_number, next_seq


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
    if policy is not None and policy.contact_days is not None:
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
