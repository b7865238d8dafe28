from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import HiddenField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Regexp

from portal.domain.models import CaseType
from portal.web.forms import PanelForm
from portal.web.labels import choices

MOBILE = r"^1[3-9]\d{9}$"


class WhistleForm(FlaskForm):
    """One short page: few fields, one button (STYLE.md, Forms)."""

    level = RadioField(
        _l("Whistle to"),
        description=_l(
            "Consultations may go to the city; business handling goes to your "
            "county, district or zone first."
        ),
        validators=[DataRequired(_l("Choose where to whistle."))],
        invalid_choice_message=_l("Choose where to whistle."),
    )
    case_type = RadioField(
        _l("Kind of request"),
        choices=choices(CaseType),
        validators=[DataRequired(_l("Choose the kind of request."))],
        invalid_choice_message=_l("Choose the kind of request."),
    )
    category = SelectField(
        _l("Category"),
        coerce=str,
        validators=[DataRequired(_l("Choose the category that fits best."))],
        invalid_choice_message=_l("Choose the category that fits best."),
    )
    title = StringField(
        _l("Subject"),
        description=_l("In a few words, for example: 30 workers short after Spring Festival."),
        validators=[
            DataRequired(_l("Enter a short subject.")),
            Length(max=60, message=_l("Keep the subject to 60 characters or fewer.")),
        ],
    )
    content = TextAreaField(
        _l("Describe the problem"),
        description=_l("What happened, what you have tried, and what help you need."),
        validators=[
            DataRequired(_l("Describe the problem.")),
            Length(min=10, max=2000, message=_l("Describe the problem in 10 to 2000 characters.")),
        ],
    )
    contact_name = StringField(
        _l("Contact person"),
        validators=[
            DataRequired(_l("Enter the name of the person we should contact.")),
            Length(max=64),
        ],
        render_kw={"autocomplete": "name"},
    )
    contact_phone = StringField(
        _l("Contact mobile number"),
        validators=[
            DataRequired(_l("Enter the contact mobile number.")),
            Regexp(MOBILE, message=_l("Enter an 11-digit mobile number, like 13800000000.")),
        ],
        render_kw={"autocomplete": "tel", "inputmode": "tel"},
    )
    attachments = MultipleFileField(
        _l("Photos or documents (optional)"),
        description=_l("Up to 5 files: JPG, PNG or PDF, 10 MB each at most."),
        render_kw={"accept": "image/jpeg,image/png,application/pdf"},
    )
    submission_key = HiddenField(
        validators=[
            Length(max=64),
            Regexp(r"^[A-Za-z0-9_-]*$", message=_l("Reload the page and try again.")),
        ]
    )


class RatingForm(PanelForm):
    """服务反馈评价单 (Chaozhou 附件3)."""

    level = RadioField(
        _l("How satisfied are you with the service?"),
        validators=[DataRequired(_l("Choose how satisfied you are."))],
        invalid_choice_message=_l("Choose how satisfied you are."),
    )
    solved = RadioField(
        _l("Is the problem solved?"),
        choices=[SelectChoice("yes", _l("Solved")), SelectChoice("no", _l("Not solved"))],
        validators=[DataRequired(_l("Say whether the problem is solved."))],
        invalid_choice_message=_l("Say whether the problem is solved."),
    )
    comment = TextAreaField(
        _l("Comment (optional)"),
        description=_l("If you are not satisfied, say what is still missing."),
        validators=[Length(max=1000, message=_l("Keep the comment to 1000 characters or fewer."))],
    )


class SupplementForm(PanelForm):
    text = TextAreaField(
        _l("Add information"),
        description=_l("New facts, answers to the department's questions, or documents."),
        validators=[Length(max=2000, message=_l("Write 2000 characters or fewer."))],
    )
    attachments = MultipleFileField(
        _l("Photos or documents (optional)"),
        description=_l("Up to 5 files: JPG, PNG or PDF, 10 MB each at most."),
        render_kw={"accept": "image/jpeg,image/png,application/pdf"},
    )


class TrackForm(FlaskForm):
    """Issue 17 item 2: the number with or without hyphens and spaces, the mobile with
    spaces, dashes or +86 (read by `domain/tracking.py`)."""

    number = StringField(
        _l("Case number"),
        description=_l(
            "As in the text message or told on the phone, for example 445100-2026-00012; "
            "hyphens and spaces may be left out."
        ),
        validators=[DataRequired(_l("Enter the case number.")), Length(max=40)],
        render_kw={"autocapitalize": "characters", "spellcheck": "false"},
    )
    mobile = StringField(
        _l("Mobile number"),
        description=_l("The number the case was registered with; spaces, dashes and +86 are fine."),
        validators=[
            DataRequired(_l("Enter the mobile number the case was registered with.")),
            Length(max=24),
        ],
        render_kw={"autocomplete": "tel", "inputmode": "tel"},
    )
