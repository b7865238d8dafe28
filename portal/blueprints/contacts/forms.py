from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField, DateField, FieldList, FormField, RadioField, StringField, TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional

from portal.domain.ledger import MAX_PROBLEMS
from portal.domain.models import ContactMethod
from portal.web.labels import choices

TEXT = [Length(max=2000, message=_l("Write 2000 characters or fewer."))]


class ProblemForm(FlaskForm):
    """One problem collected (问题诉求名称, 具体内容), handled by the unit or forwarded."""

    class Meta:
        csrf = False

    name = StringField(_l("Problem"), validators=[Length(max=100)],
                       description=_l("In a few words, e.g. 'road to the plant damaged'."))
    content = TextAreaField(_l("Details"), validators=TEXT, render_kw={"rows": 2})
    forward = BooleanField(_l("Not ours to handle: forward it to the office as a case"))


class ContactForm(FlaskForm):
    """Recording a contact: one short page, one submit (Dalu 附件1: 联系时间, 联系形式,
    收集问题诉求)."""

    contacted_on = DateField(_l("Date of contact"),
                             validators=[DataRequired(_l("Enter the date of the contact."))])
    method = RadioField(_l("How"), choices=choices(ContactMethod),
                        default=ContactMethod.VISIT.value,
                        validators=[DataRequired(_l("Choose how you were in touch."))])
    note = TextAreaField(_l("Note (optional)"), validators=TEXT, render_kw={"rows": 2})
    problems = FieldList(FormField(ProblemForm), min_entries=3, max_entries=MAX_PROBLEMS)


class SettleForm(FlaskForm):
    """The unit's own handling of a problem: 办结时间, 办理情况."""

    finished_on = DateField(_l("Finished on (optional)"), validators=[Optional()],
                            description=_l("Leave empty while it is still being handled."))
    outcome = TextAreaField(_l("How it was handled"), validators=TEXT, render_kw={"rows": 3})
    reason = StringField(_l("Why it is changed (after the month was submitted)"),
                         validators=[Length(max=200)])


class SubmitMonthForm(FlaskForm):
    month = StringField(validators=[DataRequired()])
