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
from portal.domain.models import (
    Case, CaseEvent, CaseState, CaseType, Category, Channel, Enterprise, Jurisdiction, OrgUnit,
    User,
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
