"""The enterprise portal (`/`): the service card and the enterprise's own cases.

The whistle form, case status and rating arrive with the enterprise-portal issue.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask_login import current_user

from portal.blueprints.enterprise import bp
from portal.domain.access import case_scope
from portal.domain.models import Case, Role
from portal.extensions import db
from portal.web.guards import requires
from portal.web.rendering import render_screen


@bp.get("/")
def index():
    return render_screen("enterprise/index.html")


@bp.get("/cases")
@requires(Role.ENTERPRISE)
def cases():
    rows = db.session.scalars(
        sa.select(Case).where(case_scope(current_user)).order_by(Case.received_at.desc())
    ).all()
    return render_screen("enterprise/cases.html", cases=rows)
