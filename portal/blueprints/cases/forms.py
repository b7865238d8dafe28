"""The staff case page's forms: one small form per step (prefix = the step's name, so
several share a page), each carrying the case version it was shown, and the queue's
filters."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import MultipleFileField
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

from portal.domain import workflow
from portal.web.forms import DateField, LightSelectField, PanelForm

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


class MeetingAddForm(StepForm):
    """Put a case on the city meeting's list by hand (Shantou 四(一))."""

    rule = SelectField(
        _l("Rule it meets (Shantou 四(一))"),
        validators=[InputRequired(_l("Choose the rule it meets."))],
        choices=[SelectChoice("", _l("Choose a rule"))]
        + [SelectChoice(str(n), f"{n}. {text}") for n, text in workflow.MEETING_RULES.items()],
    )
    reason = TextAreaField(_l("Why the meeting should take it up"), validators=TEXT)


class MeetingRemoveForm(StepForm):
    """Take a case off the city meeting's list by hand (Shantou 四(二))."""

    exclusion = SelectField(
        _l("Why it stays off (Shantou 四(二))"),
        validators=[InputRequired(_l("Choose why it stays off."))],
        choices=[SelectChoice("", _l("Choose a reason"))]
        + [SelectChoice(str(n), f"{n}. {text}") for n, text in workflow.MEETING_EXCLUSIONS.items()],
    )
    reason = TextAreaField(_l("Why the meeting should not take it up"), validators=TEXT)


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
