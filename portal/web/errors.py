"""Friendly error pages in the user's language. A 500 shows an error id that is also in the
log, never a stack trace (SECURITY.md checklist 32). A refused CSRF token shows what was
typed, to copy into the form again (SECURITY.md "Flask-WTF", checklist 21)."""

from __future__ import annotations

import re
import secrets
from functools import lru_cache
from urllib.parse import urlsplit

from flask import current_app, request
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException
from wtforms import HiddenField, PasswordField, StringField, TextAreaField
from wtforms.fields.core import UnboundField

from portal.extensions import db
from portal.web import unavailable
from portal.web.rendering import render_screen


def _messages():
    return {
        400: (_("Bad request"), _("The request could not be understood. Go back and try again.")),
        403: (_("Not allowed"), _("Your account does not have access to this page.")),
        404: (_("Page not found"), _("Check the address, or go back to the home page.")),
        405: (_("Not allowed"), _("This page cannot be used that way.")),
        409: (_("Conflict"), _("Someone else changed this in the meantime. Reload and try again.")),
        413: (_("File too large"), _("The upload is larger than allowed. Choose a smaller file.")),
        429: (_("Too many attempts"), _("Wait a minute, then try again.")),
        500: (
            _("Something went wrong"),
            _(
                "The problem has been recorded. Try again in a moment; if it keeps happening, "
                "call the office and quote the error id."
            ),
        ),
        503: (
            _("Service unavailable"),
            _("The service is not available right now. Try again soon."),
        ),
    }


def _page(code: int, error_id: str | None = None, detail: str | None = None):
    title, text = _messages().get(code, (_("Error"), ""))
    return render_screen(
        "errors/error.html",
        code=code,
        title=title,
        text=detail or text,
        error_id=error_id,
        status=code,
    )


# Never shown again on the page: secrets, tokens and codes (by the field's name).
SECRET_NAMES = re.compile(
    r"password|passwd|csrf|token|secret|code|otp|submission_key|version"
    r"|^next$|^lang$",
    re.IGNORECASE,
)


def _form_classes(cls=FlaskForm):
    for sub in cls.__subclasses__():
        yield sub
        yield from _form_classes(sub)


def _fields_of(form) -> dict[str, tuple[object, bool, type]]:
    """A form class's fields by name: (label, whether it holds typed text, field class)."""
    fields = {}
    for name in dir(form):
        unbound = getattr(form, name, None)
        if isinstance(unbound, UnboundField):
            label = unbound.kwargs.get("label", unbound.args[0] if unbound.args else None)
            typed = issubclass(
                unbound.field_class, (StringField, TextAreaField)
            ) and not issubclass(unbound.field_class, (PasswordField, HiddenField))
            fields[name] = (label, typed, unbound.field_class)
    return fields


@lru_cache(maxsize=1)
def _forms() -> list[dict[str, tuple[object, bool, type]]]:
    return [fields for fields in map(_fields_of, set(_form_classes())) if fields]


def _short(name: str) -> str:
    """A panel form's field without its prefix ("refuse-message" -> "message")."""
    return name.split("-", 1)[1] if "-" in name else name


def best_form(posted: list[str]) -> dict[str, tuple[object, bool, type]]:
    """The fields of the app's form that has the most of the `posted` field names."""
    return max(
        _forms(), key=lambda f: (sum(n in f or _short(n) in f for n in posted), -len(f)), default={}
    )


def typed_fields() -> list[tuple[str, str]]:
    """The text the refused POST carried, as (label, text): the typed text fields only,
    never passwords, tokens, codes or hidden fields; files cannot be kept. The labels are
    those of the app's form that has the most of the posted fields."""
    posted = [n for n in request.form if not SECRET_NAMES.search(n)]
    best = best_form(posted)
    shown = []
    for name in posted:
        value = "\n".join(v for v in request.form.getlist(name) if v.strip())
        label, typed, _class = best.get(name) or best.get(_short(name)) or (None, True, None)
        if value and typed:
            shown.append((str(label) if label else name, value))
    return shown


def back_url() -> str | None:
    """The form's page: the same address by GET when there is one, else the page htmx
    says it was on (HX-Current-URL) or the Referer, when of this site; never another
    site's address."""
    adapter = current_app.url_map.bind_to_environ(request.environ)
    if adapter.test(request.path, method="GET"):
        return request.path
    referrer = urlsplit(request.headers.get("HX-Current-URL") or request.referrer or "")
    if (
        referrer.netloc == request.host
        and referrer.scheme in ("http", "https")
        and referrer.path.startswith("/")
        and not referrer.path.startswith("//")
    ):
        return referrer.path
    return None


def init_app(app) -> None:
    @app.errorhandler(CSRFError)
    def _csrf(error):
        """400, in the page or (htmx) the fragment being swapped; what was typed is shown
        read-only to copy back, and files must be chosen again."""
        return render_screen(
            "errors/csrf.html",
            status=400,
            code=400,
            title=_("Bad request"),
            text=_(
                "Your form expired or came from another site. "
                "Go back, reload the page and submit it again."
            ),
            typed=typed_fields(),
            had_files=any(f.filename for f in request.files.values()),
            back=back_url(),
        )

    @app.errorhandler(HTTPException)
    def _http(error):
        if error.code is None or error.code < 400:
            return error
        if unavailable.database_away(getattr(error, "original_exception", None)):
            return unavailable.answer(error.original_exception)
        response = _page(error.code)
        if error.code == 405 and hasattr(error, "valid_methods") and error.valid_methods:
            response.headers["Allow"] = ", ".join(error.valid_methods)
        return response

    @app.errorhandler(Exception)
    def _unexpected(error):
        if unavailable.database_away(error):
            return unavailable.answer(error)
        db.session.rollback()
        error_id = secrets.token_hex(4)
        app.logger.exception("error %s on %s %s", error_id, request.method, request.path)
        return _page(500, error_id=error_id)
