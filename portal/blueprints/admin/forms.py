from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from portal.domain.models import CalendarDayKind
from portal.web.forms import DateField
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
