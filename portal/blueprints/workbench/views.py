"""The department workbench (`/workbench`): the cases the user's unit leads or co-handles,
most urgent first, and the staff case page with the steps the unit may take (sign or
return, contact, progress, plan, extension, reply; the head decides extensions and answers
supervision notices)."""

from __future__ import annotations

from flask import abort, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.blueprints import cases
from portal.blueprints.cases import documents as document_views
from portal.blueprints.cases import queue
from portal.blueprints.cases.registration import register_screen
from portal.blueprints.workbench import bp
from portal.domain import queues, workflow
from portal.domain.calendar import load_calendar
from portal.domain.models import Role
from portal.extensions import db
from portal.web.guards import requires
from portal.web.sessions import utcnow

ROLES = (Role.HANDLER, Role.HEAD)


@bp.get("/")
@requires(*ROLES)
def index():
    summary = {}
    if current_user.role is Role.HEAD and current_user.unit_id:
        summary["extensions"] = queues.pending_extensions(db.session, current_user.unit_id)
    return queue.queue_screen(_("Workbench"), endpoint="workbench.index", summary=summary)


@bp.route("/register", methods=["GET", "POST"])
@requires(*ROLES)
def register():
    """A whistle the department received itself, by phone, a visit, e-mail… (Chaozhou 四(二)
    "企业……可直接向对应的部门反映"): registered on the office's form, the channel recorded,
    and handled as the unit's own case (`workflow.register_direct`)."""

    def take(**fields):
        return workflow.register_direct(
            db.session, load_calendar(db.session), by=current_user, at=utcnow(), **fields
        )

    if current_user.unit is None:
        abort(403)
    return register_screen(
        current_user.unit.jurisdiction,
        take,
        endpoint="workbench.register",
        case_endpoint="workbench.cases.case",
        back=url_for("workbench.index"),
        hint=_(
            "A whistle your unit received itself, by phone, a visit, e-mail or another "
            "channel: it becomes your unit's own case, to handle within the policy's limits."
        ),
    )


bp.register_blueprint(cases.blueprint("workbench", *ROLES), url_prefix="/cases")
document_views.register_staff(bp, *ROLES)
