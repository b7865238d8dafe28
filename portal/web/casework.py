"""Casework screens shared by the office (`/office`) and the department workbench
(`/workbench`): the queue with its filters, the staff case page offering only the steps
this user may take now, and one POST per step.

Each step has a small form (prefix = the step's name, so several share a page) and a line
that calls its verb in `domain.workflow`; `register(bp, roles)` adds the routes to a
blueprint. A form that does not validate answers 422; a step a rule refuses answers 409
with the rule's words beside the field; a step that lost a race with a colleague (the
case's version moved on) answers 409 with the case as it is now. Everything typed is kept.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import sqlalchemy as sa
from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.file import MultipleFileField
from sqlalchemy.orm import selectinload
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange
from wtforms.validators import Optional as Maybe

from portal.domain import queues, uploads, workflow
from portal.domain.access import jurisdiction_subtree, sees_contact
from portal.domain.calendar import BEIJING, load_calendar, local_date
from portal.domain.errors import RuleViolation
from portal.domain.models import (
    Case,
    CaseEvent,
    CaseState,
    Category,
    OrgUnit,
    RatingLevel,
    Role,
    UnitKind,
)
from portal.extensions import db
from portal.web import documents, sheets
from portal.web.auditing import audit_request
from portal.web.forms import DateField, LightSelectField, PanelForm, commit_or_explain
from portal.web.guards import requires
from portal.web.labels import action_label, case_contact_phone, choices, label
from portal.web.loading import load_case
from portal.web.rendering import render_screen
from portal.web.security import talisman
from portal.web.sessions import utcnow
from portal.web.uploads import send_attachment, upload_root

TEXT = [Length(max=2000, message=_l("Write 2000 characters or fewer."))]


# --------------------------------------------------------------------------- step forms


class StepForm(PanelForm):
    """Every step's form carries the case version it was shown (a colleague's step in
    between makes it stale: the page says so instead of overwriting)."""

    version = HiddenField()


def _text_form(name: str, field: str, text_label, description=None, rows=3):
    return type(
        name,
        (StepForm,),
        {
            field: TextAreaField(
                text_label, description=description, validators=TEXT, render_kw={"rows": rows}
            )
        },
    )


class RefuseForm(StepForm):
    reason = SelectField(
        _l("Reason (Shantou's ten situations)"),
        validators=[InputRequired(_l("Choose one of the ten reasons."))],
        choices=[SelectChoice("", _l("Choose a reason"))]
        + [SelectChoice(str(n), f"{n}. {text}") for n, text in workflow.REFUSAL_REASONS.items()],
    )
    message = TextAreaField(
        _l("Message to the enterprise"),
        validators=TEXT,
        description=_l("Plain words: why it is not accepted and where to turn instead."),
    )


class MergeForm(StepForm):
    into = StringField(
        _l("Number of the open case it repeats"),
        validators=[Length(max=32)],
        render_kw={"autocomplete": "off"},
    )


class ContactForm(StepForm):
    method = SelectField(_l("How"), validators=[InputRequired(_l("Choose how you were in touch."))])
    when = DateTimeLocalField(
        _l("When"), validators=[Maybe()], description=_l("Leave empty for now.")
    )
    note = TextAreaField(_l("What was said"), validators=TEXT, render_kw={"rows": 2})


class DispatchForm(StepForm):
    lead = SelectField(
        _l("Lead department"),
        coerce=str,
        validators=[InputRequired(_l("Choose the department that leads."))],
    )
    co = SelectMultipleField(
        _l("Co-handling units (optional)"),
        coerce=str,
        description=_l("Hold Ctrl or long-press to choose several."),
    )
    note = TextAreaField(
        _l("Instructions to the department (optional)"), validators=TEXT, render_kw={"rows": 2}
    )
    needs_approval = BooleanField(_l("Needs a leader's approval first (呈批)"))


class RuleOnReturnForm(StepForm):
    lead = SelectField(
        _l("Department to handle it"),
        coerce=str,
        validators=[InputRequired(_l("Choose the department that leads."))],
        description=_l("Keep the returning department or choose another."),
    )
    note = TextAreaField(_l("Ruling"), validators=TEXT, render_kw={"rows": 2})


class ReturnForm(StepForm):
    reason = SelectField(
        _l("Why the case is not yours"),
        validators=[InputRequired(_l("Choose why the case is not yours."))],
    )
    note = TextAreaField(_l("Explanation for the office"), validators=TEXT, render_kw={"rows": 2})


class ProgressForm(StepForm):
    text = TextAreaField(_l("Progress"), validators=TEXT, render_kw={"rows": 2})
    visible = BooleanField(_l("Show this note to the enterprise"))


class PlanForm(StepForm):
    text = TextAreaField(_l("Handling plan"), validators=TEXT, render_kw={"rows": 3})
    promised = DateField(_l("Promised date"), validators=[Maybe()])


class ExtensionForm(StepForm):
    days = IntegerField(
        _l("Working days more"),
        validators=[
            InputRequired(_l("Enter a number of working days.")),
            NumberRange(min=1, max=99, message=_l("Enter a number of working days.")),
        ],
        render_kw={"inputmode": "numeric"},
    )
    reason = TextAreaField(
        _l("Reason (the enterprise is told)"), validators=TEXT, render_kw={"rows": 2}
    )


class DecideExtensionForm(StepForm):
    decision = RadioField(
        _l("Decision"),
        choices=[SelectChoice("approve", _l("Approve")), SelectChoice("refuse", _l("Refuse"))],
        validators=[InputRequired(_l("Approve or refuse."))],
    )
    note = TextAreaField(_l("Note (optional)"), validators=TEXT, render_kw={"rows": 2})


class ReplyForm(StepForm):
    text = TextAreaField(
        _l("Reply to the enterprise"),
        validators=TEXT,
        description=_l(
            "The result and the explanation, including the "
            "co-handling units' parts. The office reviews it "
            "before the enterprise sees it."
        ),
        render_kw={"rows": 5},
    )
    attachments = MultipleFileField(
        _l("Documents (optional)"),
        description=_l("Up to 5 files: JPG, PNG or PDF, 10 MB each at most."),
        render_kw={"accept": "image/jpeg,image/png,application/pdf"},
    )


class CallbackForm(StepForm):
    method = SelectField(_l("How"), validators=[InputRequired(_l("Choose how you called back."))])
    outcome = RadioField(_l("Outcome"), validators=[InputRequired(_l("Choose the outcome."))])
    level = RadioField(_l("Is the enterprise satisfied?"), validators=[Maybe()])
    solved = RadioField(
        _l("Is the problem solved?"),
        validators=[Maybe()],
        choices=[SelectChoice("yes", _l("Solved")), SelectChoice("no", _l("Not solved"))],
    )
    note = TextAreaField(_l("Note"), validators=TEXT, render_kw={"rows": 2})


class SuperviseForm(StepForm):
    reason = SelectField(
        _l("Why"), validators=[InputRequired(_l("Choose why the case is supervised."))]
    )
    note = TextAreaField(_l("What the unit must do"), validators=TEXT, render_kw={"rows": 2})


class EmptyForm(StepForm):
    pass


NoteForm = _text_form("NoteForm", "note", _l("Note (optional)"), rows=2)
AnswerForm = _text_form("AnswerForm", "text", _l("Answer to the enterprise"), rows=4)
ApprovalNoteForm = _text_form("ApprovalNoteForm", "note", _l("Note (optional)"), rows=2)
RejectForm = _text_form("RejectForm", "note", _l("What the office should do instead"))
ContributeForm = _text_form("ContributeForm", "text", _l("Your unit's part"), rows=4)
LongTermForm = _text_form("LongTermForm", "reason", _l("Why it must wait (the enterprise is told)"))
StopClockForm = _text_form(
    "StopClockForm", "reason", _l("Materials awaited from the enterprise (it is told)")
)
EscalateForm = _text_form("EscalateForm", "reason", _l("Why the unit cannot settle it"))
ToLeadersForm = _text_form("ToLeadersForm", "reason", _l("What the leaders must decide"))
UpForm = _text_form("UpForm", "reason", _l("Why the level above must act"))
InstructForm = _text_form("InstructForm", "text", _l("Instruction"))
SendBackForm = _text_form("SendBackForm", "reason", _l("What the reply lacks"))
AnswerSupervisionForm = _text_form("AnswerSupervisionForm", "text", _l("The unit's answer"))
AccountableForm = _text_form("AccountableForm", "note", _l("Grounds"))


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


W = workflow

# step → (form class, the verb called with the validated form)
STEP_FORMS: dict[str, tuple[type, Callable]] = {
    "accept": (
        NoteForm,
        lambda f, c, u, t, k: W.accept(db.session, k, c, by=u, at=t, note=f.note.data or ""),
    ),
    "office_contact": (
        ContactForm,
        lambda f, c, u, t, k: W.contact(
            db.session,
            c,
            by=u,
            at=t,
            method=f.method.data,
            when=_when(f.when.data) or t,
            note=f.note.data or "",
        ),
    ),
    "refuse": (
        RefuseForm,
        lambda f, c, u, t, k: W.refuse(
            db.session, c, by=u, at=t, reason=int(f.reason.data), message=f.message.data or ""
        ),
    ),
    "merge": (
        MergeForm,
        lambda f, c, u, t, k: W.merge(db.session, c, by=u, at=t, into_number=f.into.data or ""),
    ),
    "answer": (
        AnswerForm,
        lambda f, c, u, t, k: W.answer(db.session, k, c, by=u, at=t, text=f.text.data or ""),
    ),
    "dispatch": (
        DispatchForm,
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
    "rule_on_return": (
        RuleOnReturnForm,
        lambda f, c, u, t, k: W.rule_on_return(
            db.session, k, c, by=u, at=t, lead=_unit(f.lead.data), note=f.note.data or ""
        ),
    ),
    "approve_dispatch": (
        ApprovalNoteForm,
        lambda f, c, u, t, k: W.approve_dispatch(
            db.session, k, c, by=u, at=t, note=f.note.data or ""
        ),
    ),
    "reject_dispatch": (
        RejectForm,
        lambda f, c, u, t, k: W.reject_dispatch(db.session, c, by=u, at=t, note=f.note.data or ""),
    ),
    "sign": (EmptyForm, lambda f, c, u, t, k: W.sign(db.session, c, by=u, at=t)),
    "return": (
        ReturnForm,
        lambda f, c, u, t, k: W.return_case(
            db.session, k, c, by=u, at=t, reason=f.reason.data, note=f.note.data or ""
        ),
    ),
    "contact": (
        ContactForm,
        lambda f, c, u, t, k: W.contact(
            db.session,
            c,
            by=u,
            at=t,
            method=f.method.data,
            when=_when(f.when.data) or t,
            note=f.note.data or "",
        ),
    ),
    "progress": (
        ProgressForm,
        lambda f, c, u, t, k: W.progress(
            db.session, c, by=u, at=t, text=f.text.data or "", visible=f.visible.data
        ),
    ),
    "contribute": (
        ContributeForm,
        lambda f, c, u, t, k: W.contribute(db.session, c, by=u, at=t, text=f.text.data or ""),
    ),
    "plan": (
        PlanForm,
        lambda f, c, u, t, k: W.plan(
            db.session, k, c, by=u, at=t, text=f.text.data or "", promised=f.promised.data
        ),
    ),
    "request_extension": (
        ExtensionForm,
        lambda f, c, u, t, k: W.request_extension(
            db.session, c, by=u, at=t, days=f.days.data, reason=f.reason.data or ""
        ),
    ),
    "decide_extension": (
        DecideExtensionForm,
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
    "long_term": (
        LongTermForm,
        lambda f, c, u, t, k: W.long_term(db.session, c, by=u, at=t, reason=f.reason.data or ""),
    ),
    "stop_clock": (
        StopClockForm,
        lambda f, c, u, t, k: W.stop_clock(db.session, c, by=u, at=t, reason=f.reason.data or ""),
    ),
    "resume_clock": (EmptyForm, lambda f, c, u, t, k: W.resume_clock(db.session, k, c, by=u, at=t)),
    "reply": (ReplyForm, _reply),
    "escalate": (
        EscalateForm,
        lambda f, c, u, t, k: W.escalate(db.session, c, by=u, at=t, reason=f.reason.data or ""),
    ),
    "refer_to_leaders": (
        ToLeadersForm,
        lambda f, c, u, t, k: W.refer_to_leaders(
            db.session, c, by=u, at=t, reason=f.reason.data or ""
        ),
    ),
    "refer_up": (
        UpForm,
        lambda f, c, u, t, k: W.refer_up(db.session, c, by=u, at=t, reason=f.reason.data or ""),
    ),
    "instruct": (
        InstructForm,
        lambda f, c, u, t, k: W.instruct(db.session, k, c, by=u, at=t, text=f.text.data or ""),
    ),
    "approve_reply": (EmptyForm, _approve_reply),
    "send_back": (
        SendBackForm,
        lambda f, c, u, t, k: W.send_back(db.session, c, by=u, at=t, reason=f.reason.data or ""),
    ),
    "callback": (CallbackForm, _callback),
    "supervise": (
        SuperviseForm,
        lambda f, c, u, t, k: W.supervise(
            db.session, k, c, by=u, at=t, reason=f.reason.data, note=f.note.data or ""
        ),
    ),
    "answer_supervision": (
        AnswerSupervisionForm,
        lambda f, c, u, t, k: W.answer_supervision(
            db.session, c, by=u, at=t, text=f.text.data or ""
        ),
    ),
    "hold_accountable": (
        AccountableForm,
        lambda f, c, u, t, k: W.hold_accountable(db.session, c, by=u, at=t, note=f.note.data or ""),
    ),
    "close": (
        NoteForm,
        lambda f, c, u, t, k: W.close(db.session, c, by=u, at=t, note=f.note.data or ""),
    ),
    "archive": (EmptyForm, lambda f, c, u, t, k: W.archive(db.session, c, by=u, at=t)),
}
# The enterprise's own step has its own page (the rating form on /cases/<number>).
STAFF_STEPS = [action for action in workflow.STEPS if action in STEP_FORMS]


def _units_for(case: Case) -> list[SelectChoice]:
    """Units the answerable office may dispatch to: its jurisdiction and everything below,
    departments, sections, centres and committees (not offices or leading groups)."""
    office = case.office or case.receiving_unit
    if office is None:
        return []
    rows = db.session.scalars(
        sa.select(OrgUnit)
        .options(selectinload(OrgUnit.jurisdiction))
        .where(
            OrgUnit.jurisdiction_id.in_(jurisdiction_subtree(office.jurisdiction_id)),
            OrgUnit.active,
            OrgUnit.kind.not_in([UnitKind.OFFICE, UnitKind.LEADING_GROUP]),
        )
        .order_by(OrgUnit.jurisdiction_id, OrgUnit.name)
    ).all()
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


def step_form(action: str, case: Case, *, submitted: bool = False) -> StepForm:
    """The step's form: blank with its defaults for the page, or read from this request."""
    cls = STEP_FORMS[action][0]
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


