"""Signing in and staying signed in: Flask-Login with server-side revocation and timeouts.

The session cookie holds "<user id>:<session version>". Logging out, disabling an account or
an admin's action bumps the version, so a copied or replayed cookie stops working at once
(SECURITY.md: "never a cookie that stays valid after logout"). Sessions also end after an
idle and an absolute timeout.

Two steps may stand between a right password and the portal (SECURITY.md checks 8 and 9): a
one-time or expired password must be changed, and where REQUIRE_STAFF_MFA is set a staff
member without a second factor must enrol one. Until then every page leads there. A user
with a second factor who has given the right password only is not signed in at all: the
session holds a short-lived note for the code step, and no page opens with it.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import current_app, redirect, request, session, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user, logout_user
from sqlalchemy.orm import joinedload

from portal.domain.models import Enterprise, Jurisdiction, OrgUnit, User
from portal.extensions import db


def utcnow() -> datetime:
    return datetime.now(UTC)


# What nearly every page asks of the user next: the enterprise or the unit, its
# jurisdiction and that jurisdiction's parents (the whistle targets, the categories, the
# policy in force). Read with the user in one statement instead of one lazy load each.
_PLACE = joinedload(Jurisdiction.parent).joinedload(Jurisdiction.parent)
_WITH_PLACE = (
    joinedload(User.enterprise).joinedload(Enterprise.jurisdiction).options(_PLACE),
    joinedload(User.unit).joinedload(OrgUnit.jurisdiction).options(_PLACE),
)


def load_user(token: str):
    user_id, _, version = token.partition(":")
    if not user_id.isdigit() or not version.isdigit():
        return None
    user = db.session.get(User, int(user_id), options=_WITH_PLACE)
    if user is None or not user.active or user.session_version != int(version):
        return None
    return user


def unauthorized():
    """Anonymous users go to the login page; htmx requests are told to go there
    (a 302 would swap the login page into a fragment)."""
    here = request.full_path if request.query_string else request.path
    target = url_for("auth.login", next=here if request.method == "GET" else None)
    if request.htmx:
        response = current_app.response_class(status=401)
        response.headers["HX-Redirect"] = target
        return response
    return redirect(target)


def go_to(target: str):
    """Send the browser to `target`: a 303, or for htmx an HX-Redirect (a redirect would
    swap the other page into the fragment)."""
    if request.htmx:
        response = current_app.response_class(status=200)
        response.headers["HX-Redirect"] = target
        return response
    return redirect(target, 303)


def _fresh_session() -> None:
    """Empty the session but for the chosen language."""
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang


def sign_in(user: User) -> None:
    """Start a fresh session for `user`: nothing from before sign-in is carried over (no
    fixation) except the chosen language, and the idle and absolute clocks start now."""
    _fresh_session()
    login_user(user)
    now = utcnow().timestamp()
    session["auth_at"] = now
    session["seen_at"] = now


PENDING = "second_factor_for"


def await_second_factor(user: User, next_url: str | None) -> None:
    """The password was right and a code is due: a fresh session that only names the user
    (with the session version) for the code step, and when the password was given."""
    _fresh_session()
    session[PENDING] = {
        "user": user.id,
        "version": user.session_version,
        "at": utcnow().timestamp(),
        "next": next_url or "",
    }


def awaiting_second_factor() -> tuple[User, str] | None:
    """The user (and the page asked for) waiting for the code step, if the note is recent
    and the account unchanged since the password."""
    note = session.get(PENDING)
    if not isinstance(note, dict):
        return None
    window = current_app.config["SECOND_FACTOR_WINDOW"].total_seconds()
    if utcnow().timestamp() - note.get("at", 0) > window:
        return None
    user = db.session.get(User, note.get("user"))
    if user is None or not user.active or user.session_version != note.get("version"):
        return None
    return user, note.get("next", "")


def forget_second_factor() -> None:
    session.pop(PENDING, None)


# Endpoints that never read the user or the session: no user load, no idle clock.
SESSIONLESS = {"static", "health.healthz"}

# Endpoints a signed-in user may use while a step is due (and the step's own page).
ALWAYS_OPEN = {"static", "auth.logout", "auth.language", "health.healthz"}


def account_step(user) -> str | None:
    """The endpoint `user` must complete before any other page, or None."""
    if not getattr(user, "is_authenticated", False):
        return None
    if user.must_change_password:
        return "auth.password"
    if (
        user.role.is_staff
        and not user.has_second_factor
        and current_app.config["REQUIRE_STAFF_MFA"]
    ):
        return "auth.second_factor_enrol"
    return None


def init_app(app, login_manager) -> None:
    login_manager.init_app(app)
    login_manager.user_loader(load_user)
    login_manager.unauthorized_handler(unauthorized)
    login_manager.session_protection = "basic"
    login_manager.login_message = _l("Please sign in to continue.")

    @app.before_request
    def _enforce_timeouts():
        if request.endpoint in SESSIONLESS or not current_user.is_authenticated:
            return None
        now = utcnow().timestamp()
        auth_at = session.get("auth_at", 0)
        seen_at = session.get("seen_at", 0)
        idle = app.config["SESSION_IDLE_TIMEOUT"].total_seconds()
        absolute = app.config["SESSION_ABSOLUTE_TIMEOUT"].total_seconds()
        if now - seen_at > idle or now - auth_at > absolute:
            logout_user()
            session.clear()
            return unauthorized()
        session["seen_at"] = now
        return None

    @app.before_request
    def _enforce_account_steps():
        if request.endpoint in ALWAYS_OPEN:
            return None
        step = account_step(current_user)
        if step is None or request.endpoint == step:
            return None
        return go_to(url_for(step))

    app.jinja_env.globals["account_step"] = lambda: account_step(current_user)
