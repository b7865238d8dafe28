from flask import Blueprint

bp = Blueprint("figures", __name__)

from portal.blueprints.figures import views  # noqa: E402,F401  (routes register on import)