# --------------------------------------------------------------------------- the case page


def _staff_context(case: Case, user, *, failed: dict | None = None, conflict=False) -> dict:
    calendar = load_calendar(db.session)
    now = utcnow()
    today = local_date(now)
    due = case.current_due
    forms = dict(failed or {})
    steps = [
        (action, action_label_for_step(action), forms.get(action) or step_form(action, case))
        for action in workflow.available_steps(case, user)
        if action in STEP_FORMS
    ]
    events = db.session.scalars(
        sa.select(CaseEvent)
        .where(CaseEvent.case_id == case.id)
        .options(selectinload(CaseEvent.actor), selectinload(CaseEvent.actor_unit))
        .order_by(CaseEvent.id)
    ).all()
    return {
        "case": case,
        # The contact phone whole only for the staff assigned to the case (checklist 13).
        "contact_phone": case_contact_phone(case, user),
        "contact_whole": sees_contact(case, user),
        "events": events,
        "steps": steps,
        "open_step": next(iter(forms), None),
        "conflict": conflict,
        "due": due,
        "days_left": calendar.working_days_between(today, due) if due and due >= today else None,
        "overdue": case.is_overdue(today),
        "contact_overdue": case.contacted_at is None
        and case.contact_due is not None
        and today > case.contact_due
        and case.is_open,
        "progress_due": workflow.progress_due(case, today),
        "extension": workflow.pending_extension(case),
        "supervision": workflow.open_supervision(case),
        "rating_deadline": workflow.rating_deadline(case, calendar),
        "window_closed": workflow.rating_window_closed(case, calendar, today),
        "sampled": case.state is CaseState.RATED and workflow.callback_sampled(case),
        "refusal_reasons": workflow.REFUSAL_REASONS,
        "label_of": label_of,
        "documents": documents.applicable(
            documents.CaseFacts(
                case,
                for_enterprise=False,
                office=case.office or case.receiving_unit,
                events=list(events),
            )
        ),
    }


