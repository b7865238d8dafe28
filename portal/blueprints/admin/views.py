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
        set_override(db.session, form.day.data, kind, by=current_user, at=utcnow(),
                     note=form.note.data or "")
        db.session.commit()
        flash(_("Saved: %(day)s is now a %(kind)s.", day=form.day.data.isoformat(),
                kind=label(kind)))
        return redirect(url_for("admin.calendar"), 303)
    overrides = db.session.scalars(
        sa.select(CalendarOverride).order_by(CalendarOverride.day.desc())).all()
    return render_screen("admin/calendar.html", form=form, overrides=overrides)
