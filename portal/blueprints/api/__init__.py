"""`/api/v1/`: work orders from other systems, as JSON (issue 10). Token-authenticated, so
outside the session's CSRF protection; errors are RFC 9457 problem details."""

from flask import Blueprint

bp = Blueprint("api", __name__)

from portal.blueprints.api import views  # noqa: E402,F401  (routes register on import)