STEP_TITLES = {
    "accept": _l("Accept"),
    "office_contact": _l("Record contact with the enterprise"),
    "refuse": _l("Do not accept"),
    "merge": _l("Merge as a duplicate"),
    "answer": _l("Answer on the spot"),
    "dispatch": _l("Dispatch"),
    "rule_on_return": _l("Rule on the return"),
    "approve_dispatch": _l("Approve the dispatch"),
    "reject_dispatch": _l("Do not approve"),
    "sign": _l("Sign for it"),
    "return": _l("Return to the office"),
    "contact": _l("Record contact with the enterprise"),
    "progress": _l("Add progress"),
    "contribute": _l("Submit your unit's part"),
    "plan": _l("Set a handling plan and promised date"),
    "request_extension": _l("Ask for more time"),
    "decide_extension": _l("Decide on more time"),
    "long_term": _l("Keep open as long-term"),
    "stop_clock": _l("Stop the clock for materials"),
    "resume_clock": _l("Start the clock again"),
    "reply": _l("Reply"),
    "escalate": _l("Escalate to the office"),
    "refer_to_leaders": _l("Refer to the leading group"),
    "refer_up": _l("Refer to the level above"),
    "instruct": _l("Give an instruction"),
    "approve_reply": _l("Approve the reply"),
    "send_back": _l("Send the reply back"),
    "callback": _l("Record a callback"),
    "supervise": _l("Supervise (督办单)"),
    "answer_supervision": _l("Answer the supervision notice"),
    "hold_accountable": _l("Mark accountability (问责)"),
    "close": _l("Close off (销号)"),
    "archive": _l("Archive"),
}


