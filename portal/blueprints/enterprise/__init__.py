from flask import Blueprint

bp = Blueprint("enterprise", __name__)

from portal.blueprints.enterprise import views  # noqa: E402,F401  (routes register on import)
