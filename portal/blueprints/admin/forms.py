from flask_babel import lazy_gettext as _l
from wtforms import DateField, RadioField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, Optional
from flask_wtf import FlaskForm

from portal.domain.models import CalendarDayKind
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
