"""HTTP security headers (SECURITY.md "Headers"): Flask-Talisman for CSP, HSTS, frame and
referrer rules, plus `no-store` on every dynamic response, since pages carry confidential
case content."""

from __future__ import annotations

from flask import request
from flask_talisman import Talisman

CSP = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
    "base-uri": "'self'",
    "object-src": "'none'",
}

talisman = Talisman()


def init_app(app) -> None:
    secure = app.config["SECURE_COOKIES"]
    app.config["SESSION_COOKIE_SECURE"] = secure
    if secure:
        app.config["SESSION_COOKIE_NAME"] = "__Host-session"
    talisman.init_app(
        app,
        force_https=secure,
        strict_transport_security=True,
        strict_transport_security_max_age=31536000,
        strict_transport_security_include_subdomains=True,
        content_security_policy=CSP,
        frame_options="DENY",
        referrer_policy="strict-origin-when-cross-origin",
        session_cookie_secure=secure,
        session_cookie_http_only=True,
        session_cookie_samesite="Lax",
        x_content_type_options=True,
    )

    @app.after_request
    def _no_store(response):
        if request.endpoint != "static":
            response.headers["Cache-Control"] = "no-store"
        return response
