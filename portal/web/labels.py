"""Translated labels for the domain's enumerations, for templates and form choices."""

from __future__ import annotations

from flask import g
from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from wtforms.fields.choices import SelectChoice

from portal.domain.access import sees_contact
from portal.domain.models import (
    CalendarDayKind,
    CaseState,
    CaseType,
    Channel,
    ContactMethod,
    EnterpriseKind,
    EventAction,
    JurisdictionLevel,
    RatingLevel,
    Role,
    UnitKind,
)

A = EventAction

LABELS = {
    CaseState.SUBMITTED: _l("Awaiting acceptance"),
    CaseState.ACCEPTED: _l("Accepted"),
    CaseState.REFUSED: _l("Not accepted"),
    CaseState.MERGED: _l("Merged as duplicate"),
    CaseState.AWAITING_APPROVAL: _l("Awaiting approval"),
    CaseState.DISPATCHED: _l("Dispatched, awaiting sign"),
    CaseState.IN_HAND: _l("Being handled"),
    CaseState.LONG_TERM: _l("Kept open as long-term"),
    CaseState.ESCALATED: _l("Escalated"),
    CaseState.REPLIED: _l("Reply given"),
    CaseState.AWAITING_RATING: _l("Awaiting rating"),
    CaseState.RATED: _l("Rated"),
    CaseState.CLOSED: _l("Closed off"),
    CaseState.ARCHIVED: _l("Archived"),
    CaseType.CONSULTATION: _l("Consultation"),
    CaseType.SUGGESTION: _l("Suggestion"),
    CaseType.COMPLAINT: _l("Complaint"),
    CaseType.BUSINESS: _l("Business handling"),
    Channel.PORTAL: _l("Online portal"),
    Channel.HOTLINE_12345: _l("12345 hotline"),
    Channel.PHONE: _l("Phone"),
    Channel.EMAIL: _l("E-mail"),
    Channel.WECHAT: _l("WeChat"),
    Channel.VISIT: _l("Visit in person"),
    Channel.SERVICE_CENTRE: _l("Offline service centre"),
    Channel.DEPUTY: _l("Deputies and committee members"),
    Channel.ASSOCIATION: _l("Association or chamber on behalf"),
    Channel.LEADER_VISIT: _l("Leaders' visits"),
    Channel.LIAISON: _l("Forwarded by a liaison"),
    EnterpriseKind.ABOVE_SCALE_INDUSTRY: _l("Industrial enterprise above designated size"),
    EnterpriseKind.FOUR_ABOVE: _l("Enterprise above designated size (four kinds)"),
    EnterpriseKind.SME: _l("Small, medium or micro enterprise"),
    EnterpriseKind.INDIVIDUAL: _l("Individual business"),
    Role.ENTERPRISE: _l("Enterprise"),
    Role.OFFICE: _l("Office"),
    Role.HANDLER: _l("Department handler"),
    Role.HEAD: _l("Department head"),
    Role.LEADER: _l("Leader"),
    Role.LIAISON: _l("Liaison"),
    Role.INSPECTOR: _l("Inspector"),
    Role.ADMIN: _l("Administrator"),
    RatingLevel.SATISFIED: _l("Satisfied"),
    RatingLevel.BASICALLY: _l("Basically satisfied"),
    RatingLevel.UNSATISFIED: _l("Not satisfied"),
    ContactMethod.PHONE: _l("Phone"),
    ContactMethod.TALKS: _l("Talks"),
    ContactMethod.VISIT: _l("Visit"),
    ContactMethod.OTHER: _l("Other"),
    CalendarDayKind.HOLIDAY: _l("Holiday"),
    CalendarDayKind.WORKDAY: _l("Working day"),
    JurisdictionLevel.PROVINCE: _l("Province"),
    JurisdictionLevel.CITY: _l("City"),
    JurisdictionLevel.COUNTY: _l("County or district"),
    JurisdictionLevel.ZONE: _l("Development zone"),
    JurisdictionLevel.TOWN: _l("Town or street"),
    JurisdictionLevel.VILLAGE: _l("Village or community"),
    UnitKind.LEADING_GROUP: _l("Leading group"),
    UnitKind.OFFICE: _l("Leading group's office"),
    UnitKind.DEPARTMENT: _l("Department"),
    UnitKind.INSPECTION: _l("Inspector's office"),
    UnitKind.SECTION: _l("Town section"),
    UnitKind.SERVICE_CENTRE: _l("Service centre"),
    UnitKind.VILLAGE_COMMITTEE: _l("Village or community committee"),
}


