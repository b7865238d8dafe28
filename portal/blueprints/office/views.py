"""The office (`/office`): the cases of the office's jurisdiction and everything below it.

Leaders and inspectors read here too. Triage, dispatch, supervision and callbacks arrive
with the workbench issue.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask_login import current_user

from portal.blueprints.office import bp
from portal.domain.access import case_scope
from portal.domain.models import Case, Role
from portal.extensions import db
from portal.web.guards import requires
from portal.web.rendering import render_screen


@bp.get("/")
@requires(Role.OFFICE, Role.LEADER, Role.INSPECTOR)
def index():
    rows = db.session.scalars(
        sa.select(Case).where(case_scope(current_user)).order_by(Case.received_at.desc())
        .limit(50)
    ).all()
    return render_screen("office/index.html", cases=rows)
