"""Case numbers: unique and gap-free per jurisdiction and year (Haimen 四(三):
"对从各渠道收集的涉企问题进行统一编号登记").

The counter row is incremented with one INSERT … ON CONFLICT DO UPDATE … RETURNING inside the
transaction that creates the case. On PostgreSQL the row lock makes concurrent registrations
queue for the number, and a rolled-back registration rolls its increment back, so no number
is skipped or issued twice; SQLite serialises writers anyway.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.dialects import postgresql, sqlite

from portal.domain.models import CaseNumberCounter, Jurisdiction

_INSERTS: dict[str, Callable[..., postgresql.Insert | sqlite.Insert]] = {
    "postgresql": postgresql.insert,
    "sqlite": sqlite.insert,
}


def next_seq(session, jurisdiction_id: int, year: int) -> int:
    """Take the next sequence number for (jurisdiction, year); call inside the case's
    transaction."""
    dialect = session.get_bind().dialect.name
    insert = _INSERTS[dialect]
    stmt = insert(CaseNumberCounter).values(
        jurisdiction_id=jurisdiction_id, year=year, last_value=1
    )
    upsert = stmt.on_conflict_do_update(
        index_elements=[CaseNumberCounter.jurisdiction_id, CaseNumberCounter.year],
        set_={"last_value": CaseNumberCounter.last_value + 1},
    ).returning(CaseNumberCounter.last_value)
    return session.execute(upsert).scalar_one()


def format_number(jurisdiction: Jurisdiction, year: int, seq: int) -> str:
    """E.g. 445100-2026-00017: division code, year, sequence."""
    return f"{jurisdiction.code}-{year}-{seq:05d}"


CASE_NUMBER_PATTERN = r"[0-9A-Z]{2,12}-\d{4}-\d{5,}"