def action_label_for_step(action: str) -> str:
    return str(STEP_TITLES.get(action, action_label(action)))


def register(bp, *roles: Role) -> None:
    """Add the staff case page and its steps to `bp` (the office or the workbench)."""
    name = bp.name

    @bp.get("/cases/<case_number:number>")
    @requires(*roles)
    def case(number: str):
        found = load_case(number, current_user)
        return render_screen(
            "staff/case.html", hx_history=False, bp=name, **_staff_context(found, current_user)
        )

    @bp.get("/cases/<case_number:number>/files/<int:attachment_id>")
    @talisman(content_security_policy={"default-src": "'none'", "sandbox": ""})
    @requires(*roles)
    def attachment(number: str, attachment_id: int):
        """Staff may open every file of a case they may see, always as a download."""
        return send_attachment(load_case(number, current_user), attachment_id, staff=True)

    @bp.post("/cases/<case_number:number>/<step:action>")
    @requires(*roles)
    def act(number: str, action: str):
        if action not in STEP_FORMS:
            abort(404)
        found = load_case(number, current_user)
        form = step_form(action, found, submitted=True)

        def stale():
            form.form_errors.append(
                _(
                    "Someone else changed this case while you were "
                    "working on it. Here it is as it is now; what you "
                    "typed is kept below."
                )
            )

        if form.version.data != str(found.version_id):
            stale()
            return _rerender(found, action, form, name, status=409)
        if not workflow.is_allowed(found, current_user, action):
            form.form_errors.append(
                _(
                    "This case has moved on and this step no longer "
                    "applies. Its current state is shown on the page."
                )
            )
            return _rerender(found, action, form, name, status=409)
        if form.validate_on_submit():
            calendar = load_calendar(db.session)
            verb = STEP_FORMS[action][1]

            def audited_step():
                """The step, then its audit row, last before the commit (SECURITY.md
                "nothing lost" 4 and checklist 28: the change and its record, or neither)."""
                before = found.state
                result = verb(form, found, current_user, utcnow(), calendar)
                audit_request(
                    "step",
                    object_type="case",
                    object_id=found.number,
                    result="ok",
                    detail=f"{action}: {before.value} → {found.state.value}",
                )
                return result

            done, _result = commit_or_explain(
                form, _first_field(form), audited_step, on_stale=stale
            )
            if done:
                flash(_("Done: %(step)s.", step=action_label_for_step(action)))
                return redirect(url_for(f"{name}.case", number=number), 303)
            # A rule refused the step (its words stand beside the field), or the step lost
            # a race (the case as it is now): 409 either way, what was typed kept.
            db.session.expire_all()
            return _rerender(load_case(number, current_user), action, form, name, status=409)
        return _rerender(found, action, form, name, status=422)


