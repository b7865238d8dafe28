"""The staff queue, shared by the office's (`/office/`) and the workbench's (`/workbench/`)
first page: the cases this user may see, most urgent first, with filters read from the
query string; an htmx filter or page change gets the list alone, `?format=xlsx` a workbook.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import request
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from portal.blueprints.cases.forms import QueueFilterForm
from portal.domain import queues, workflow
from portal.domain.access import jurisdiction_subtree
from portal.domain.calendar import load_calendar, local_date
from portal.domain.models import (
    CaseState,
    Category,
    OrgUnit,
    Role,
    UnitKind,
)
from portal.extensions import db
from portal.web import sheets
from portal.web.auditing import audit_request
from portal.web.labels import choices
from portal.web.rendering import render_screen
from portal.web.sessions import utcnow


def _filter_form(user) -> QueueFilterForm:
    """The filters, their choices drawn from the user's organisation (a handful of units
    and categories), never from scanning the cases."""
    form = QueueFilterForm(formdata=request.args)
    form.state.choices = [SelectChoice("", _("Any state"))] + choices(CaseState)
    home = user.unit.jurisdiction if user.unit is not None else None
    if home is None or user.role in (Role.HANDLER, Role.HEAD):
        del form.unit  # a department's queue is its own unit's
    else:
        units = db.session.scalars(
            sa.select(OrgUnit)
            .where(
                OrgUnit.jurisdiction_id.in_(jurisdiction_subtree(home.id)),
                OrgUnit.active,
                OrgUnit.kind.not_in([UnitKind.OFFICE, UnitKind.LEADING_GROUP]),
            )
            .order_by(OrgUnit.jurisdiction_id, OrgUnit.name)
        ).all()
        form.unit.choices = [SelectChoice("", _("Any department"))] + [
            SelectChoice(str(u.id), u.name) for u in units
        ]
    places = [home.id, *(j.id for j in home.ancestors)] if home is not None else []
    categories = db.session.scalars(
        sa.select(Category)
        .where(
            sa.or_(
                Category.jurisdiction_id.in_(places),
                Category.jurisdiction_id.in_(jurisdiction_subtree(home.id)) if home else sa.false(),
            )
        )
        .order_by(Category.jurisdiction_id, Category.number)
    ).all()
    form.category.choices = [SelectChoice("", _("Any category"))] + [
        SelectChoice(str(c.id), f"{c.number}. {c.name}") for c in categories
    ]
    form.validate()
    return form


def _filters(form: QueueFilterForm) -> queues.Filters:
    """Only the filters that passed validation; a bad one is said beside its field. Text
    of blanks only is no filter (`Optional` lets it past the choices unchecked: a state of
    `\r\n` answered 500)."""

    def ok(field):
        data = field.data if not field.errors else None
        return (data.strip() or None) if isinstance(data, str) else data

    state = ok(form.state)
    return queues.Filters(
        view="all" if ok(form.view) == "all" else "desk",
        state=CaseState(state) if state else None,
        category_id=int(form.category.data) if ok(form.category) else None,
        unit_id=int(form.unit.data) if "unit" in form and ok(form.unit) else None,
        overdue=bool(form.overdue.data),
        received_from=ok(form.received_from),
        received_to=ok(form.received_to),
        q=ok(form.q) or "",
        page=ok(form.page) or 1,
    )


def _queue_workbook(title: str, filters, today):
    """The filtered list, most urgent first, as .xlsx (up to `sheets.EXPORT_ROWS` rows);
    the export is audited with its row count (SECURITY.md checklist 31). Like the list it
    carries no contact phone: whoever needs to call opens the case page."""
    filters.page = 1
    found = queues.queue(db.session, current_user, filters, today, page_size=sheets.EXPORT_ROWS)
    audit_request(
        "export",
        object_type="queue",
        object_id=request.query_string.decode(),
        result="ok",
        detail=f"{len(found.cases)} rows",
    )
    db.session.commit()
    columns = (*sheets.case_columns(), _("Due"), _("Overdue"))
    rows = [
        (
            *sheets.case_row(c),
            c.current_due or "",
            _("Overdue") if c.current_due and today > c.current_due else "",
        )
        for c in found.cases
    ]
    return sheets.download(
        sheets.workbook((title, f"{title} · {today.isoformat()}", columns, rows)),
        f"{title}-{today.isoformat()}.xlsx",
    )


def queue_screen(title: str, *, endpoint: str, summary: dict | None = None):
    """The queue page, or only its list for an htmx filter or page change."""
    form = _filter_form(current_user)
    filters = _filters(form)
    today = local_date(utcnow())
    if request.args.get("format") == "xlsx":
        return _queue_workbook(title, filters, today)
    found = queues.queue(db.session, current_user, filters, today)
    calendar = load_calendar(db.session)
    rows = []
    for case in found.cases:
        rows.append(
            {
                "case": case,
                "due": case.current_due,
                "overdue": case.is_overdue(today),
                "days_left": workflow.working_days_left(case, calendar, today),
                "progress_due": workflow.progress_due(
                    case, today, found.last_progress.get(case.id)
                ),
                "callback_due": case.callback_due(today),
            }
        )
    # Only the filter's own fields go back into links: any other name reached url_for
    # (`format`, `_method`: a 500; `_external`, `_anchor`: rewritten links).
    args = {k: v for k, v in request.args.items() if k in form and k != "page" and v}
    return render_screen(
        "cases/queue.html",
        block="queue" if is_queue_swap() else "content",
        title=title,
        form=form,
        rows=rows,
        page=found,
        endpoint=endpoint,
        args=args,
        summary=summary or {},
        case_endpoint=f"{endpoint.split('.')[0]}.cases.case",
        this_month=f"{today.year}-{today.month:02d}",
    )


def is_queue_swap() -> bool:
    return bool(request.htmx) and request.htmx.target == "queue"
