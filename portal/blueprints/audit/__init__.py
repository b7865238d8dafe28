"""The auditor's (审计员, role `inspector`) read-only view of the audit log (SECURITY.md
checklist 16: separation of duties — the system administrator is not the auditor, and
nobody changes audit rows through the portal)."""

from flask import Blueprint

bp = Blueprint("audit", __name__)

from portal.blueprints.audit import views  # noqa: E402,F401  (routes register on import)
