"""Staff queues in SQL: what is on my desk, filters, urgency order, pages of a constant
number of statements whatever their size.

The due date of the step a case waits for is `Case.current_due` in Python, stored on every
flush as `Case.due_key` (indexed with the queues' order); `due_column` is the same rule as
one SQL expression, for the figures and lists that compute it over a period's cases.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import selectinload

from portal.domain.access import case_scope
from portal.domain.calendar import BEIJING
from portal.domain.models import (
    NO_DUE,
    Case,
    CaseEvent,
    CaseState,
    ExtensionRequest,
    Jurisdiction,
    OrgUnit,
    Role,
    Supervision,
    User,
    case_co_handler,
)
from portal.domain.numbering import CASE_NUMBER_PATTERN

S = CaseState
PAGE_SIZE = 20
CASE_NUMBER = re.compile(CASE_NUMBER_PATTERN)


class earliest(sa.sql.functions.GenericFunction):
    """The earliest of some nullable dates, NULL only when all are: PostgreSQL's LEAST
    ignores NULLs; SQLite's scalar min() does not, so there NULL stands in as a far date."""

    type = sa.Date()
    inherit_cache = True


@compiles(earliest, "postgresql")
def _earliest_postgresql(element, compiler, **kw):
    return f"LEAST({compiler.process(element.clauses, **kw)})"


@compiles(earliest)
def _earliest_elsewhere(element, compiler, **kw):
    args = ", ".join(f"COALESCE({compiler.process(c, **kw)}, '{_FAR}')" for c in element.clauses)
    return f"NULLIF(MIN({args}), '{_FAR}')"


_FAR = "9999-12-31"


def due_column() -> sa.ColumnElement:
    """`Case.current_due` as SQL: the earliest deadline the case is waiting on."""
    unit_must_contact = sa.and_(Case.contacted_at.is_(None), Case.clock_stopped_at.is_(None))
    contact = sa.case((unit_must_contact, Case.contact_due), else_=sa.null())
    running = sa.case((Case.clock_stopped_at.is_(None), Case.finish_due), else_=sa.null())
    step = sa.case(
        (sa.and_(Case.state == S.SUBMITTED, Case.contacted_at.is_(None)), Case.contact_due),
        (sa.and_(Case.state == S.ACCEPTED, Case.return_pending), Case.return_due),
        # Chaozhou 四(四)1: accepted, the office still owes the contact until it is made.
        (Case.state == S.ACCEPTED, earliest(Case.dispatch_due, contact)),
        (Case.state == S.DISPATCHED, earliest(Case.sign_due, contact)),
        (Case.state == S.IN_HAND, earliest(running, contact)),
        (Case.state == S.REPLIED, Case.review_due),
        else_=sa.null(),
    )
    supervised = sa.case((Case.under_supervision, Case.supervision_due), else_=sa.null())
    return earliest(step, supervised)


def refresh_due_keys(session, *where: sa.ColumnElement[bool]) -> None:
    """Recompute `Case.due_key` in SQL, for cases written around the ORM's flush (bulk loads,
    the migration that added it)."""
    table = Case.__table__
    assert isinstance(table, sa.Table)
    session.execute(
        sa.update(table).where(*where).values(due_key=sa.func.coalesce(due_column(), NO_DUE))
    )


def callback_due(today: date) -> sa.ColumnElement[bool]:
    """The office owes a callback: unrated past the rating window, or drawn for the sample."""
    return sa.or_(
        sa.and_(Case.state == S.AWAITING_RATING, Case.rating_due < today), Case.needs_callback
    )


def on_my_desk(user: User, today: date) -> sa.ColumnElement[bool]:
    """Cases waiting for a step of `user`'s (the queue's default view)."""
    unit_id = user.unit_id
    if user.role is Role.OFFICE:
        # Triage, dispatch, rulings on returns, reviews, escalations; callbacks due; rated
        # cases to close off (销号).
        return sa.and_(
            Case.office_id == unit_id,
            sa.or_(
                Case.state.in_([S.SUBMITTED, S.ACCEPTED, S.REPLIED, S.RATED]),
                sa.and_(Case.state == S.ESCALATED, ~Case.with_leaders),
                callback_due(today),
            ),
        )
    if user.role in (Role.HANDLER, Role.HEAD):
        co = sa.select(case_co_handler.c.case_id).where(case_co_handler.c.unit_id == unit_id)
        mine = sa.or_(
            sa.and_(Case.lead_unit_id == unit_id, Case.state.in_(S.WITH_UNIT)),
            sa.and_(Case.id.in_(co), Case.state.in_(S.HANDLING)),
        )
        if user.role is Role.HEAD:
            open_notice = sa.select(Supervision.case_id).where(Supervision.replied_at.is_(None))
            mine = sa.or_(mine, sa.and_(Case.lead_unit_id == unit_id, Case.id.in_(open_notice)))
        return mine
    if user.role is Role.LEADER:
        # Approvals (呈批) and escalations of the offices of the leaders' own level.
        assert user.unit is not None  # a leader sits in a unit
        offices = sa.select(OrgUnit.id).where(OrgUnit.jurisdiction_id == user.unit.jurisdiction_id)
        return sa.and_(
            Case.office_id.in_(offices),
            sa.or_(
                Case.state == S.AWAITING_APPROVAL,
                sa.and_(Case.state == S.ESCALATED, Case.with_leaders),
            ),
        )
    if user.role is Role.INSPECTOR:
        return sa.or_(Case.under_supervision, Case.accountability)
    return sa.false()


