"""The audit log for the auditor: the latest rows first, filtered by action and by date,
fifty a page; GET only, and nothing on the page changes a row (SECURITY.md checklist 16,
28). It shows who did what to which object and how it ended, never case content."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import sqlalchemy as sa
from flask import request
from flask_babel import gettext as _
from wtforms.fields.choices import SelectChoice

from portal.blueprints.audit import bp
from portal.blueprints.audit.forms import AuditFilterForm
from portal.domain.calendar import BEIJING
from portal.domain.models import AuditLog, Role, User
from portal.extensions import db
from portal.web.guards import requires
from portal.web.rendering import render_screen

PAGE_SIZE = 50


def _start_of(day) -> datetime:
    """The first instant of a Beijing calendar day, in UTC."""
    return datetime.combine(day, time(), BEIJING)


@bp.get("/")
@requires(Role.INSPECTOR)
def index():
    """Only the inspector (审计员) reads it; the admin (系统管理员) gets 403 like every other
    role, so whoever runs the system is not the one who reviews its record."""
    form = AuditFilterForm(formdata=request.args)
    actions = db.session.scalars(
        sa.select(AuditLog.action).distinct().order_by(AuditLog.action)
    ).all()
    form.action.choices = [SelectChoice("", _("Any action"))] + [
        SelectChoice(a, a) for a in actions
    ]
    form.validate()

    def ok(field):
        return field.data if not field.errors else None

    query = sa.select(AuditLog, User).outerjoin(User, User.id == AuditLog.user_id)
    if ok(form.action):
        query = query.where(AuditLog.action == form.action.data)
    if ok(form.day_from):
        query = query.where(AuditLog.at >= _start_of(form.day_from.data))
    if ok(form.day_to):
        query = query.where(AuditLog.at < _start_of(form.day_to.data + timedelta(days=1)))
    page = ok(form.page) or 1
    rows = db.session.execute(
        query.order_by(AuditLog.id.desc()).offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)
    ).all()
    # Only the filter's own fields go back into links: any other name reached url_for
    # (`format`, `_method`: a 500; `_external`, `_anchor`: rewritten links).
    args = {k: v for k, v in request.args.items() if k in form and k != "page" and v}
    return render_screen(
        "audit/index.html",
        hx_history=False,
        form=form,
        rows=rows[:PAGE_SIZE],
        page=page,
        more=len(rows) > PAGE_SIZE,
        args=args,
    )
