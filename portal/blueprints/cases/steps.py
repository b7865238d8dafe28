"""Each staff step's web part, in one entry under the name `workflow.STEPS` gives its rule:
its form, its title and the call of its verb with what the form holds (issue 19: adding a
step is one entry in `workflow.STEPS` and one here)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask import request
from flask_babel import LazyString
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload
from wtforms.fields.choices import SelectChoice

from portal.blueprints.cases.forms import (
    AccountableForm,
    AnswerForm,
    AnswerSupervisionForm,
    ApprovalNoteForm,
    CallbackForm,
    ContactForm,
    ContributeForm,
    DecideExtensionForm,
    DispatchForm,
    EmptyForm,
    EscalateForm,
    ExtensionForm,
    InstructForm,
    LongTermForm,
    MeetingAddForm,
    MeetingRemoveForm,
    MergeForm,
    NoteForm,
    PlanForm,
    ProgressForm,
    RefuseForm,
    RejectForm,
    ReplyForm,
    ReturnForm,
    RuleOnReturnForm,
    SendBackForm,
    StepForm,
    StopClockForm,
    SuperviseForm,
    ToLeadersForm,
    UpForm,
)
from portal.domain import uploads, workflow
from portal.domain.access import jurisdiction_subtree
from portal.domain.calendar import BEIJING
from portal.domain.errors import RuleViolation
from portal.domain.models import (
    Case,
    OrgUnit,
    RatingLevel,
    UnitKind,
)
from portal.extensions import db
from portal.web.labels import label, label_of
from portal.web.uploads import upload_root


def _when(value) -> datetime | None:
    """A datetime-local typed by staff is Beijing time."""
    return value.replace(tzinfo=BEIJING) if value is not None else None


def _unit(value) -> OrgUnit | None:
    return db.session.get(OrgUnit, int(value)) if value and str(value).isdigit() else None


def _reply(form, case, by, at, calendar):
    try:
        files = uploads.check_files(form.attachments.data)
    except RuleViolation as violation:
        violation.field = violation.field or "attachments"
        raise
    event = workflow.reply(db.session, calendar, case, by=by, text=form.text.data or "", at=at)
    db.session.flush()
    for checked in files:
        workflow.attach(
            db.session,
            case,
            checked,
            by=by,
            at=at,
            upload_root=upload_root(),
            event=event,
            visible_to_enterprise=False,
        )
    return event


def _approve_reply(form, case, by, at, calendar):
    event = workflow.approve_reply(db.session, calendar, case, by=by, at=at)
    reply = workflow.latest_reply(case)
    for attachment in case.attachments:  # the reply's files reach the enterprise with it
        if attachment.event_id == reply.id:
            attachment.visible_to_enterprise = True
    return event


def _contact(form, case, by, at, calendar):
    """The office's contact on receipt and the unit's after the dispatch: one form, one verb."""
    return workflow.contact(
        db.session,
        case,
        by=by,
        at=at,
        method=form.method.data,
        when=_when(form.when.data) or at,
        note=form.note.data or "",
    )


def _callback(form, case, by, at, calendar):
    return workflow.callback(
        db.session,
        calendar,
        case,
        by=by,
        at=at,
        method=form.method.data,
        outcome=form.outcome.data,
        level=RatingLevel(form.level.data) if form.level.data else None,
        solved={"yes": True, "no": False}.get(form.solved.data),
        note=form.note.data or "",
    )


@dataclass(frozen=True)
class StaffStep:
    """A staff step's web part, under the name `workflow.STEPS` gives its rule: the form,
    the title (the step's heading, button and "Done" message), `take`, which calls the
    step's verb with what the form holds: `take(form, case, user, at, calendar)`, and the
    `panel`, a template shown above the form with what the step acts on."""

    form: type[StepForm]
    title: LazyString
    take: Callable[..., object]
    panel: str | None = None


W = workflow

# Every staff step's form, title and call, in one place; the enterprise's own step (`rate`)
# has its own page (the rating form on /cases/<number>).
STAFF_STEPS: dict[str, StaffStep] = {
    "accept": StaffStep(
        NoteForm,
        _l("Accept"),
        lambda f, c, u, t, k: W.accept(db.session, k, c, by=u, at=t, note=f.note.data or ""),
    ),
    "office_contact": StaffStep(ContactForm, _l("Record contact with the enterprise"), _contact),
    "refuse": StaffStep(
        RefuseForm,
        _l("Do not accept"),
        lambda f, c, u, t, k: W.refuse(
            db.session, c, by=u, at=t, reason=int(f.reason.data), message=f.message.data or ""
        ),
    ),
    "merge": StaffStep(
        MergeForm,
        _l("Merge as a duplicate"),
        lambda f, c, u, t, k: W.merge(db.session, c, by=u, at=t, into_number=f.into.data or ""),
    ),
    "answer": StaffStep(
        AnswerForm,
        _l("Answer on the spot"),
        lambda f, c, u, t, k: W.answer(db.session, k, c, by=u, at=t, text=f.text.data or ""),
    ),
    "dispatch": StaffStep(
        DispatchForm,
        _l("Dispatch"),
        lambda f, c, u, t, k: W.dispatch(
            db.session,
            k,
            c,
            by=u,
            at=t,
            lead=_unit(f.lead.data),
            co=[_unit(v) for v in f.co.data or []],
            note=f.note.data or "",
            needs_approval=f.needs_approval.data,
        ),
    ),
    "rule_on_return": StaffStep(
        RuleOnReturnForm,
        _l("Rule on the return"),
        lambda f, c, u, t, k: W.rule_on_return(
            db.session, k, c, by=u, at=t, lead=_unit(f.lead.data), note=f.note.data or ""
        ),
    ),
    "approve_dispatch": StaffStep(
        ApprovalNoteForm,
        _l("Approve the dispatch"),
        lambda f, c, u, t, k: W.approve_dispatch(
            db.session, k, c, by=u, at=t, note=f.note.data or ""
        ),
    ),
    "reject_dispatch": StaffStep(
        RejectForm,
        _l("Do not approve"),
        lambda f, c, u, t, k: W.reject_dispatch(db.session, c, by=u, at=t, note=f.note.data or ""),
    ),
    "sign": StaffStep(
        EmptyForm,
        _l("Sign for it"),
        lambda f, c, u, t, k: W.sign(db.session, c, by=u, at=t, calendar=k),
    ),
    "return": StaffStep(
        ReturnForm,
        _l("Return to the office"),
        lambda f, c, u, t, k: W.return_case(
            db.session, k, c, by=u, at=t, reason=f.reason.data, note=f.note.data or ""
        ),
    ),
    "contact": StaffStep(ContactForm, _l("Record contact with the enterprise"), _contact),
    "progress": StaffStep(
        ProgressForm,
        _l("Add progress"),
        lambda f, c, u, t, k: W.progress(
            db.session, c, by=u, at=t, text=f.text.data or "", visible=f.visible.data
        ),
    ),
    "contribute": StaffStep(
        ContributeForm,
        _l("Submit your unit's part"),
        lambda f, c, u, t, k: W.contribute(db.session, c, by=u, at=t, text=f.text.data or ""),
    ),
    "plan": StaffStep(
        PlanForm,
        _l("Set a handling plan and promised date"),
        lambda f, c, u, t, k: W.plan(
            db.session, k, c, by=u, at=t, text=f.text.data or "", promised=f.promised.data
        ),
    ),
    "request_extension": StaffStep(
        ExtensionForm,
        _l("Ask for more time"),
        lambda f, c, u, t, k: W.request_extension(
            db.session, c, by=u, at=t, days=f.days.data, reason=f.reason.data or ""
        ),
    ),
    "decide_extension": StaffStep(
        DecideExtensionForm,
        _l("Decide on more time"),
        lambda f, c, u, t, k: W.decide_extension(
            db.session,
            k,
            c,
            by=u,
            at=t,
            approve=f.decision.data == "approve",
            note=f.note.data or "",
        ),
    ),
    "long_term": StaffStep(
        LongTermForm,
        _l("Keep open as long-term"),
        lambda f, c, u, t, k: W.long_term(db.session, c, by=u, at=t, reason=f.reason.data or ""),
    ),
    "stop_clock": StaffStep(
        StopClockForm,
        _l("Stop the clock for materials"),
        lambda f, c, u, t, k: W.stop_clock(db.session, c, by=u, at=t, reason=f.reason.data or ""),
    ),
    "resume_clock": StaffStep(
        EmptyForm,
        _l("Start the clock again"),
        lambda f, c, u, t, k: W.resume_clock(db.session, k, c, by=u, at=t),
    ),
    "reply": StaffStep(ReplyForm, _l("Reply"), _reply),
    "escalate": StaffStep(
        EscalateForm,
        _l("Escalate to the office"),
        lambda f, c, u, t, k: W.escalate(db.session, c, by=u, at=t, reason=f.reason.data or ""),
    ),
    "refer_to_leaders": StaffStep(
        ToLeadersForm,
        _l("Refer to the leading group"),
        lambda f, c, u, t, k: W.refer_to_leaders(
            db.session, c, by=u, at=t, reason=f.reason.data or ""
        ),
    ),
    "refer_up": StaffStep(
        UpForm,
        _l("Refer to the level above"),
        lambda f, c, u, t, k: W.refer_up(db.session, c, by=u, at=t, reason=f.reason.data or ""),
    ),
    "instruct": StaffStep(
        InstructForm,
        _l("Give an instruction"),
        lambda f, c, u, t, k: W.instruct(db.session, k, c, by=u, at=t, text=f.text.data or ""),
    ),
    "approve_reply": StaffStep(
        EmptyForm, _l("Approve the reply"), _approve_reply, panel="cases/_reply_to_review.html"
    ),
    "send_back": StaffStep(
        SendBackForm,
        _l("Send the reply back"),
        lambda f, c, u, t, k: W.send_back(db.session, c, by=u, at=t, reason=f.reason.data or ""),
    ),
    "callback": StaffStep(CallbackForm, _l("Record a callback"), _callback),
    "supervise": StaffStep(
        SuperviseForm,
        _l("Supervise (督办单)"),
        lambda f, c, u, t, k: W.supervise(
            db.session, k, c, by=u, at=t, reason=f.reason.data, note=f.note.data or ""
        ),
    ),
    "answer_supervision": StaffStep(
        AnswerSupervisionForm,
        _l("Answer the supervision notice"),
        lambda f, c, u, t, k: W.answer_supervision(
            db.session, c, by=u, at=t, text=f.text.data or ""
        ),
    ),
    "hold_accountable": StaffStep(
        AccountableForm,
        _l("Mark accountability (问责)"),
        lambda f, c, u, t, k: W.hold_accountable(db.session, c, by=u, at=t, note=f.note.data or ""),
    ),
    "meeting_add": StaffStep(
        MeetingAddForm,
        _l("Put on the meeting list"),
        lambda f, c, u, t, k: W.put_on_meeting_list(
            db.session, c, by=u, at=t, rule=f.rule.data, reason=f.reason.data or ""
        ),
    ),
    "meeting_remove": StaffStep(
        MeetingRemoveForm,
        _l("Take off the meeting list"),
        lambda f, c, u, t, k: W.take_off_meeting_list(
            db.session, c, by=u, at=t, exclusion=f.exclusion.data, reason=f.reason.data or ""
        ),
    ),
    "close": StaffStep(
        NoteForm,
        _l("Close off (销号)"),
        lambda f, c, u, t, k: W.close(db.session, c, by=u, at=t, note=f.note.data or ""),
    ),
    "archive": StaffStep(
        EmptyForm, _l("Archive"), lambda f, c, u, t, k: W.archive(db.session, c, by=u, at=t)
    ),
}


def dispatchable_units(jurisdiction_id: int) -> list[OrgUnit]:
    """The active units of a jurisdiction and everything below it that may lead or
    co-handle a case: departments, sections, centres, committees (not offices or leading
    groups)."""
    return list(
        db.session.scalars(
            sa.select(OrgUnit)
            .options(selectinload(OrgUnit.jurisdiction))
            .where(
                OrgUnit.jurisdiction_id.in_(jurisdiction_subtree(jurisdiction_id)),
                OrgUnit.active,
                OrgUnit.kind.not_in([UnitKind.OFFICE, UnitKind.LEADING_GROUP]),
            )
            .order_by(OrgUnit.jurisdiction_id, OrgUnit.name)
        )
    )


def _units_for(case: Case) -> list[SelectChoice]:
    """Units the answerable office may dispatch to: its jurisdiction and everything below,
    departments, sections, centres and committees (not offices or leading groups)."""
    office = case.office or case.receiving_unit
    if office is None:
        return []
    rows = dispatchable_units(office.jurisdiction_id)
    return [
        SelectChoice(
            str(u.id),
            u.name
            if u.jurisdiction_id == office.jurisdiction_id
            else f"{u.jurisdiction.name} {u.name}",
        )
        for u in rows
    ]


def _suggested_lead(case: Case) -> str | None:
    """The category's default lead department (Chaozhou's list names them)."""
    if case.category is not None and case.category.lead_units:
        return str(case.category.lead_units[0].id)
    return None


def _suggested_co(case: Case, offered: list[SelectChoice]) -> list[str]:
    """The category's default co-handling units (issue 16 item 1: a category has its lead
    and default co-handling units), those the office may dispatch to, not the lead."""
    if case.category is None:
        return []
    allowed = {choice.value for choice in offered}
    lead = _suggested_lead(case)
    return [
        str(u.id)
        for u in case.category.co_handlers
        if u.active and str(u.id) in allowed and str(u.id) != lead
    ]


def step_form(action: str, case: Case, *, submitted: bool = False) -> StepForm:
    """The step's form: blank with its defaults for the page, or read from this request."""
    cls = STAFF_STEPS[action].form
    form = cls(prefix=action) if submitted else cls(prefix=action, formdata=None)
    formdata = request.form if submitted else None
    if formdata is None:
        form.version.data = str(case.version_id)
    if isinstance(form, ContactForm):
        form.method.choices = [
            SelectChoice(m, label_of("contact", m)) for m in workflow.CONTACT_METHODS
        ]
    if isinstance(form, (DispatchForm, RuleOnReturnForm)):
        units = _units_for(case)
        form.lead.choices = [SelectChoice("", _("Choose a department"))] + units
        if isinstance(form, DispatchForm):
            form.co.choices = units
            if formdata is None:
                form.lead.data = _suggested_lead(case)
                form.co.data = _suggested_co(case, units)
        elif formdata is None and case.lead_unit is not None:
            form.lead.data = str(case.lead_unit.id)
    if isinstance(form, ReturnForm):
        form.reason.choices = [SelectChoice("", _("Choose a reason"))] + [
            SelectChoice(r, label_of("return", r)) for r in workflow.RETURN_REASONS
        ]
    if isinstance(form, CallbackForm):
        form.method.choices = [
            SelectChoice(m, label_of("callback", m)) for m in workflow.CALLBACK_METHODS
        ]
        form.outcome.choices = [
            SelectChoice(o, label_of("outcome", o)) for o in workflow.CALLBACK_OUTCOMES
        ]
        form.level.choices = [
            SelectChoice(lv.value, label(lv)) for lv in workflow.rating_levels(case)
        ]
    if isinstance(form, SuperviseForm):
        form.reason.choices = [
            SelectChoice(r, label_of("supervision", r)) for r in workflow.SUPERVISION_REASONS
        ]
    return form