def _first_field(form) -> str:
    """Where a rule's message goes when it names no field: the step's first field."""
    return next((f.short_name for f in form if f.short_name != "version"), "version")


def _rerender(case, action, form, bp_name, status):
    form.version.data = str(case.version_id)
    context = _staff_context(case, current_user, failed={action: form})
    return render_screen(
        "staff/case.html", hx_history=False, bp=bp_name, status=status, form=form, **context
    )


# --------------------------------------------------------------------------- the queue


class QueueFilterForm(PanelForm):
    """The queue's filters, read from the query string (GET: bookmarkable, back-button safe)."""

    view = RadioField(
        _l("Show"),
        default="desk",
        choices=[
            SelectChoice("desk", _l("Waiting for me")),
            SelectChoice("all", _l("All I may see")),
        ],
        validators=[Maybe()],
    )
    state = LightSelectField(_l("State"), validators=[Maybe()])
    category = LightSelectField(_l("Category"), validators=[Maybe()])
    unit = LightSelectField(_l("Lead department"), validators=[Maybe()])
    overdue = BooleanField(_l("Overdue only"))
    received_from = DateField(_l("Received from"), validators=[Maybe()])
    received_to = DateField(_l("Received to"), validators=[Maybe()])
    q = StringField(
        _l("Case number or enterprise"),
        validators=[Maybe(), Length(max=100)],
        render_kw={"type": "search", "autocomplete": "off"},
    )
    page = IntegerField(validators=[Maybe(), NumberRange(min=1, max=100000)])


