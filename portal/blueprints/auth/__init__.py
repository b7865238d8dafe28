from flask import Blueprint

bp = Blueprint("auth", __name__)

from portal.blueprints.auth import views  # noqa: E402,F401  (routes register on import)
