from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, Regexp

from portal.domain.models import CaseType, Channel
from portal.web.labels import LABELS, choices

# A mobile number, or a landline with its area code (0768-2201234).
PHONE = r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$"


class RegisterForm(FlaskForm):
    """受理登记表 (Chaozhou 附件2) for a whistle by phone, 12345, e-mail, visit…: the fields a
    clerk types while the caller is on the line, in the order the caller gives them."""

    channel = SelectField(
        _l("Arrived by"),
        default=Channel.PHONE.value,
        choices=[SelectChoice(c.value, LABELS[c]) for c in Channel if c is not Channel.PORTAL],
        validators=[DataRequired(_l("Choose how the whistle arrived."))],
    )
    applicant_name = StringField(
        _l("Enterprise or person"),
        validators=[
            DataRequired(_l("Enter the enterprise's or the person's name.")),
            Length(max=200),
        ],
    )
    credit_code = StringField(
        _l("Unified social credit code (optional)"),
        description=_l("Links the case to the enterprise in the registry, if it is there."),
        validators=[Optional(), Length(max=18)],
        render_kw={"autocapitalize": "characters", "spellcheck": "false"},
    )
    contact_name = StringField(
        _l("Contact person"),
        validators=[DataRequired(_l("Enter the name of the person to contact.")), Length(max=64)],
    )
    contact_phone = StringField(
        _l("Contact phone"),
        validators=[
            DataRequired(_l("Enter a contact phone number.")),
            Regexp(
                PHONE,
                message=_l(
                    "Enter a mobile number or a landline with its area code, like 0768-2201234."
                ),
            ),
        ],
        render_kw={"inputmode": "tel"},
    )
    case_type = RadioField(
        _l("Kind of request"),
        choices=choices(CaseType),
        default=CaseType.CONSULTATION.value,
        validators=[DataRequired(_l("Choose the kind of request."))],
    )
    category = SelectField(_l("Category (optional)"), validators=[Optional()])
    title = StringField(
        _l("Subject"),
        validators=[
            DataRequired(_l("Enter a short subject.")),
            Length(max=60, message=_l("Keep the subject to 60 characters or fewer.")),
        ],
    )
    content = TextAreaField(
        _l("The request"),
        validators=[
            DataRequired(_l("Describe the problem.")),
            Length(max=2000, message=_l("Write 2000 characters or fewer.")),
        ],
        render_kw={"rows": 5},
    )

    def prepare(self, categories) -> None:
        self.category.choices = [SelectChoice("", _l("Classify later"))] + [
            SelectChoice(str(c.id), f"{c.number}. {c.name}") for c in categories
        ]


class AnswerForm(FlaskForm):
    """A published answer (知识库): the question as enterprises ask it, the answer, and the
    policy it rests on with its date, so that a reader can check it is still in force."""

    question = StringField(
        _l("Question"),
        validators=[DataRequired(_l("Write the question as enterprises ask it.")), Length(max=200)],
    )
    answer = TextAreaField(
        _l("Answer"), validators=[DataRequired(_l("Write the answer.")), Length(max=10000)]
    )
    source = StringField(_l("Policy source (optional)"), validators=[Optional(), Length(max=200)])
    source_date = DateField(_l("Date of the policy (optional)"), validators=[Optional()])
    category = SelectField(_l("Category (optional)"), validators=[Optional()])
    keywords = StringField(
        _l("Keywords (optional)"),
        description=_l("Other words enterprises use for this, separated by spaces."),
        validators=[Optional(), Length(max=200)],
    )
    published = BooleanField(_l("Published: shown to enterprises"), default=True)


class NameCheckForm(FlaskForm):
    """The office's decision on an individual business registered under a company's exact
    name (issue 18 item 4): confirm it, or refuse it (its accounts are disabled)."""

    decision = RadioField(
        _l("Decision"),
        choices=[
            SelectChoice("confirm", _l("Confirm: a business of its own, it may whistle")),
            SelectChoice("refuse", _l("Refuse: it is not this business; disable its accounts")),
        ],
        validators=[DataRequired(_l("Choose whether to confirm or refuse the registration."))],
    )