def _filter_form(user) -> QueueFilterForm:
    """The filters, their choices drawn from the user's organisation (a handful of units
    and categories), never from scanning the cases."""
    form = QueueFilterForm(formdata=request.args)
    form.state.choices = [SelectChoice("", _("Any state"))] + choices(CaseState)
    home = user.unit.jurisdiction if user.unit is not None else None
    if home is None or user.role in (Role.HANDLER, Role.HEAD):
        del form.unit  # a department's queue is its own unit's
    else:
        units = db.session.scalars(
            sa.select(OrgUnit)
            .where(
                OrgUnit.jurisdiction_id.in_(jurisdiction_subtree(home.id)),
                OrgUnit.active,
                OrgUnit.kind.not_in([UnitKind.OFFICE, UnitKind.LEADING_GROUP]),
            )
            .order_by(OrgUnit.jurisdiction_id, OrgUnit.name)
        ).all()
        form.unit.choices = [SelectChoice("", _("Any department"))] + [
            SelectChoice(str(u.id), u.name) for u in units
        ]
    places = [home.id, *(j.id for j in home.ancestors)] if home is not None else []
    categories = db.session.scalars(
        sa.select(Category)
        .where(
            sa.or_(
                Category.jurisdiction_id.in_(places),
                Category.jurisdiction_id.in_(jurisdiction_subtree(home.id)) if home else sa.false(),
            )
        )
        .order_by(Category.jurisdiction_id, Category.number)
    ).all()
    form.category.choices = [SelectChoice("", _("Any category"))] + [
        SelectChoice(str(c.id), f"{c.number}. {c.name}") for c in categories
    ]
    form.validate()
    return form


