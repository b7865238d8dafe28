from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from portal.domain.models import CalendarDayKind, CaseType, JurisdictionLevel
from portal.domain.policies import EDITABLE, TYPE_LIMIT_PREFIX
from portal.web.forms import PanelForm
from portal.web.labels import choices


class CalendarOverrideForm(FlaskForm):
    day = DateField(
        _l("Date"),
        description=_l("For example 2027-02-06."),
        validators=[InputRequired(_l("Enter the date, for example 2027-02-06."))],
        invalid_value_message=_l("Enter a real date, for example 2027-02-06."),
    )
    kind = RadioField(
        _l("The day is"),
        choices=choices(CalendarDayKind),
        validators=[DataRequired(_l("Choose whether the day is a holiday or a working day."))],
    )
    note = StringField(
        _l("Note (optional)"),
        description=_l("For example: Spring Festival make-up working day."),
        validators=[Optional(), Length(max=200, message=_l("Keep the note under 200 characters."))],
    )


class StaffPlacementForm(FlaskForm):
    """A staff member's role and unit (choices filled by the view)."""

    role = SelectField(
        _l("Role"),
        validators=[DataRequired(_l("Choose the role."))],
        invalid_choice_message=_l("Choose the role."),
    )
    unit = SelectField(
        _l("Unit"),
        description=_l("Where the person works. Administrators may have none."),
        validators=[Optional()],
        invalid_choice_message=_l("Choose the unit from the list."),
    )


class StaffUserForm(StaffPlacementForm):
    """A new staff account: who, the username to sign in with, the role and unit. The
    portal chooses a one-time password (SECURITY.md 8)."""

    name = StringField(
        _l("Name"),
        validators=[DataRequired(_l("Enter the person's name.")), Length(max=64)],
    )
    username = StringField(
        _l("Username"),
        description=_l(
            "Letters, digits, dots, hyphens or underscores; the person signs in with it."
        ),
        validators=[DataRequired(_l("Enter a username.")), Length(max=64)],
        render_kw={"autocapitalize": "none", "spellcheck": "false", "autocomplete": "off"},
    )


# --------------------------------------------------------------------------- policy profiles

# What each limit of a profile is, in the administrator's words (policies.EDITABLE's keys).
LIMIT_LABELS = {
    "contact_days": _l("Contact the enterprise within (working days)"),
    "dispatch_days": _l("Dispatch within (working days)"),
    "sign_days": _l("Unit confirms it takes the case within (working days)"),
    "sign_extra_days_lower_level": _l("Extra days to confirm for a unit below the city"),
    "finish_days": _l("Finish within (working days)"),
    "plan_days": _l("Handling plan with a promised date within (working days)"),
    "max_extension_days": _l("Extension at the most (working days)"),
    "extension_needs_approval": _l("An extension needs the department head's approval"),
    "reply_days": _l("Reply to the enterprise within (working days after finishing)"),
    "rating_levels": _l("Rating levels"),
    "rating_window_days": _l("The enterprise rates within (working days)"),
    "weekly_progress_weekday": _l("Weekly progress report on"),
    "overdue_review_day": _l("Monthly review of unfinished cases on day"),
    "ledger_due_day": _l("Monthly contact ledger due on day"),
    "daily_tracking": _l("Daily tracking"),
    "monthly_bulletin": _l("Monthly bulletin"),
    "return_ruling_days": _l("Office rules on a returned case within (working days)"),
    "review_days": _l("Office reviews a reply within (working days)"),
    "supervision_reply_days": _l("Unit answers a supervision notice within (working days)"),
    "max_rehandle_rounds": _l("Rounds of re-handling before the case goes up a level"),
    "callback_sample_percent": _l("Satisfied cases called back (per cent)"),
    "supervise_overdue": _l("An overdue step opens supervision"),
    "clock_stop_allowed": _l("The clock may stop while the enterprise supplies papers"),
}
TYPE_LIMIT_LABELS = {
    "consultation": _l("Finish a consultation within (working days)"),
    "suggestion": _l("Finish a suggestion within (working days)"),
    "complaint": _l("Finish a complaint within (working days)"),
    "business": _l("Finish a business-handling case within (working days)"),
}
WEEKDAYS = (
    _l("Monday"),
    _l("Tuesday"),
    _l("Wednesday"),
    _l("Thursday"),
    _l("Friday"),
)
EMPTY_MEANS_NONE = _l("Leave empty where the profile sets no such limit.")


