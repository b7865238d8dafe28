"""The department workbench (`/workbench`): the cases the user's unit leads or co-handles.

Signing, handling, extension and reply arrive with the workbench issue.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask_login import current_user

from portal.blueprints.workbench import bp
from portal.domain.access import case_scope
from portal.domain.models import Case, Role
from portal.extensions import db
from portal.web.guards import requires
from portal.web.rendering import render_screen


@bp.get("/")
@requires(Role.HANDLER, Role.HEAD)
def index():
    rows = db.session.scalars(
        sa.select(Case).where(case_scope(current_user)).order_by(Case.received_at.desc())
        .limit(50)
    ).all()
    return render_screen("workbench/index.html", cases=rows)
