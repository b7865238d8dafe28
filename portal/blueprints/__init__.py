"""One blueprint per audience; a blueprint's name is its URL prefix and its template folder."""

from __future__ import annotations

from flask import url_for

from portal.domain.models import Role
from portal.web.guards import can_reach


def register_blueprints(app) -> None:
    from portal.blueprints.admin import bp as admin
    from portal.blueprints.api import bp as api
    from portal.blueprints.audit import bp as audit
    from portal.blueprints.auth import bp as auth
    from portal.blueprints.contacts import bp as contacts
    from portal.blueprints.enterprise import bp as enterprise
    from portal.blueprints.figures import bp as figures
    from portal.blueprints.health import bp as health
    from portal.blueprints.notices import bp as notices
    from portal.blueprints.office import bp as office
    from portal.blueprints.workbench import bp as workbench

    app.register_blueprint(enterprise)  # /
    app.register_blueprint(auth, url_prefix="/auth")
    app.register_blueprint(workbench, url_prefix="/workbench")
    app.register_blueprint(office, url_prefix="/office")
    app.register_blueprint(contacts, url_prefix="/contacts")
    app.register_blueprint(figures, url_prefix="/figures")
    app.register_blueprint(notices, url_prefix="/notifications")
    app.register_blueprint(admin, url_prefix="/admin")
    app.register_blueprint(audit, url_prefix="/audit")
    app.register_blueprint(api, url_prefix="/api/v1")
    app.register_blueprint(health)
    app.jinja_env.globals["home_url"] = home_url
    app.jinja_env.globals["can_reach"] = can_reach


# Where each role starts after signing in.
HOME_ENDPOINT = {
    Role.ENTERPRISE: "enterprise.cases",
    Role.OFFICE: "office.index",
    Role.LEADER: "office.index",
    Role.INSPECTOR: "office.index",
    Role.HANDLER: "workbench.index",
    Role.HEAD: "workbench.index",
    Role.LIAISON: "contacts.index",
    Role.ADMIN: "admin.index",
}


def home_url(user) -> str:
    return url_for(HOME_ENDPOINT[user.role])