def _number(label, *, low: int, high: int, required: bool):
    message = _l("Enter a whole number from %(low)d to %(high)d.", low=low, high=high)
    checks = [InputRequired(message)] if required else [Optional()]
    return IntegerField(
        label,
        description=None if required else EMPTY_MEANS_NONE,
        validators=[*checks, NumberRange(min=low, max=high, message=message)],
        render_kw={"inputmode": "numeric"},
    )


def policy_form_class():
    """A form with one field per editable limit (policies.EDITABLE) and one per case type's
    handling limit, and the reason for the change."""

    class PolicyEditForm(FlaskForm):
        note = StringField(
            _l("Why the limits change"),
            description=_l("The clause, decision or document the new numbers come from."),
            validators=[Length(max=300, message=_l("Keep the reason under 300 characters."))],
        )

    for name, kind in EDITABLE.items():
        label = LIMIT_LABELS[name]
        if kind == "days":
            field = _number(label, low=0, high=60, required=False)
        elif kind == "count":
            field = _number(label, low=0, high=60, required=True)
        elif kind == "percent":
            field = _number(label, low=0, high=100, required=True)
        elif kind == "monthday":
            field = _number(label, low=1, high=28, required=False)
        elif kind == "levels":
            field = SelectField(label, choices=[SelectChoice("2", "2"), SelectChoice("3", "3")])
        elif kind == "weekday":
            field = SelectField(
                label,
                choices=[SelectChoice("", _l("None"))]
                + [SelectChoice(str(i), day) for i, day in enumerate(WEEKDAYS)],
            )
        else:
            field = BooleanField(label)
        setattr(PolicyEditForm, name, field)
    for type_value, label in TYPE_LIMIT_LABELS.items():
        setattr(
            PolicyEditForm,
            TYPE_LIMIT_PREFIX + type_value,
            _number(label, low=0, high=60, required=False),
        )
    return PolicyEditForm


def policy_form_data(profile) -> dict:
    """The profile's limits as the edit form's initial values."""
    data = {}
    for name, kind in EDITABLE.items():
        value = getattr(profile, name)
        if kind in ("levels", "weekday"):
            value = "" if value is None else str(value)
        data[name] = value
    for type_value in TYPE_LIMIT_LABELS:
        data[TYPE_LIMIT_PREFIX + type_value] = (profile.finish_days_by_type or {}).get(type_value)
    return data


def policy_changes(form) -> dict:
    """What the posted form asks the profile to hold (field → value)."""
    changes = {}
    for name, kind in EDITABLE.items():
        value = form[name].data
        if kind in ("levels", "weekday"):
            value = int(value) if value not in ("", None) else None
        changes[name] = value
    changes["finish_days_by_type"] = {
        t: form[TYPE_LIMIT_PREFIX + t].data
        for t in TYPE_LIMIT_LABELS
        if form[TYPE_LIMIT_PREFIX + t].data is not None
    }
    return changes


class PolicyCopyForm(FlaskForm):
    key = StringField(
        _l("Key of the copy"),
        description=_l("Small letters, digits and hyphens, e.g. chaozhou-2027."),
        validators=[DataRequired(_l("Enter a key for the copy.")), Length(max=32)],
        render_kw={"autocapitalize": "none", "spellcheck": "false", "autocomplete": "off"},
    )
    name = StringField(
        _l("Name of the copy"),
        validators=[DataRequired(_l("Enter the profile's name.")), Length(max=100)],
    )


class DeadlinesForm(FlaskForm):
    """The calculator: what the profile means in dates for a case received on a day."""

    class Meta:
        csrf = False  # a GET that changes nothing

    type = SelectField(
        _l("Type of case"),
        choices=choices(CaseType),
        validators=[DataRequired(_l("Choose the type of case."))],
        invalid_choice_message=_l("Choose the type of case."),
    )
    at = DateField(
        _l("The unit receives it on"),
        description=_l("For example 2026-02-13."),
        validators=[InputRequired(_l("Enter the date, for example 2026-02-13."))],
        invalid_value_message=_l("Enter a real date, for example 2026-02-13."),
    )
    unit_level = SelectField(
        _l("Level of the receiving unit"),
        choices=[
            SelectChoice("city", _l("City")),
            SelectChoice("county", _l("County, district or zone")),
        ],
        invalid_choice_message=_l("Choose the unit's level."),
    )


