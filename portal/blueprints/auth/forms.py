from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, PasswordField, RadioField, SelectField, StringField
from wtforms.validators import DataRequired, Length
from wtforms.widgets import PasswordInput

from portal.domain.models import EnterpriseKind
from portal.web.labels import choices

# A new password the rules accepted is shown again when another field was wrong: only a
# wrong password is cleared (issue 17 item 3). Pages are never cached (no-store).
KEPT_PASSWORD = PasswordInput(hide_value=False)


def sms_code_field(label=None, description=None):
    """The 6-digit code sent by SMS to the form's mobile number (issue 17 item 7)."""
    return StringField(
        label or _l("Code from the SMS"),
        description=description
        or _l("Press “Send code”, then enter the 6 digits of the SMS. It works for 5 minutes."),
        validators=[DataRequired(_l("Enter the 6-digit code from the SMS.")), Length(max=12)],
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric", "spellcheck": "false"},
    )


def _your_name():
    return StringField(
        _l("Your name"),
        validators=[DataRequired(_l("Enter your name.")), Length(max=64)],
        render_kw={"autocomplete": "name"},
    )


def _own_mobile():
    return StringField(
        _l("Mobile number"),
        description=_l("You sign in with it; the office calls you on it."),
        validators=[DataRequired(_l("Enter your mobile number.")), Length(max=20)],
        render_kw={"autocomplete": "tel", "inputmode": "tel"},
    )


def _new_password():
    return PasswordField(
        _l("Password"),
        description=_l("At least 8 characters."),
        validators=[DataRequired(_l("Choose a password.")), Length(max=128)],
        widget=KEPT_PASSWORD,
        render_kw={"autocomplete": "new-password"},
    )


class LoginForm(FlaskForm):
    login = StringField(
        _l("Mobile number or username"),
        description=_l("Enterprises use the mobile number they registered with."),
        validators=[DataRequired(_l("Enter your mobile number or username.")), Length(max=64)],
        render_kw={"autocomplete": "username", "autocapitalize": "none", "spellcheck": "false"},
    )
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(_l("Enter your password.")), Length(max=128)],
        render_kw={"autocomplete": "current-password"},
    )
    next = HiddenField()


class LanguageForm(FlaskForm):
    lang = HiddenField(validators=[DataRequired()])
    next = HiddenField()


class RegisterForm(FlaskForm):
    """An enterprise signs up: few fields, one page."""

    name = _your_name()
    mobile = _own_mobile()
    code = sms_code_field()
    password = _new_password()
    enterprise_name = StringField(
        _l("Enterprise name"),
        description=_l("As on the business licence."),
        validators=[DataRequired(_l("Enter the enterprise name.")), Length(max=200)],
        render_kw={"autocomplete": "organization"},
    )
    kind = RadioField(
        _l("Kind of enterprise"),
        choices=choices(EnterpriseKind),
        validators=[DataRequired(_l("Choose the kind of enterprise."))],
        invalid_choice_message=_l("Choose the kind of enterprise."),
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
    jurisdiction = SelectField(
        _l("Where the enterprise is"),
        validators=[DataRequired(_l("Choose the county, district, zone or town."))],
        invalid_choice_message=_l("Choose the county, district, zone or town."),
    )
    next = HiddenField()


class PasswordForm(FlaskForm):
    current = PasswordField(
        _l("Current password"),
        validators=[DataRequired(_l("Enter your current password.")), Length(max=128)],
        render_kw={"autocomplete": "current-password"},
    )
    password = PasswordField(
        _l("New password"),
        description=_l("At least 8 characters."),
        validators=[DataRequired(_l("Choose a new password.")), Length(max=128)],
        render_kw={"autocomplete": "new-password"},
    )


class ColleagueForm(FlaskForm):
    name = StringField(
        _l("Colleague's name"),
        validators=[DataRequired(_l("Enter your colleague's name.")), Length(max=64)],
    )
    mobile = StringField(
        _l("Colleague's mobile number"),
        description=_l("Your colleague signs in with it."),
        validators=[DataRequired(_l("Enter your colleague's mobile number.")), Length(max=20)],
        render_kw={"inputmode": "tel"},
    )
    code = sms_code_field(
        description=_l(
            "Press “Send code”: your colleague receives 6 digits by SMS and tells you them. "
            "It works for 5 minutes."
        )
    )
    password = PasswordField(
        _l("First password"),
        description=_l(
            "At least 8 characters. Tell it to your colleague, who must change it at "
            "the first sign-in."
        ),
        validators=[DataRequired(_l("Choose a first password.")), Length(max=128)],
        widget=KEPT_PASSWORD,
        render_kw={"autocomplete": "new-password"},
    )


class SecondFactorForm(FlaskForm):
    """The code step of signing in, and confirming a new second factor."""

    code = StringField(
        _l("Code from your authenticator app"),
        description=_l("6 digits; a new code shows every 30 seconds."),
        validators=[
            DataRequired(_l("Enter the 6-digit code from your authenticator app.")),
            Length(max=12),
        ],
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric", "spellcheck": "false"},
    )


class ClaimForm(FlaskForm):
    """An enterprise in the registry claims its account: the service card's code (or the
    registry's contact mobile), who the claimant is, and the SMS code to that mobile."""

    card_code = StringField(
        _l("Code on the service card"),
        description=_l(
            "12 letters and digits, from the service card your liaison gave you. Leave it "
            "empty if the registry has your mobile number as the enterprise's contact."
        ),
        validators=[Length(max=20)],
        render_kw={"autocapitalize": "characters", "spellcheck": "false", "autocomplete": "off"},
    )
    name = _your_name()
    mobile = _own_mobile()
    code = sms_code_field()
    password = _new_password()


class SignInCodeForm(FlaskForm):
    """Signing in at once, with a code sent to the account's verified mobile, while the
    account waits after repeated wrong passwords."""

    login = StringField(
        _l("Mobile number or username"),
        validators=[DataRequired(_l("Enter your mobile number or username.")), Length(max=64)],
        render_kw={"autocomplete": "username", "autocapitalize": "none", "spellcheck": "false"},
    )
    code = sms_code_field(
        description=_l(
            "Press “Send code”: the code goes to the mobile number verified for the account. "
            "6 digits, for 5 minutes."
        )
    )
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(_l("Enter your password.")), Length(max=128)],
        render_kw={"autocomplete": "current-password"},
    )
    next = HiddenField()
