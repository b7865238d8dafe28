from flask_babel import lazy_gettext as _l
from wtforms import IntegerField, SelectField
from wtforms.validators import NumberRange
from wtforms.validators import Optional as Maybe

from portal.web.forms import DateField, PanelForm


class AuditFilterForm(PanelForm):
    """The audit log's filters, read from the query string (GET: bookmarkable)."""

    action = SelectField(_l("Action"), validators=[Maybe()])
    day_from = DateField(
        _l("From (Beijing date)"),
        validators=[Maybe()],
        invalid_value_message=_l("Enter a real date, for example 2026-11-25."),
    )
    day_to = DateField(
        _l("To (Beijing date)"),
        validators=[Maybe()],
        invalid_value_message=_l("Enter a real date, for example 2026-11-25."),
    )
    page = IntegerField(validators=[Maybe(), NumberRange(min=1, max=100000)])
