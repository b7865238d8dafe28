"""Administration (`/admin`): the working-day calendar now; org units, users, categories and
policies as later issues need them."""

from __future__ import annotations

import sqlalchemy as sa
from flask import flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.blueprints.admin import bp
from portal.blueprints.admin.forms import CalendarOverrideForm
from portal.domain.calendar import set_override
from portal.domain.models import CalendarDayKind, CalendarOverride, Role
from portal.extensions import db
from portal.web.guards import requires
from portal.web.labels import label
from portal.web.rendering import render_screen
from portal.web.sessions import utcnow


@bp.get("/")
@requires(Role.ADMIN)
def index():
    return render_screen("admin/index.html")


@bp.route("/calendar", methods=["GET", "POST"])
@requires(Role.ADMIN)
def calendar():
    form = CalendarOverrideForm()
    if form.validate_on_submit():
        kind = CalendarDayKind(form.kind.data)
        set_override(
            db.session, form.day.data, kind, by=current_user, at=utcnow(), note=form.note.data or ""
        )
        db.session.commit()
        flash(
            _("Saved: %(day)s is now a %(kind)s.", day=form.day.data.isoformat(), kind=label(kind))
        )
        return redirect(url_for("admin.calendar"), 303)
    overrides = db.session.scalars(
        sa.select(CalendarOverride).order_by(CalendarOverride.day.desc())
    ).all()
    return render_screen("admin/calendar.html", form=form, overrides=overrides)


OUTBOX_STATUSES = ("pending", "sent", "failed")


@bp.get("/outbox")
@requires(Role.ADMIN)
def outbox():
    """The notification outbox (issue 8): what was owed to whom and how delivery went —
    status, attempts, the last error — never the message's case content."""
    from flask import request

    from portal.domain.models import Notification
    from portal.web.labels import masked_mobile

    status = request.args.get("status", "")
    query = sa.select(Notification).order_by(Notification.id.desc()).limit(200)
    if status in OUTBOX_STATUSES:
        query = query.where(Notification.status == status)
    counts = dict(
        db.session.execute(
            sa.select(Notification.status, sa.func.count()).group_by(Notification.status)
        ).all()
    )
    rows = db.session.scalars(query).all()
    return render_screen(
        "admin/outbox.html",
        rows=rows,
        counts=counts,
        chosen=status,
        statuses=OUTBOX_STATUSES,
        masked=masked_mobile,
    )
