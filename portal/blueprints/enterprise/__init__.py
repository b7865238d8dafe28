from flask import Blueprint

bp = Blueprint("enterprise", __name__)

from portal.blueprints.enterprise import track, views  # noqa: E402,F401  (routes register)
