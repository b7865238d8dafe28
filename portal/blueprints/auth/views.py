"""Sign in (password, then a code where the user has a second factor), sign out, the
language switch, changing one's password and enrolling a second factor."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask import current_app, flash, make_response, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, logout_user
from wtforms.fields.choices import SelectChoice

from portal.blueprints import home_url
from portal.blueprints.auth import bp
from portal.blueprints.auth.forms import (
    ClaimForm,
    ColleagueForm,
    LanguageForm,
    LoginForm,
    PasswordForm,
    RegisterForm,
    SecondFactorForm,
    SignInCodeForm,
)
from portal.domain import accounts, claims, codes, second_factor
from portal.domain.errors import RuleViolation
from portal.domain.models import EnterpriseKind, Jurisdiction, JurisdictionLevel, Role, User
from portal.extensions import db, limiter
from portal.web import limits, sms_codes
from portal.web.forms import commit_or_explain, validate_all
from portal.web.guards import STAFF, requires
from portal.web.labels import masked_mobile
from portal.web.redirects import safe_next
from portal.web.rendering import render_screen, wants_fragment
from portal.web.sessions import (
    await_second_factor,
    awaiting_second_factor,
    forget_second_factor,
    sign_in,
    utcnow,
)


def LOGIN_FAILURE() -> str:  # noqa: N802 (a message, translated when shown)
    return _(
        "The mobile number, username or password is not right, or the account is "
        "locked after repeated failures. Check them and try again; after 5 failures "
        "the account waits a while, longer after each further failure, unless you sign "
        "in with a code sent by SMS."
    )


def _login_rules() -> dict:
    """The sign-in check's settings for this request (config.py, "Login protection")."""
    days = current_app.config["STAFF_PASSWORD_MAX_AGE_DAYS"]
    return dict(
        now=utcnow(),
        max_failures=current_app.config["LOGIN_MAX_FAILURES"],
        delays=current_app.config["LOGIN_DELAYS"],
        ip=request.remote_addr,
        password_max_age=timedelta(days=days) if days else None,
    )


def _signed_in(result: accounts.LoginResult, next_url: str | None):
    """A right password: signed in, or on to the second factor's code."""
    if result.reason == "second_factor":
        await_second_factor(result.user, safe_next(next_url))
        return redirect(url_for("auth.second_factor"), 303)
    sign_in(result.user)
    return redirect(safe_next(next_url) or home_url(result.user), 303)


def _login_limit() -> str:
    return limits.login_limit()  # stricter while Redis is down (SECURITY.md checklist 27)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
@limiter.limit(_login_limit, methods=["POST"], key_func=limits.login_account_key)
def login():
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
        if current_user.is_authenticated:
            return redirect(home_url(current_user), 303)
    if form.validate_on_submit():
        result = accounts.authenticate(
            db.session, form.login.data, form.password.data, **_login_rules()
        )
        db.session.commit()
        if result.ok or result.reason == "second_factor":
            return _signed_in(result, form.next.data)
        # One message for every failure: it must not reveal which part was wrong.
        form.form_errors.append(LOGIN_FAILURE())
        form.password.data = ""
        return render_screen("auth/login.html", form=form, status=200)
    return render_screen("auth/login.html", form=form)


@bp.post("/logout")
@requires(*Role)
def logout():
    accounts.revoke_sessions(current_user)
    db.session.commit()
    logout_user()
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    return redirect(url_for("auth.login"), 303)


@bp.post("/keep-alive")
@requires(*Role)
def keep_alive():
    """ "Stay signed in" on the idle warning: a request by the user, so the idle clock
    starts again (`sessions._enforce_timeouts`); htmx swaps the warning away."""
    if wants_fragment():
        response = make_response('<div id="session-notice"></div>')
        response.vary.add("HX-Request")
        return response
    return redirect(home_url(current_user), 303)


@bp.post("/language")
def language():
    form = LanguageForm()
    if form.validate_on_submit() and form.lang.data in current_app.config["LANGUAGES"]:
        session["lang"] = form.lang.data
    return redirect(safe_next(form.next.data) or url_for("enterprise.index"), 303)


