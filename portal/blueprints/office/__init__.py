from flask import Blueprint

bp = Blueprint("office", __name__)

from portal.blueprints.office import answers, registrations, views  # noqa: E402,F401  (routes register)
