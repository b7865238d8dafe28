"""The staff case page: blueprint "cases", URL prefix `/cases`, templates in
`templates/cases/`. Each staff audience nests its own, guarded by its roles: the office's
at `/office/cases/…` (endpoints `office.cases.*`), the workbench's at `/workbench/cases/…`
(`workbench.cases.*`)."""

from __future__ import annotations

from flask import Blueprint

from portal.domain.models import Role


def blueprint(audience: str, *roles: Role) -> Blueprint:
    """A "cases" blueprint for `audience` (the blueprint it is registered under)."""
    from portal.blueprints.cases import views

    bp = Blueprint("cases", __name__)
    views.register(bp, audience, *roles)
    return bp
