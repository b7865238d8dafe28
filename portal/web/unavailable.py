"""The database is away (PostgreSQL down or restarting, SQLite locked past its timeout):
every page answers a branded 503 in the user's language, with `Retry-After`, the security
headers and an error id, never a 500 and never the server's bare page (issue 18 item 1;
SECURITY.md "nothing lost" 8 and checklist 36).

The answer is made without the database: the user is not loaded (Flask-Login would read
the user's row), and the page's header asks nothing of it. A POSTed form comes back as a
form with everything that was typed, its hidden fields (the whistle's `submission_key`, a
case's `version`) as they were and a fresh CSRF token, under "系统繁忙，请稍后再次提交":
sending it again once the database is back makes the one case the first try meant to
(the submission_key's UNIQUE constraint answers a resend of a form that did get through
with its receipt). Passwords and codes are never written back into a page; files have to be
chosen again.
"""

from __future__ import annotations

import re
import secrets
import sqlite3
from dataclasses import dataclass

from flask import current_app, g, request
from flask_babel import gettext as _
from sqlalchemy import exc as sa_exc
from wtforms import HiddenField, PasswordField, TextAreaField

from portal.extensions import db, login_manager
from portal.web.rendering import render_screen

# The driver's "cannot reach the server" family (psycopg's OperationalError covers refused
# connections, "the database system is starting up/shutting down" and a server that went
# away mid-statement; sqlite3's covers "database is locked"); InterfaceError is a
# connection already closed; TimeoutError is the pool finding no connection in time.
AWAY = (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.TimeoutError)
RETRY_AFTER = 15  # seconds: a PostgreSQL restart takes a few
# sqlite3 raises OperationalError for mistakes too ("no such table", a syntax error): only
# these say the file cannot be used now.
SQLITE_AWAY = re.compile(r"locked|busy|unable to open|disk i/o error", re.IGNORECASE)

# Never written back into the page: what the user must type again.
SECRET_INPUT = re.compile(r"password|passwd|otp|secret|token|^code$|-code$", re.IGNORECASE)


def database_away(error: BaseException | None) -> bool:
    """Whether `error`, or an error it was raised from, says the database cannot be used
    now (as opposed to a bug, which stays a 500)."""
    seen = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if isinstance(error, sa_exc.DBAPIError) and error.connection_invalidated:
            return True
        if isinstance(error, AWAY):
            orig = getattr(error, "orig", None)
            return not isinstance(orig, sqlite3.Error) or bool(SQLITE_AWAY.search(str(orig)))
        error = error.__cause__ or error.__context__
    return False


@dataclass
class Field:
    """One posted field of the form that comes back: `kind` is "hidden" (kept as sent),
    "secret" (to type again), "text" or "long" (what was typed, to edit)."""

    name: str
    label: str
    kind: str
    values: list[str]


def replay_fields() -> list[Field]:
    """The posted form's fields, in the order sent, labelled as the app's form that best
    matches them labels them (the same match the CSRF page uses)."""
    from portal.web.errors import best_form

    form = best_form(list(request.form))
    fields = []
    for name in dict.fromkeys(request.form):
        if name == "csrf_token":
            continue
        values = request.form.getlist(name)
        label, typed, field_class = (
            form.get(name) or form.get(name.split("-", 1)[-1]) or (None, False, None)
        )
        label = str(label) if label else name
        if (field_class and issubclass(field_class, PasswordField)) or SECRET_INPUT.search(name):
            kind, values = "secret", [""]
        elif field_class is None or issubclass(field_class, HiddenField) or not typed:
            kind = "hidden"
        elif issubclass(field_class, TextAreaField) or any(
            "\n" in v or len(v) > 80 for v in values
        ):
            kind = "long"
        else:
            kind = "text"
        fields.append(Field(name, label, kind, values))
    return fields


def _release_connection() -> None:
    """Give back whatever the session holds; a connection that died says so on the way."""
    try:
        db.session.rollback()
    except sa_exc.SQLAlchemyError:
        pass


def answer(error: BaseException):
    """The 503 for a request the database could not serve."""
    _release_connection()
    # The page is drawn as for a visitor: loading the signed-in user reads the database.
    # Only this answer's rendering sees it; the session (and so the sign-in) is untouched.
    g._login_user = login_manager.anonymous_user()
    error_id = secrets.token_hex(4)
    cause = getattr(error, "orig", None) or error
    current_app.logger.error(
        "error %s: database unavailable on %s %s (%s: %s)",
        error_id,
        request.method,
        request.path,
        type(cause).__name__,
        str(cause).strip().splitlines()[0][:200] if str(cause).strip() else "",
    )
    retry_after = current_app.config.get("DATABASE_RETRY_AFTER", RETRY_AFTER)
    if request.blueprint == "api":
        from portal.blueprints.api.views import problem

        response = problem(
            503,
            _("Service unavailable"),
            _("The database is not available right now. Try again in a moment."),
            error_id=error_id,
        )
    else:
        posted = request.method == "POST"
        replay = replay_fields() if posted else []
        response = render_screen(
            "errors/unavailable.html",
            status=503,
            title=_("Service unavailable"),
            text=_("The system is busy. Please submit again later.")
            if posted
            else _("The system is busy. Try again in a moment."),
            error_id=error_id,
            replay=replay,
            files=list(dict.fromkeys(request.files)) if posted else [],
            db_away=True,
        )
    response.headers["Retry-After"] = str(retry_after)
    return response