def _places() -> list[SelectChoice]:
    """Counties, districts, zones and towns, each named with its parent."""
    rows = db.session.scalars(
        sa.select(Jurisdiction)
        .where(
            Jurisdiction.level.in_(
                [JurisdictionLevel.COUNTY, JurisdictionLevel.ZONE, JurisdictionLevel.TOWN]
            )
        )
        .order_by(Jurisdiction.code)
    ).all()
    return [
        SelectChoice(
            str(j.id),
            f"{j.parent.name} · {j.name}" if j.level is JurisdictionLevel.TOWN else j.name,
        )
        for j in rows
    ]


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit("10 per hour", methods=["POST"])
def register():
    """An enterprise creates its account (one user; colleagues are added later)."""
    if current_user.is_authenticated:
        return redirect(home_url(current_user), 303)
    form = RegisterForm()
    form.jurisdiction.choices = [SelectChoice("", _("Choose a place"))] + _places()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    kinds = {k.value: k for k in EnterpriseKind}

    def problems():
        return accounts.registration_problems(
            db.session,
            mobile=form.mobile.data or "",
            password=form.password.data or "",
            credit_code_raw=form.credit_code.data or "",
            kind=kinds.get(form.kind.data),
        )

    if sms_codes.asked_for_code():
        sent = sms_codes.ask(form, codes.REGISTER, when_taken="number_taken")
        return render_screen("auth/register.html", form=form, sent=sent)
    if validate_all(form, problems, "mobile") and sms_codes.code_problems(form, codes.REGISTER):
        done, user = commit_or_explain(
            form,
            "mobile",
            lambda: accounts.register_enterprise_user(
                db.session,
                name=form.name.data,
                mobile=form.mobile.data,
                password=form.password.data,
                enterprise_name=form.enterprise_name.data,
                credit_code_raw=form.credit_code.data or "",
                kind=EnterpriseKind(form.kind.data),
                jurisdiction=db.session.get(Jurisdiction, int(form.jurisdiction.data)),
                at=utcnow(),
            ),
        )
        if done:
            sign_in(user)
            if user.enterprise.name_check:  # a company's exact name: the office confirms
                flash(
                    _(
                        "Your account is ready. A company is registered under the same "
                        "name, so the office confirms your business first; you can whistle "
                        "once it has."
                    )
                )
                return redirect(url_for("enterprise.cases"), 303)
            flash(_("Your account is ready. You can whistle now."))
            return redirect(safe_next(form.next.data) or url_for("enterprise.whistle"), 303)
    if form.password.errors:
        form.password.data = ""  # the only field cleared, and only when it is wrong
    return render_screen("auth/register.html", form=form, sent=None)


@bp.route("/second-factor", methods=["GET", "POST"], endpoint="second_factor")
@limiter.limit(_login_limit, methods=["POST"])
def second_factor_step():
    """The second step of signing in: the code. Reached only with the note a right password
    leaves; without it (or once it is stale) back to the login page. Wrong codes count
    towards the lockout (SECURITY.md 9)."""
    pending = awaiting_second_factor()
    if pending is None:
        forget_second_factor()
        return redirect(url_for("auth.login"), 303)
    user, next_url = pending
    form = SecondFactorForm()
    if form.validate_on_submit():
        result = accounts.complete_second_factor(
            db.session,
            user,
            form.code.data,
            now=utcnow(),
            max_failures=current_app.config["LOGIN_MAX_FAILURES"],
            delays=current_app.config["LOGIN_DELAYS"],
            ip=request.remote_addr,
        )
        db.session.commit()
        if result.ok:
            sign_in(user)
            return redirect(safe_next(next_url) or home_url(user), 303)
        if result.reason == "locked" or user.is_locked(utcnow()):
            forget_second_factor()
            flash(
                _(
                    "The account is locked after repeated failures. Wait a while, then sign "
                    "in again, or sign in at once with a code sent by SMS."
                )
            )
            return redirect(url_for("auth.login"), 303)
        form.code.errors = [
            _("That code is not right or was used already. Enter the code the app shows now.")
        ]
    form.code.data = ""
    return render_screen("auth/second_factor.html", form=form)


def _policy(user) -> accounts.PasswordPolicy:
    return accounts.PasswordPolicy.for_role(user.role, current_app.config)


