"""Signing in and staying signed in: Flask-Login with server-side revocation and timeouts.

The session cookie holds "<user id>:<session version>". Logging out, disabling an account or
an admin's action bumps the version, so a copied or replayed cookie stops working at once
(SECURITY.md: "never a cookie that stays valid after logout"). Sessions also end after an
idle and an absolute timeout.
"""

from __future__ import annotations

from datetime import datetime, timezone

from flask import current_app, redirect, request, session, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user, logout_user

from portal.extensions import db
from portal.domain.models import User


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def load_user(token: str):
    user_id, _, version = token.partition(":")
    if not user_id.isdigit() or not version.isdigit():
        return None
    user = db.session.get(User, int(user_id))
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


def sign_in(user: User) -> None:
    """Start a fresh session for `user`: nothing from before sign-in is carried over (no
    fixation) except the chosen language, and the idle and absolute clocks start now."""
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    login_user(user)
    now = utcnow().timestamp()
    session["auth_at"] = now
    session["seen_at"] = now


def init_app(app, login_manager) -> None:
    login_manager.init_app(app)
    login_manager.user_loader(load_user)
    login_manager.unauthorized_handler(unauthorized)
    login_manager.session_protection = "basic"
    login_manager.login_message = _l("Please sign in to continue.")

    @app.before_request
    def _enforce_timeouts():
        if request.endpoint == "static" or not current_user.is_authenticated:
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