def day_start(day: date) -> datetime:
    """Midnight in Beijing, as UTC: dates typed by staff are local dates."""
    return datetime.combine(day, time(), BEIJING).astimezone(UTC)


@dataclass
class Filters:
    """A queue's filters, as typed in the query string (all optional)."""

    view: str = "desk"  # desk | all
    state: CaseState | None = None
    category_id: int | None = None
    unit_id: int | None = None
    overdue: bool = False
    received_from: date | None = None
    received_to: date | None = None
    q: str = ""
    page: int = 1


@dataclass
class QueuePage:
    cases: list[Case]
    total: int
    page: int
    pages: int
    last_progress: dict[int, datetime] = field(default_factory=dict)
    keep: list = field(default_factory=list)  # objects the rows refer to, held in the session


def queue(
    session, user: User, filters: Filters, today: date, *, page_size: int = PAGE_SIZE
) -> QueuePage:
    """One page of the cases `user` may see, filtered, most urgent first: overdue and soonest
    due at the top, cases without a running clock after them, newest first."""
    where = [case_scope(user)]
    if filters.view == "desk":
        where.append(on_my_desk(user, today))
    if filters.state is not None:
        where.append(Case.state == filters.state)
    if filters.category_id is not None:
        where.append(Case.category_id == filters.category_id)
    if filters.unit_id is not None:
        where.append(Case.lead_unit_id == filters.unit_id)
    if filters.overdue:  # a case without a deadline keys NO_DUE, never before today
        where.append(Case.due_key < today)
    if filters.received_from is not None:
        where.append(Case.received_at >= day_start(filters.received_from))
    if filters.received_to is not None:
        where.append(Case.received_at < day_start(filters.received_to + timedelta(days=1)))
    text = filters.q.strip()
    by_number = bool(CASE_NUMBER.fullmatch(text.upper()))
    if by_number:  # a case number names one case (its unique index finds it)
        where.append(Case.number == text.upper())
    elif text:  # the applicant's name is the enterprise's name as registered with the case
        where.append(Case.applicant_name.contains(text, autoescape=True))
    total = session.scalar(sa.select(sa.func.count()).select_from(Case).where(*where)) or 0
    pages = max(1, -(-total // page_size))
    page = min(max(1, filters.page), pages)
    # Sort and cut the ids alone, in the order of `ix_case_queue_order`, then load the page's
    # rows: the sort walks the index and never carries whole rows, however deep the page.
    ids = list(
        session.scalars(
            sa.select(Case.id)
            .where(*where)
            .order_by(Case.due_key, Case.received_at.desc(), Case.id.desc())
            .limit(page_size)
            .offset((page - 1) * page_size)
        )
    )
    found = (
        {c.id: c for c in session.scalars(sa.select(Case).where(Case.id.in_(ids)))} if ids else {}
    )
    rows = [found[i] for i in ids]
    # What the rows show, each in one statement whatever the page holds: the units named
    # (lead, answerable office, receiving office), every jurisdiction with its policy (they
    # are few; kept on the page so the session holds them), the latest progress notes.
    unit_ids = {
        u for c in rows for u in (c.lead_unit_id, c.office_id, c.receiving_unit_id) if u is not None
    }
    units = list(session.scalars(sa.select(OrgUnit).where(OrgUnit.id.in_(unit_ids or {0}))))
    places = list(
        session.scalars(sa.select(Jurisdiction).options(selectinload(Jurisdiction.policy)))
    )
    last_progress = dict(
        session.execute(
            sa.select(CaseEvent.case_id, sa.func.max(CaseEvent.at))
            .where(CaseEvent.case_id.in_(ids or [0]), CaseEvent.action == "progress")
            .group_by(CaseEvent.case_id)
        ).all()
    )
    return QueuePage(rows, total, page, pages, last_progress, keep=[units, places])


def returns_by_unit(session, office: OrgUnit) -> list[tuple[str, int]]:
    """How often each unit sent this office's cases back (退回), most first: the 退单拉锯
    problem made visible."""
    rows = session.execute(
        sa.select(OrgUnit.name, sa.func.count(CaseEvent.id))
        .join(Case, Case.id == CaseEvent.case_id)
        .join(OrgUnit, OrgUnit.id == CaseEvent.actor_unit_id)
        .where(CaseEvent.action == "return", Case.office_id == office.id)
        .group_by(OrgUnit.name)
        .order_by(sa.func.count(CaseEvent.id).desc(), OrgUnit.name)
    )
    return [(name, count) for name, count in rows]


def pending_extensions(session, unit_id: int) -> int:
    """Extension requests of the unit's cases waiting for its head."""
    return (
        session.scalar(
            sa.select(sa.func.count(ExtensionRequest.id))
            .join(Case)
            .where(Case.lead_unit_id == unit_id, ExtensionRequest.approved.is_(None))
        )
        or 0
    )
