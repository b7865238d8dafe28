"""Friendly error pages in the user's language. A 500 shows an error id that is also in the
log, never a stack trace (SECURITY.md checklist 32)."""

from __future__ import annotations

import secrets

from flask import request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from portal.extensions import db
from portal.web.rendering import render_screen


def _messages():
    return {
        400: (_("Bad request"), _("The request could not be understood. Go back and try again.")),
        403: (_("Not allowed"), _("Your account does not have access to this page.")),
        404: (_("Page not found"),
              _("Check the address, or go back to the home page.")),
        405: (_("Not allowed"), _("This page cannot be used that way.")),
        409: (_("Conflict"), _("Someone else changed this in the meantime. Reload and try again.")),
        413: (_("File too large"), _("The upload is larger than allowed. Choose a smaller file.")),
        429: (_("Too many attempts"), _("Wait a minute, then try again.")),
        500: (_("Something went wrong"),
              _("The problem has been recorded. Try again in a moment; if it keeps happening, "
                "call the office and quote the error id.")),
        503: (_("Service unavailable"), _("The service is not available right now. Try again soon.")),
    }


def _page(code: int, error_id: str | None = None, detail: str | None = None):
    title, text = _messages().get(code, (_("Error"), ""))
    return render_screen("errors/error.html", code=code, title=title, text=detail or text,
                         error_id=error_id, status=code)


def init_app(app) -> None:
    @app.errorhandler(CSRFError)
    def _csrf(error):
        return _page(400, detail=_("Your form expired or came from another site. "
                                   "Go back, reload the page and submit it again."))

    @app.errorhandler(HTTPException)
    def _http(error):
        if error.code is None or error.code < 400:
            return error
        response = _page(error.code)
        if error.code == 405 and hasattr(error, "valid_methods") and error.valid_methods:
            response.headers["Allow"] = ", ".join(error.valid_methods)
        return response

    @app.errorhandler(Exception)
    def _unexpected(error):
        db.session.rollback()
        error_id = secrets.token_hex(4)
        app.logger.exception("error %s on %s %s", error_id, request.method, request.path)
        return _page(500, error_id=error_id)