def _filters(form: QueueFilterForm) -> queues.Filters:
    """Only the filters that passed validation; a bad one is said beside its field. Text
    of blanks only is no filter (`Optional` lets it past the choices unchecked: a state of
    `\r\n` answered 500)."""

    def ok(field):
        data = field.data if not field.errors else None
        return (data.strip() or None) if isinstance(data, str) else data

    state = ok(form.state)
    return queues.Filters(
        view="all" if ok(form.view) == "all" else "desk",
        state=CaseState(state) if state else None,
        category_id=int(form.category.data) if ok(form.category) else None,
        unit_id=int(form.unit.data) if "unit" in form and ok(form.unit) else None,
        overdue=bool(form.overdue.data),
        received_from=ok(form.received_from),
        received_to=ok(form.received_to),
        q=ok(form.q) or "",
        page=ok(form.page) or 1,
    )


def _queue_workbook(title: str, filters, today):
    """The filtered list, most urgent first, as .xlsx (up to `sheets.EXPORT_ROWS` rows);
    the export is audited with its row count (SECURITY.md checklist 31). Like the list it
    carries no contact phone: whoever needs to call opens the case page."""
    filters.page = 1
    found = queues.queue(db.session, current_user, filters, today, page_size=sheets.EXPORT_ROWS)
    audit_request(
        "export",
        object_type="queue",
        object_id=request.query_string.decode(),
        result="ok",
        detail=f"{len(found.cases)} rows",
    )
    db.session.commit()
    columns = (*sheets.case_columns(), _("Due"), _("Overdue"))
    rows = [
        (
            *sheets.case_row(c),
            c.current_due or "",
            _("Overdue") if c.current_due and today > c.current_due else "",
        )
        for c in found.cases
    ]
    return sheets.download(
        sheets.workbook((title, f"{title} · {today.isoformat()}", columns, rows)),
        f"{title}-{today.isoformat()}.xlsx",
    )


def queue_screen(title: str, *, endpoint: str, summary: dict | None = None):
    """The queue page, or only its list for an htmx filter or page change."""
    form = _filter_form(current_user)
    filters = _filters(form)
    today = local_date(utcnow())
    if request.args.get("format") == "xlsx":
        return _queue_workbook(title, filters, today)
    found = queues.queue(db.session, current_user, filters, today)
    calendar = load_calendar(db.session)
    rows = []
    for case in found.cases:
        due = case.current_due
        rows.append(
            {
                "case": case,
                "due": due,
                "overdue": due is not None and today > due,
                "days_left": calendar.working_days_between(today, due)
                if due is not None and due >= today
                else None,
                "progress_due": workflow.progress_due(
                    case, today, found.last_progress.get(case.id)
                ),
                "callback_due": case.needs_callback
                or (
                    case.state is CaseState.AWAITING_RATING
                    and case.rating_due is not None
                    and today > case.rating_due
                ),
            }
        )
    # Only the filter's own fields go back into links: any other name reached url_for
    # (`format`, `_method`: a 500; `_external`, `_anchor`: rewritten links).
    args = {k: v for k, v in request.args.items() if k in form and k != "page" and v}
    return render_screen(
        "staff/queue.html",
        block="queue" if is_queue_swap() else "content",
        title=title,
        form=form,
        rows=rows,
        page=found,
        endpoint=endpoint,
        args=args,
        summary=summary or {},
        case_endpoint=f"{endpoint.split('.')[0]}.case",
        this_month=f"{today.year}-{today.month:02d}",
    )


def is_queue_swap() -> bool:
    return bool(request.htmx) and request.htmx.target == "queue"
