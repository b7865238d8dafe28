"""Who may see which case (Shantou 五(一): each person sees only what their role and unit need).

`case_scope(user)` is a SQL condition for `select(Case)`; views load a single case through
`web.loading.load_case`, which answers 404 outside the scope, so another unit's or
another enterprise's case is indistinguishable from one that does not exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

import sqlalchemy as sa

from portal.domain.models import (
    Case,
    CaseEvent,
    CaseState,
    Jurisdiction,
    LiaisonAssignment,
    Role,
    User,
    case_co_handler,
)


@lru_cache(maxsize=256)
def jurisdiction_subtree(root_id: int) -> sa.Select:
    """The ids of a jurisdiction and everything below it (a recursive CTE). Built once per
    root: the statement is immutable and reused by every query that embeds it."""
    tree = sa.select(Jurisdiction.id).where(Jurisdiction.id == root_id).cte(recursive=True)
    child = sa.orm.aliased(Jurisdiction)
    tree = tree.union_all(sa.select(child.id).where(child.parent_id == tree.c.id))
    return sa.select(tree.c.id)


def case_scope(user: User) -> sa.ColumnElement[bool]:
    if user.role is Role.ENTERPRISE:
        return Case.enterprise_id == user.enterprise_id
    if user.unit is None:
        return sa.false()
    if user.role in (Role.OFFICE, Role.INSPECTOR):
        return Case.jurisdiction_id.in_(jurisdiction_subtree(user.unit.jurisdiction_id))
    if user.role is Role.LEADER:
        # What was put before the leaders (呈批, escalations); the figures cover the rest.
        return sa.and_(
            Case.leaders_involved,
            Case.jurisdiction_id.in_(jurisdiction_subtree(user.unit.jurisdiction_id)),
        )
    if user.role in (Role.HANDLER, Role.HEAD):
        co = sa.select(case_co_handler.c.case_id).where(case_co_handler.c.unit_id == user.unit_id)
        return sa.or_(Case.lead_unit_id == user.unit_id, Case.id.in_(co))
    if user.role is Role.LIAISON:
        mine = sa.select(LiaisonAssignment.enterprise_id).where(
            LiaisonAssignment.user_id == user.id
        )
        return Case.enterprise_id.in_(mine)
    return sa.false()  # admin: organisation and calendar, never case content


def assigned_to(case: Case, user: User) -> bool:
    """Whether `user` works the case and needs the enterprise's contact number to do it
    (Shantou 三(三): the handling unit contacts the enterprise within one working day):
    the lead unit's and the co-handlers' staff (handler, head), and the staff of the office
    that answers for the case (`case.office_id`; before dispatch, the receiving unit).
    A leader, an inspector, a liaison or an office above or below may see the case, but
    are not assigned to it (SECURITY.md checklist 13)."""
    if user.unit_id is None:
        return False
    if user.role in (Role.HANDLER, Role.HEAD):
        return user.unit_id == case.lead_unit_id or any(
            unit.id == user.unit_id for unit in case.co_handlers
        )
    if user.role is Role.OFFICE:
        return user.unit_id == (case.office_id or case.receiving_unit_id)
    return False


def sees_contact(case: Case, user: User) -> bool:
    """Whether `user` sees the case's contact phone whole: the enterprise its own case, the
    assigned staff theirs; everyone else sees it masked (GB/T 35273 minimum necessary;
    Shantou 五(一) confidentiality; SECURITY.md checklist 13)."""
    if user.role is Role.ENTERPRISE:
        return case.enterprise_id is not None and case.enterprise_id == user.enterprise_id
    return assigned_to(case, user)


@dataclass(frozen=True)
class TimelineEntry:
    """One step of a case as its enterprise sees it: never the internal notes."""

    at: datetime
    action: str
    to_state: CaseState | None
    data: dict | None
    note_for_enterprise: str


def enterprise_timeline(session, case: Case) -> list[TimelineEntry]:
    """The events the enterprise may see, oldest first, read as plain columns in one
    statement (a case may carry hundreds of events; whole ORM rows cost several times more
    and the internal ones are not even fetched)."""
    shown = CaseEvent._NOTE_SHOWN
    rows = session.execute(
        sa.select(
            CaseEvent.at, CaseEvent.action, CaseEvent.to_state, CaseEvent.data, CaseEvent.note
        )
        .where(CaseEvent.case_id == case.id, CaseEvent.visible_to_enterprise)
        .order_by(CaseEvent.id)
    )
    return [
        TimelineEntry(at, action, to_state, data, note if action in shown else "")
        for at, action, to_state, data, note in rows
    ]
