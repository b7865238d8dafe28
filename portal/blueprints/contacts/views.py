"""Village/community liaison contacts (`/contacts`): the enterprises assigned to this liaison.

The monthly contact ledger arrives with the contact-ledger issue.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask_login import current_user

from portal.blueprints.contacts import bp
from portal.domain.models import Enterprise, LiaisonAssignment, Role
from portal.extensions import db
from portal.web.guards import requires
from portal.web.rendering import render_screen


@bp.get("/")
@requires(Role.LIAISON)
def index():
    rows = db.session.scalars(
        sa.select(Enterprise).join(LiaisonAssignment)
        .where(LiaisonAssignment.user_id == current_user.id).order_by(Enterprise.name)
    ).all()
    return render_screen("contacts/index.html", enterprises=rows)
