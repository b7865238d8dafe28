"""The department workbench (`/workbench`): the cases the user's unit leads or co-handles.

Signing, handling, extension and reply arrive with the workbench issue.
"""

from __future__ import annotations

from flask_login import current_user

from portal.blueprints.workbench import bp
from portal.domain.access import recent_cases
from portal.domain.models import Role
from portal.extensions import db
from portal.web.guards import requires
from portal.web.rendering import render_screen


@bp.get("/")
@requires(Role.HANDLER, Role.HEAD)
def index():
    rows = recent_cases(db.session, current_user)
    return render_screen("workbench/index.html", cases=rows)
