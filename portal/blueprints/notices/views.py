"""Notifications (`/notifications`): the in-app messages of the signed-in user, newest first,
and the count in the header (an htmx fragment, refreshed on navigation and every 60 s)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import redirect, url_for
from flask_login import current_user
from flask_wtf import FlaskForm

from portal.blueprints.notices import bp
from portal.domain.models import Notification, Role
from portal.domain.notify import IN_APP, unread_count
from portal.extensions import db
from portal.web.guards import requires
from portal.web.messages import message_text
from portal.web.rendering import render_screen
from portal.web.sessions import session_warning, utcnow

EVERYONE = tuple(Role)
SHOWN = 100


@bp.get("/")
@requires(*EVERYONE)
def index():
    rows = db.session.scalars(
        sa.select(Notification)
        .where(Notification.user_id == current_user.id, Notification.channel == IN_APP)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
        .limit(SHOWN)
    ).all()
    items = [(n, message_text(n.template, n.params or {})) for n in rows]
    return render_screen(
        "notices/index.html",
        items=items,
        form=FlaskForm(),
        unread=sum(n.read_at is None for n in rows),
    )


@bp.post("/read")
@requires(*EVERYONE)
def mark_read():
    """Mark every message read (CSRF-checked like every POST)."""
    form = FlaskForm()
    if form.validate_on_submit():
        db.session.execute(
            sa.update(Notification)
            .where(Notification.user_id == current_user.id, Notification.read_at.is_(None))
            .values(read_at=utcnow())
        )
        db.session.commit()
    return redirect(url_for("notices.index"), 303)


@bp.get("/count")
@requires(*EVERYONE)
def count():
    """The header's count, polled every 60 s; the poll is not activity, and near the idle
    timeout its answer carries the warning (`sessions.session_warning`)."""
    return render_screen(
        "notices/count.html",
        block="count",
        unread=unread_count(db.session, current_user),
        session_minutes=session_warning(),
    )
