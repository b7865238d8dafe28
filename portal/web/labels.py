"""Translated labels for the domain's enumerations, for templates and form choices."""

from __future__ import annotations

from flask import g
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
    JurisdictionLevel,
    RatingLevel,
    Role,
    UnitKind,
)

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


ACTIONS = {
    "register": _l("Registered"),
    "supplement": _l("Information added"),
    "accept": _l("Accepted by the office"),
    "refuse": _l("Not accepted"),
    "merge": _l("Merged with an earlier case"),
    "answer": _l("Answered on the spot"),
    "contact": _l("In touch with the enterprise"),
    "dispatch": _l("Dispatched to the department"),
    "request_approval": _l("Sent for a leader's approval"),
    "approve_dispatch": _l("Dispatch approved by a leader"),
    "reject_dispatch": _l("Dispatch not approved"),
    "sign": _l("Signed for by the department"),
    "return": _l("Returned to the office"),
    "rule_on_return": _l("Office ruled on the return"),
    "progress": _l("Progress"),
    "contribute": _l("Co-handling unit's part"),
    "plan": _l("Handling plan with a promised date"),
    "request_extension": _l("More time requested"),
    "decide_extension": _l("More time decided"),
    "long_term": _l("Kept open as long-term"),
    "stop_clock": _l("Clock stopped, awaiting materials"),
    "resume_clock": _l("Clock running again"),
    "escalate": _l("Escalated to the office"),
    "refer_to_leaders": _l("Referred to the leading group"),
    "refer_up": _l("Referred to the level above"),
    "instruct": _l("Leaders' instruction"),
    "reply": _l("Reply drafted"),
    "publish_reply": _l("Reply sent"),
    "send_back": _l("Reply sent back for more work"),
    "rate": _l("Rated by the enterprise"),
    "callback": _l("Called back"),
    "supervise": _l("Put under supervision"),
    "overdue": _l("Marked overdue"),
    "answer_supervision": _l("Supervision answered"),
    "hold_accountable": _l("Held accountable"),
    "close": _l("Closed off"),
    "archive": _l("Archived"),
}


def _cached(key, make) -> str:
    """Translated once per request: a timeline of 200 events asks for the same few labels
    hundreds of times (each lazy string would look up the locale again)."""
    cache = g.setdefault("_labels", {})
    if key not in cache:
        cache[key] = make()
    return cache[key]


def action_label(action: str) -> str:
    return _cached(("action", action), lambda: str(ACTIONS.get(action, action)))


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
