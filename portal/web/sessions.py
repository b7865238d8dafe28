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

A form posted after the session ended is kept (`kept_forms.py`) and waits for the user to
sign in again. The header's notification poll is not activity: it neither extends the idle
timeout nor, once the session has ended, sends the page away from a half-typed form; two
minutes before the idle timeout it shows a warning (issue 17 item 1).
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user, logout_user
from sqlalchemy.orm import joinedload

from portal.domain.models import Enterprise, Jurisdiction, OrgUnit, User
from portal.extensions import db
from portal.web import kept_forms

# Requests the page makes by itself, not the user: they are not activity.
BACKGROUND = {"notices.count"}
# How long before the idle timeout the warning shows; the poll runs every POLL seconds, so
# the warning is sent while at most WARN + POLL seconds are left.
WARN_SECONDS = 120
POLL_SECONDS = 60


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


def unauthorized(user_id: int | None = None):
    """Anonymous users go to the login page; htmx requests are told to go there
    (a 302 would swap the login page into a fragment). A posted form is kept first, and
    the login page leads back to the form's page (`user_id`: whose session just ended).
    The header's poll is answered in place (htmx's 286 stops it), never sent away."""
    if request.endpoint in BACKGROUND:
        return _ended_poll()
    here = request.full_path if request.query_string else request.path
    next_url = here if request.method == "GET" else None
    if request.method == "POST":
        kept = kept_forms.keep(user_id, utcnow())
        if kept:
            next_url = kept
            flash(_("Your session has timed out. Sign in again; what you typed has been kept."))
    target = url_for("auth.login", next=next_url)
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
    """Empty the session but for the chosen language and typed work kept for this sign-in."""
    carried = {k: session[k] for k in ("lang", kept_forms.KEY) if session.get(k)}
    session.clear()
    session.update(carried)


def _ended_poll():
    """The poll's answer once the session has ended: the same link text, a notice, and
    status 286 so htmx polls no more; the page and what is typed on it stay."""
    html = render_template("notices/count.html", unread=0, session_ended=True)
    return current_app.response_class(html, status=286)


def idle_seconds_left() -> float | None:
    """Seconds until the idle timeout, for the signed-in user."""
    if not current_user.is_authenticated:
        return None
    idle = current_app.config["SESSION_IDLE_TIMEOUT"].total_seconds()
    return idle - (utcnow().timestamp() - session.get("seen_at", 0))


def session_warning() -> int | None:
    """Minutes left (at least 1) when the idle timeout is near enough to warn, else None."""
    left = idle_seconds_left()
    if left is None or left > WARN_SECONDS + POLL_SECONDS:
        return None
    return max(1, int(-(-left // 60)))


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
            user_id = current_user.id
            logout_user()
            session.clear()
            return unauthorized(user_id)
        if request.endpoint not in BACKGROUND:
            session["seen_at"] = now
        return None

    @app.before_request
    def _enforce_account_steps():
        if request.endpoint in ALWAYS_OPEN:
            return None
        step = account_step(current_user)
        if step is None or request.endpoint == step:
            kept_forms.restore(utcnow())
            return None
        return go_to(url_for(step))

    app.jinja_env.globals["account_step"] = lambda: account_step(current_user)
    kept_forms.init_app(app)