# The timeline's words for each event a case records (every `EventAction` has one).
EVENT_LABELS: dict[EventAction, LazyString] = {
    A.REGISTER: _l("Registered"),
    A.SUPPLEMENT: _l("Information added"),
    A.ACCEPT: _l("Accepted by the office"),
    A.REFUSE: _l("Not accepted"),
    A.MERGE: _l("Merged with an earlier case"),
    A.ANSWER: _l("Answered on the spot"),
    A.CONTACT: _l("In touch with the enterprise"),
    A.DISPATCH: _l("Dispatched to the department"),
    A.REQUEST_APPROVAL: _l("Sent for a leader's approval"),
    A.APPROVE_DISPATCH: _l("Dispatch approved by a leader"),
    A.REJECT_DISPATCH: _l("Dispatch not approved"),
    A.SIGN: _l("Signed for by the department"),
    A.RETURN: _l("Returned to the office"),
    A.RULE_ON_RETURN: _l("Office ruled on the return"),
    A.PROGRESS: _l("Progress"),
    A.CONTRIBUTE: _l("Co-handling unit's part"),
    A.PLAN: _l("Handling plan with a promised date"),
    A.REQUEST_EXTENSION: _l("More time requested"),
    A.DECIDE_EXTENSION: _l("More time decided"),
    A.LONG_TERM: _l("Kept open as long-term"),
    A.STOP_CLOCK: _l("Clock stopped, awaiting materials"),
    A.RESUME_CLOCK: _l("Clock running again"),
    A.ESCALATE: _l("Escalated to the office"),
    A.REFER_TO_LEADERS: _l("Referred to the leading group"),
    A.REFER_UP: _l("Referred to the level above"),
    A.INSTRUCT: _l("Leaders' instruction"),
    A.REPLY: _l("Reply drafted"),
    A.PUBLISH_REPLY: _l("Reply sent"),
    A.SEND_BACK: _l("Reply sent back for more work"),
    A.RATE: _l("Rated by the enterprise"),
    A.CALLBACK: _l("Called back"),
    A.SUPERVISE: _l("Put under supervision"),
    A.OVERDUE: _l("Marked overdue"),
    A.ANSWER_SUPERVISION: _l("Supervision answered"),
    A.HOLD_ACCOUNTABLE: _l("Held accountable"),
    A.CLOSE: _l("Closed off"),
    A.ARCHIVE: _l("Archived"),
    A.MEETING_ADD: _l("Put on the meeting list"),
    A.MEETING_REMOVE: _l("Taken off the meeting list"),
}

# Words for the codes the domain keeps (contact methods, return and supervision reasons…).
CODE_LABELS = {
    ("contact", "phone"): _l("Phone"),
    ("contact", "visit"): _l("Visit"),
    ("contact", "talks"): _l("Talks"),
    ("contact", "meeting"): _l("Special meeting"),
    ("contact", "experts"): _l("Experts"),
    ("return", "not_our_duty"): _l("Not this unit's duty"),
    ("return", "needs_other_lead"): _l("Another unit should lead"),
    ("return", "unclear"): _l("The request is unclear"),
    ("return", "other_level"): _l("Belongs to another level"),
    ("return", "other"): _l("Other"),
    ("callback", "phone"): _l("Phone"),
    ("callback", "visit"): _l("Visit"),
    ("outcome", "reached"): _l("Reached"),
    ("outcome", "unreachable"): _l("Could not be reached"),
    ("outcome", "declined"): _l("Declined to answer"),
    ("supervision", "unsatisfied"): _l("Enterprise not satisfied"),
    ("supervision", "overdue"): _l("Overdue"),
    ("supervision", "other"): _l("Other"),
}


def label_of(kind: str, code) -> str:
    return str(CODE_LABELS.get((kind, code), code))


def _cached(key, make) -> str:
    """Translated once per request: a timeline of 200 events asks for the same few labels
    hundreds of times (each lazy string would look up the locale again)."""
    cache = g.setdefault("_labels", {})
    if key not in cache:
        cache[key] = make()
    return cache[key]


def action_label(action: str) -> str:
    return _cached(("action", action), lambda: str(EVENT_LABELS.get(action, action)))


def label(member) -> str:
    return _cached(member, lambda: str(LABELS.get(member, getattr(member, "value", member))))


def choices(enum_cls) -> list[SelectChoice]:
    return [SelectChoice(m.value, LABELS[m]) for m in enum_cls]


def masked_mobile(mobile: str | None) -> str:
    """138****0001: lists show a mobile number masked (GB/T 35273, minimum necessary)."""
    if not mobile or len(mobile) < 7:
        return mobile or ""
    return f"{mobile[:3]}****{mobile[-4:]}"


def case_contact_phone(case, user) -> str:
    """The case's contact phone as `user` may see it: whole for the enterprise and the
    staff assigned to the case, masked for everyone else (SECURITY.md checklists 13, 31)."""
    if sees_contact(case, user):
        return case.contact_phone or ""
    return masked_mobile(case.contact_phone)


def init_app(app) -> None:
    app.add_template_filter(label, "label")
    app.add_template_filter(action_label, "action_label")
    app.add_template_filter(masked_mobile, "masked_mobile")