@bp.route("/password", methods=["GET", "POST"])
@requires(*Role)
@limiter.limit("10 per hour", methods=["POST"])
def password():
    """Change one's own password (the current one is needed); the user signs in again
    everywhere else. A one-time or expired password leads every page here (SECURITY.md 2,
    8)."""
    form = PasswordForm()
    user = current_user._get_current_object()
    policy = _policy(user)
    form.password.description = (
        _(
            "At least %(num)d characters, with %(classes)d of: capital letters, small "
            "letters, digits, symbols. Not your username or mobile number.",
            num=policy.min_length,
            classes=policy.classes,
        )
        if policy.classes
        else _("At least %(num)d characters.", num=policy.min_length)
    )
    forced = user.must_change_password
    if form.validate_on_submit():
        done, _none = commit_or_explain(
            form,
            "password",
            lambda: accounts.change_password(
                user, current=form.current.data, new=form.password.data, policy=policy, at=utcnow()
            ),
        )
        if done:
            sign_in(user)  # this session carries the new session version
            flash(_("Your password has been changed."))
            return redirect(home_url(current_user), 303)
    return render_screen("auth/password.html", form=form, forced=forced)


ENROL_SECRET = "second_factor_enrol"


@bp.route("/second-factor/enrol", methods=["GET", "POST"])
@requires(*STAFF)
@limiter.limit("20 per hour", methods=["POST"])
def second_factor_enrol():
    """Staff add a TOTP second factor: the secret as text and as a QR code (inline SVG, no
    outside image), then a code to confirm. Required before any other page where
    REQUIRE_STAFF_MFA is set (SECURITY.md 9)."""
    import segno

    user = current_user._get_current_object()
    if user.has_second_factor:
        return render_screen("auth/second_factor_enrol.html", form=None, enrolled=True)
    secret = session.get(ENROL_SECRET)
    if not secret:
        secret = session[ENROL_SECRET] = second_factor.new_secret()
    form = SecondFactorForm()
    if form.validate_on_submit():
        done, _none = commit_or_explain(
            form,
            "code",
            lambda: accounts.enrol_second_factor(
                db.session,
                user,
                secret=secret,
                code=form.code.data,
                at=utcnow(),
                ip=request.remote_addr,
            ),
        )
        if done:
            session.pop(ENROL_SECRET, None)
            flash(
                _(
                    "The second factor is on. From now on you sign in with your password and "
                    "a code from the app."
                )
            )
            return redirect(home_url(user), 303)
    form.code.data = ""
    uri = second_factor.provisioning_uri(secret, user.username or user.mobile)
    qr = segno.make(uri, error="m").svg_inline(scale=4, title=_("QR code for the app"))
    qr = qr.replace("<svg ", '<svg role="img" ', 1)
    grouped = " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
    return render_screen(
        "auth/second_factor_enrol.html",
        form=form,
        enrolled=False,
        secret=grouped,
        qr=qr,
        required=current_app.config["REQUIRE_STAFF_MFA"],
    )


@bp.route("/colleagues", methods=["GET", "POST"])
@requires(Role.ENTERPRISE)
@limiter.limit("20 per hour", methods=["POST"])
def colleagues():
    """An enterprise's users, and adding a colleague."""
    form = ColleagueForm()

    def problems():
        return accounts.colleague_problems(
            db.session, mobile=form.mobile.data or "", password=form.password.data or ""
        )

    sent = None
    if sms_codes.asked_for_code():
        # A number with an account gets nothing: the colleague already signs in with it.
        sent = sms_codes.ask(form, codes.COLLEAGUE, when_taken=None)
    elif validate_all(form, problems, "mobile") and sms_codes.code_problems(form, codes.COLLEAGUE):
        done, _none = commit_or_explain(
            form,
            "mobile",
            lambda: accounts.add_colleague(
                db.session,
                by=current_user,
                name=form.name.data,
                mobile=form.mobile.data,
                password=form.password.data,
                at=utcnow(),
            ),
        )
        if done:
            flash(
                _(
                    "%(name)s can now sign in with %(mobile)s.",
                    name=form.name.data,
                    mobile=masked_mobile(form.mobile.data.strip()),
                )
            )
            return redirect(url_for("auth.colleagues"), 303)
    if form.password.errors:
        form.password.data = ""
    users = db.session.scalars(
        sa.select(User).where(User.enterprise_id == current_user.enterprise_id).order_by(User.id)
    ).all()
    return render_screen("auth/colleagues.html", form=form, users=users, sent=sent)


