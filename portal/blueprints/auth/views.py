"""Sign in, sign out, and the language switch."""

from __future__ import annotations

import sqlalchemy as sa
from flask import current_app, flash, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, logout_user
from wtforms.fields.choices import SelectChoice

from portal.blueprints import home_url
from portal.blueprints.auth import bp
from portal.blueprints.auth.forms import (
    ColleagueForm, LanguageForm, LoginForm, PasswordForm, RegisterForm,
)
from portal.domain import accounts
from portal.domain.models import EnterpriseKind, Jurisdiction, JurisdictionLevel, Role, User
from portal.extensions import db, limiter
from portal.web import limits
from portal.web.guards import requires
from portal.web.labels import masked_mobile
from portal.web.redirects import safe_next
from portal.web.rendering import render_screen
from portal.web.forms import commit_or_explain
from portal.web.sessions import sign_in, utcnow


def _login_limit() -> str:
    return limits.login_limit()  # stricter while Redis is down (SECURITY.md checklist 27)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def login():
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
        if current_user.is_authenticated:
            return redirect(home_url(current_user), 303)
    if form.validate_on_submit():
        result = accounts.authenticate(
            db.session, form.login.data, form.password.data, now=utcnow(),
            max_failures=current_app.config["LOGIN_MAX_FAILURES"],
            lockout=current_app.config["LOGIN_LOCKOUT"], ip=request.remote_addr)
        db.session.commit()
        if result.ok:
            sign_in(result.user)
            return redirect(safe_next(form.next.data) or home_url(result.user), 303)
        # One message for every failure: it must not reveal which part was wrong.
        form.form_errors.append(_(
            "The mobile number, username or password is not right, or the account is "
            "locked after repeated failures. Check them and try again; after 5 failures "
            "wait 15 minutes."))
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


@bp.post("/language")
def language():
    form = LanguageForm()
    if form.validate_on_submit() and form.lang.data in current_app.config["LANGUAGES"]:
        session["lang"] = form.lang.data
    return redirect(safe_next(form.next.data) or url_for("enterprise.index"), 303)


def _places() -> list[SelectChoice]:
    """Counties, districts, zones and towns, each named with its parent."""
    rows = db.session.scalars(sa.select(Jurisdiction).where(Jurisdiction.level.in_([
        JurisdictionLevel.COUNTY, JurisdictionLevel.ZONE, JurisdictionLevel.TOWN]))
        .order_by(Jurisdiction.code)).all()
    return [SelectChoice(str(j.id), f"{j.parent.name} · {j.name}"
                         if j.level is JurisdictionLevel.TOWN else j.name) for j in rows]


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
    if form.validate_on_submit():
        done, user = commit_or_explain(form, "mobile", lambda: accounts.register_enterprise_user(
            db.session, name=form.name.data, mobile=form.mobile.data,
            password=form.password.data, enterprise_name=form.enterprise_name.data,
            credit_code_raw=form.credit_code.data or "", kind=EnterpriseKind(form.kind.data),
            jurisdiction=db.session.get(Jurisdiction, int(form.jurisdiction.data)),
            at=utcnow()))
        if done:
            sign_in(user)
            flash(_("Your account is ready. You can whistle now."))
            return redirect(safe_next(form.next.data) or url_for("enterprise.whistle"), 303)
    form.password.data = ""
    return render_screen("auth/register.html", form=form)


@bp.route("/password", methods=["GET", "POST"])
@requires(*Role)
@limiter.limit("10 per hour", methods=["POST"])
def password():
    """Change one's own password; the user signs in again everywhere else."""
    form = PasswordForm()
    user = current_user._get_current_object()
    if form.validate_on_submit():
        done, _none = commit_or_explain(form, "password", lambda: accounts.change_password(
            user, current=form.current.data, new=form.password.data))
        if done:
            sign_in(user)  # this session carries the new session version
            flash(_("Your password has been changed."))
            return redirect(home_url(current_user), 303)
    return render_screen("auth/password.html", form=form)


@bp.route("/colleagues", methods=["GET", "POST"])
@requires(Role.ENTERPRISE)
@limiter.limit("20 per hour", methods=["POST"])
def colleagues():
    """An enterprise's users, and adding a colleague."""
    form = ColleagueForm()
    if form.validate_on_submit():
        done, _none = commit_or_explain(form, "mobile", lambda: accounts.add_colleague(
            db.session, by=current_user, name=form.name.data, mobile=form.mobile.data,
            password=form.password.data, at=utcnow()))
        if done:
            flash(_("%(name)s can now sign in with %(mobile)s.", name=form.name.data,
                    mobile=masked_mobile(form.mobile.data.strip())))
            return redirect(url_for("auth.colleagues"), 303)
    form.password.data = ""
    users = db.session.scalars(sa.select(User).where(
        User.enterprise_id == current_user.enterprise_id).order_by(User.id)).all()
    return render_screen("auth/colleagues.html", form=form, users=users)
