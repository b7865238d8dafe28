"""The department workbench (`/workbench`): the cases the user's unit leads or co-handles,
most urgent first, and the staff case page with the steps the unit may take (sign or
return, contact, progress, plan, extension, reply; the head decides extensions and answers
supervision notices)."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_login import current_user

from portal.blueprints import cases
from portal.blueprints.cases import documents as document_views
from portal.blueprints.cases import queue
from portal.blueprints.workbench import bp
from portal.domain import queues
from portal.domain.models import Role
from portal.extensions import db
from portal.web.guards import requires

ROLES = (Role.HANDLER, Role.HEAD)


@bp.get("/")
@requires(*ROLES)
def index():
    summary = {}
    if current_user.role is Role.HEAD and current_user.unit_id:
        summary["extensions"] = queues.pending_extensions(db.session, current_user.unit_id)
    return queue.queue_screen(_("Workbench"), endpoint="workbench.index", summary=summary)


bp.register_blueprint(cases.blueprint("workbench", *ROLES), url_prefix="/cases")
document_views.register_staff(bp, *ROLES)
