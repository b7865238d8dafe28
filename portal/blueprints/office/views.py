"""The office (`/office`): the cases of the office's jurisdiction and everything below it.

Leaders and inspectors read here too. Triage, dispatch, supervision and callbacks arrive
with the workbench issue.
"""

from __future__ import annotations

from flask_login import current_user

from portal.blueprints.office import bp
from portal.domain.access import recent_cases
from portal.domain.models import Role
from portal.extensions import db
from portal.web.guards import requires
from portal.web.rendering import render_screen


@bp.get("/")
@requires(Role.OFFICE, Role.LEADER, Role.INSPECTOR)
def index():
    rows = recent_cases(db.session, current_user)
    return render_screen("office/index.html", cases=rows)
