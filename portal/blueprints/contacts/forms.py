from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    FieldList,
    FormField,
    HiddenField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, Regexp

from portal.domain.ledger import MAX_PROBLEMS
from portal.domain.models import ContactMethod, EnterpriseKind
from portal.web.forms import DateField, PanelForm
from portal.web.labels import choices

TEXT = [Length(max=2000, message=_l("Write 2000 characters or fewer."))]


class ProblemForm(FlaskForm):
    """One problem collected (问题诉求名称, 具体内容), handled by the unit or forwarded."""

    class Meta:
        csrf = False

    name = StringField(
        _l("Problem"),
        validators=[Length(max=100)],
        description=_l("In a few words, e.g. 'road to the plant damaged'."),
    )
    content = TextAreaField(_l("Details"), validators=TEXT, render_kw={"rows": 2})
    forward = BooleanField(_l("Not ours to handle: forward it to the office as a case"))


class ContactForm(FlaskForm):
    """Recording a contact: one short page, one submit (Dalu 附件1: 联系时间, 联系形式,
    收集问题诉求)."""

    contacted_on = DateField(
        _l("Date of contact"), validators=[DataRequired(_l("Enter the date of the contact."))]
    )
    method = RadioField(
        _l("How"),
        choices=choices(ContactMethod),
        default=ContactMethod.VISIT.value,
        validators=[DataRequired(_l("Choose how you were in touch."))],
    )
    note = TextAreaField(_l("Note (optional)"), validators=TEXT, render_kw={"rows": 2})
    problems = FieldList(FormField(ProblemForm), min_entries=3, max_entries=MAX_PROBLEMS)


class SettleForm(FlaskForm):
    """The unit's own handling of a problem: 办结时间, 办理情况."""

    finished_on = DateField(
        _l("Finished on (optional)"),
        validators=[Optional()],
        description=_l("Leave empty while it is still being handled."),
    )
    outcome = TextAreaField(_l("How it was handled"), validators=TEXT, render_kw={"rows": 3})
    reason = StringField(
        _l("Why it is changed (after the month was submitted)"), validators=[Length(max=200)]
    )


class SubmitMonthForm(FlaskForm):
    month = StringField(validators=[DataRequired()])


class EnterpriseForm(FlaskForm):
    """One enterprise of the registry (list, search, add, edit)."""

    name = StringField(
        _l("Enterprise name"),
        validators=[DataRequired(_l("Enter the enterprise's name.")), Length(max=200)],
    )
    credit_code = StringField(
        _l("Unified social credit code"),
        description=_l(
            "18 characters, on the business licence. Individual businesses "
            "without one may leave it empty."
        ),
        validators=[Length(max=40)],
        render_kw={"autocapitalize": "characters", "spellcheck": "false"},
    )
    kind = SelectField(
        _l("Kind"),
        choices=choices(EnterpriseKind),
        validators=[DataRequired(_l("Choose the kind."))],
    )
    industry = StringField(
        _l("Industry"),
        validators=[Length(max=100)],
        description=_l("The words the assignment rules look for, e.g. 餐饮, 建筑施工, 加油站."),
    )
    place = SelectField(_l("Place"), validators=[DataRequired(_l("Choose a place."))])
    address = StringField(_l("Address"), validators=[Length(max=200)])
    contact_name = StringField(_l("Contact person"), validators=[Length(max=64)])
    contact_phone = StringField(
        _l("Contact phone"), validators=[Length(max=40)], render_kw={"inputmode": "tel"}
    )


class ImportForm(FlaskForm):
    file = FileField(
        _l("Spreadsheet (.xlsx or .csv)"),
        description=_l(
            "First row: 企业名称, 统一社会信用代码, 企业类别, 行业, 地址, "
            "联系人, 联系电话, 所在村（社区）. Only 企业名称 is required."
        ),
        validators=[FileRequired(_l("Choose a file."))],
        render_kw={"accept": ".xlsx,.csv"},
    )


class ReassignForm(FlaskForm):
    enterprises = SelectMultipleField(
        _l("Enterprises"), coerce=int, choices=[], validate_choice=False
    )
    unit = SelectField(_l("Unit"), validators=[DataRequired(_l("Choose a unit."))])
    person = SelectField(_l("Liaison person (optional)"), validators=[Optional()])
    scope = RadioField(
        _l("Which enterprises"),
        default="chosen",
        choices=[
            SelectChoice("chosen", _l("Those ticked on this page")),
            SelectChoice("search", _l("Every enterprise this search finds, on every page")),
        ],
        validators=[DataRequired(_l("Choose which enterprises to reassign."))],
    )
    confirm = HiddenField()  # the number of changes the office confirmed


class RuleForm(PanelForm):
    """One assignment rule (Dalu 一 "具体分工如下"), one of several on the rules page (hence
    the prefix)."""

    description = StringField(
        _l("The rule"),
        validators=[
            DataRequired(_l("Enter what the rule says, e.g. 应急办负责砖厂、加油站.")),
            Length(max=200, message=_l("Keep it to 200 characters or fewer.")),
        ],
    )
    words = StringField(
        _l("Industry words"),
        description=_l("Separated by 、, e.g. 砖厂、加油站; empty: any industry."),
        validators=[Length(max=300, message=_l("Keep the words to 300 characters or fewer."))],
    )
    kind = SelectField(
        _l("Enterprise kind"),
        choices=[SelectChoice("", _l("Any kind")), *choices(EnterpriseKind)],
        validators=[Optional()],
    )
    unit = SelectField(_l("Unit"), validate_choice=False)
    position = StringField(
        _l("Order"),
        description=_l("1 is tried first."),
        validators=[
            Regexp(
                r"^\s*\d{1,4}\s*$",
                message=_l("Enter the rule's place in the order as a number, like 3."),
            )
        ],
        render_kw={"inputmode": "numeric", "size": 3},
    )


class ApplyRulesForm(PanelForm):
    scope = RadioField(
        _l("Which enterprises"),
        default="unassigned",
        choices=[
            SelectChoice("unassigned", _l("Only those without a unit")),
            SelectChoice(
                "all",
                _l(
                    "Every enterprise: one whose unit changes waits for the new "
                    "unit to name its person"
                ),
            ),
        ],
    )


class UnitPeopleForm(FlaskForm):
    """Who a unit's ledger names (Dalu 附件1-4): 科室负责人 or 村（社区）书记, and 分管领导, the
    unit's 联系服务领导."""

    head_name = StringField(_l("Head (科室负责人 or 村（社区）书记)"), validators=[Length(max=64)])
    head_phone = StringField(
        _l("Head's phone"), validators=[Length(max=40)], render_kw={"inputmode": "tel"}
    )
    leader_name = StringField(
        _l("Leader in charge (分管领导, the unit's 联系服务领导)"), validators=[Length(max=64)]
    )
    leader_phone = StringField(
        _l("Leader's phone"), validators=[Length(max=40)], render_kw={"inputmode": "tel"}
    )
