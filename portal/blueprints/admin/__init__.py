from flask import Blueprint

bp = Blueprint("admin", __name__)

from portal.blueprints.admin import organisation, policy, users, views  # noqa: E402,F401  (routes register on import)
