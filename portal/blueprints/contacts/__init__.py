from flask import Blueprint

bp = Blueprint("contacts", __name__)

from portal.blueprints.contacts import cards, registry, views  # noqa: E402,F401  (routes register on import)
