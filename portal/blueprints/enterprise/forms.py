from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import HiddenField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Regexp

from portal.domain.models import CaseType
from portal.web.labels import choices

MOBILE = r"^1[3-9]\d{9}$"


class WhistleForm(FlaskForm):
    """One short page: few fields, one button (STYLE.md, Forms)."""

    level = RadioField(
        _l("Whistle to"),
        description=_l("Consultations may go to the city; business handling goes to your "
                       "county, district or zone first."),
        validators=[DataRequired(_l("Choose where to whistle."))],
        invalid_choice_message=_l("Choose where to whistle."),
    )
    case_type = RadioField(
        _l("Kind of request"), choices=choices(CaseType),
        validators=[DataRequired(_l("Choose the kind of request."))],
        invalid_choice_message=_l("Choose the kind of request."),
    )
    category = SelectField(
        _l("Category"), coerce=str,
        validators=[DataRequired(_l("Choose the category that fits best."))],
        invalid_choice_message=_l("Choose the category that fits best."),
    )
    title = StringField(
        _l("Subject"),
        description=_l("In a few words, for example: 30 workers short after Spring Festival."),
        validators=[DataRequired(_l("Enter a short subject.")),
                    Length(max=60, message=_l("Keep the subject to 60 characters or fewer."))],
    )
    content = TextAreaField(
        _l("Describe the problem"),
        description=_l("What happened, what you have tried, and what help you need."),
        validators=[DataRequired(_l("Describe the problem.")),
                    Length(min=10, max=2000, message=_l(
                        "Describe the problem in 10 to 2000 characters."))],
    )
    contact_name = StringField(
        _l("Contact person"),
        validators=[DataRequired(_l("Enter the name of the person we should contact.")),
                    Length(max=64)],
        render_kw={"autocomplete": "name"},
    )
    contact_phone = StringField(
        _l("Contact mobile number"),
        validators=[DataRequired(_l("Enter the contact mobile number.")),
                    Regexp(MOBILE, message=_l("Enter an 11-digit mobile number, like 13800000000."))],
        render_kw={"autocomplete": "tel", "inputmode": "tel"},
    )
    attachments = MultipleFileField(
        _l("Photos or documents (optional)"),
        description=_l("Up to 5 files: JPG, PNG or PDF, 10 MB each at most."),
        render_kw={"accept": "image/jpeg,image/png,application/pdf"},
    )
    submission_key = HiddenField()
