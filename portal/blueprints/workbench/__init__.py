from flask import Blueprint

bp = Blueprint("workbench", __name__)

from portal.blueprints.workbench import views  # noqa: E402,F401  (routes register on import)