class JurisdictionPolicyForm(PanelForm):
    profile = SelectField(
        _l("Profile"), invalid_choice_message=_l("Choose a profile from the list.")
    )


# --------------------------------------------------------------------------- organisation


class CheckboxesField(SelectMultipleField):
    """Several choices as checkboxes: usable on a phone without JavaScript."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class JurisdictionForm(FlaskForm):
    code = StringField(
        _l("Code"),
        description=_l("The administrative division code, e.g. 445103 or 445103100."),
        validators=[DataRequired(_l("Enter the code: 2 to 12 digits.")), Length(max=12)],
        render_kw={"inputmode": "numeric", "autocomplete": "off"},
    )
    name = StringField(
        _l("Name"), validators=[DataRequired(_l("Enter the jurisdiction's name.")), Length(max=100)]
    )
    level = SelectField(
        _l("Level"),
        choices=choices(JurisdictionLevel),
        validators=[DataRequired(_l("Choose the level."))],
        invalid_choice_message=_l("Choose the level."),
    )
    parent = SelectField(
        _l("Belongs to"),
        description=_l("The jurisdiction one level up; none for the top of the tree."),
        validators=[Optional()],
        invalid_choice_message=_l("Choose the jurisdiction from the list."),
    )


class UnitForm(FlaskForm):
    name = StringField(
        _l("Name"), validators=[DataRequired(_l("Enter the unit's name.")), Length(max=100)]
    )
    kind = SelectField(
        _l("Kind"),
        validators=[DataRequired(_l("Choose the kind of unit."))],
        invalid_choice_message=_l("Choose the kind of unit."),
    )
    parent = SelectField(
        _l("Part of (optional)"),
        description=_l("E.g. a town section under the town's office."),
        validators=[Optional()],
        invalid_choice_message=_l("Choose the unit from the list."),
    )
    phone = StringField(_l("Phone (optional)"), validators=[Length(max=40)])
    address = StringField(_l("Address (optional)"), validators=[Length(max=200)])
    head_name = StringField(_l("Head (optional)"), validators=[Length(max=64)])
    head_phone = StringField(_l("Head's phone (optional)"), validators=[Length(max=40)])
    leader_name = StringField(_l("Leader in charge (optional)"), validators=[Length(max=64)])
    leader_phone = StringField(_l("Leader's phone (optional)"), validators=[Length(max=40)])


class CategoryForm(FlaskForm):
    number = IntegerField(
        _l("Number"),
        validators=[
            InputRequired(_l("Enter the category's number, 1 or more.")),
            NumberRange(min=1, max=999, message=_l("Enter the category's number, 1 or more.")),
        ],
        render_kw={"inputmode": "numeric"},
    )
    name = StringField(
        _l("Name"), validators=[DataRequired(_l("Enter the category's name.")), Length(max=100)]
    )
    description = TextAreaField(_l("What it covers (optional)"), validators=[Length(max=2000)])
    responsible = StringField(
        _l("Responsible, in the document's words (optional)"), validators=[Length(max=300)]
    )
    leads = CheckboxesField(
        _l("Lead units"),
        validators=[DataRequired(_l("Choose at least one lead unit."))],
        invalid_choice_message=_l("Choose lead units of this jurisdiction or above."),
    )
    co_handlers = CheckboxesField(
        _l("Co-handling units by default (optional)"),
        validators=[Optional()],
        invalid_choice_message=_l("Choose co-handling units of this jurisdiction or above."),
    )


class OrgImportForm(FlaskForm):
    file = FileField(
        _l("Filled template (.xlsx)"),
        description=_l("Download a template below, fill it in, and upload it here."),
        validators=[FileRequired(_l("Choose a file."))],
        render_kw={"accept": ".xlsx"},
    )
    dry_run = BooleanField(_l("Dry run: check every row and write nothing"), default=True)