@bp.route("/claim", methods=["GET", "POST"])
@limiter.limit("20 per hour", methods=["POST"])
def claim():
    """An enterprise already in the registry claims its account: with the code on its
    service card, or with the mobile number the registry holds for its contact; either way
    the claimant's mobile is shown by an SMS code (portal/domain/claims.py)."""
    if current_user.is_authenticated:
        return redirect(home_url(current_user), 303)
    form = ClaimForm()
    if request.method == "GET" and request.args.get("card"):
        form.card_code.data = codes.grouped(codes.normalise(request.args["card"])[:20])
    sent = None
    secret = current_app.config["SECRET_KEY"]

    def problems():
        return [
            *accounts.registration_problems(
                db.session,
                mobile=form.mobile.data or "",
                password=form.password.data or "",
                credit_code_raw="",
                kind=None,
            ),
            *claims.card_problems(
                db.session,
                form.card_code.data or "",
                at=utcnow(),
                secret=secret,
                ip=request.remote_addr,
            ),
        ]

    if sms_codes.asked_for_code():
        sent = sms_codes.ask(form, codes.CLAIM, when_taken="number_taken")
    elif validate_all(form, problems, "card_code"):
        db.session.commit()  # nothing but the audit of a refused card code
        if sms_codes.code_problems(form, codes.CLAIM):
            user = _claim(form, secret)
            if user is not None:
                sign_in(user)
                flash(
                    _(
                        "Your account for %(name)s is ready. You can whistle and follow its "
                        "cases now.",
                        name=user.enterprise.name,
                    )
                )
                return redirect(url_for("enterprise.whistle"), 303)
    else:
        db.session.commit()  # the audit row of a refused card code
    if form.password.errors:
        form.password.data = ""
    return render_screen("auth/claim.html", form=form, sent=sent)


def _claim(form: ClaimForm, secret: str) -> User | None:
    """Run the claim; a refusal goes beside its field, and its audit row is kept."""
    from portal.web.forms import explain

    try:
        user = claims.claim_account(
            db.session,
            claims.Claim(
                name=form.name.data,
                mobile=form.mobile.data,
                password=form.password.data,
                card_code=form.card_code.data or "",
            ),
            at=utcnow(),
            secret=secret,
            ip=request.remote_addr,
        )
    except claims.ClaimRefused as refused:
        db.session.commit()  # the refusal's audit row
        explain(form, [refused], "card_code")
        return None
    except RuleViolation as problem:
        db.session.rollback()
        explain(form, [problem], "card_code")
        return None
    db.session.commit()
    return user


@bp.route("/sign-in-code", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
@limiter.limit(_login_limit, methods=["POST"], key_func=limits.login_account_key)
def sign_in_code():
    """Sign in at once while the account waits after wrong passwords: a code sent by SMS
    to its verified mobile, and the password (accounts.sign_in_with_code). Asking for the
    code says the same whatever the account; a wrong code counts as a failed sign-in."""
    if current_user.is_authenticated:
        return redirect(home_url(current_user), 303)
    form = SignInCodeForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    sent = None
    secret = current_app.config["SECRET_KEY"]
    if sms_codes.asked_for_code():
        login = (form.login.data or "").strip()
        form.code.data = form.password.data = ""
        if not login:
            form.login.errors = [_("Enter your mobile number or username.")]
        elif not sms_codes.within_budget("login:" + login.lower()[:64]):
            form.login.errors = [sms_codes.too_many()]
        else:
            found = accounts.request_sign_in_code(
                db.session, login, now=utcnow(), secret=secret, ip=request.remote_addr
            )
            db.session.commit()
            if found is not None:
                mobile, code = found
                sms_codes.send(
                    mobile,
                    "verify_code",
                    {"code": code, "minutes": int(codes.SMS_TTL.seconds / 60)},
                )
            sent = _(
                "If this account has a verified mobile number, a 6-digit code is on its way "
                "to it. Enter it below with your password; it works for 5 minutes."
            )
    elif form.validate_on_submit():
        result = accounts.sign_in_with_code(
            db.session,
            form.login.data,
            form.password.data,
            form.code.data,
            secret=secret,
            **_login_rules(),
        )
        db.session.commit()
        if result.ok or result.reason == "second_factor":
            return _signed_in(result, form.next.data)
        form.form_errors.append(
            _(
                "The code, the account or the password is not right. Check them, or ask for "
                "a new code."
            )
        )
        form.code.data = form.password.data = ""
    return render_screen("auth/sign_in_code.html", form=form, sent=sent)
