"""The audit log's one writer, its hash chain, the verifier and the export (no Flask).

SECURITY.md "nothing lost" 5 and checklist 28-30; issue 9 item 5. Every audit row is
written by `record`, which links it to the row before: the row keeps its predecessor's hash
(`prev_hash`) and its own (`row_hash`, SHA-256 over `canonical(...)`: the row's fields and
`prev_hash`). Editing, deleting or inserting a row by hand (as a superuser past the
append-only trigger) breaks the chain at that place, and `verify` names the first broken row.

What a chain cannot show by itself: rows cut off the end, or rows appended with freshly
computed hashes (the format is public). The export (`export`, `flask audit export`) is for
an off-host copy, against which `verify(..., against=...)` finds those too.

Concurrency. Two transactions writing at once must not both link to the same predecessor:
- PostgreSQL: `record` takes a transaction-level advisory lock just before it reads the last
  hash; the lock is held until commit or rollback, so the next writer reads the committed
  row. Callers therefore write audit rows late in their transaction (the lock serialises
  audit writers until they commit).
- SQLite: `record` first takes the database's write lock (an empty DELETE, which starts the
  write transaction), so the read of the last hash and the insert happen under one lock.
- Either way the unique index on `prev_hash` turns a fork into an IntegrityError.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import IO

import sqlalchemy as sa

from portal.domain.models import AuditLog

GENESIS = "0" * 64  # the `prev_hash` of the first row
FORMAT = "audit-v1"  # part of every hashed text: a new format gets a new tag
# pg_advisory_xact_lock key of the chain's head ("audit" in ASCII); any fixed number will do,
# as long as nothing else in the database uses it.
CHAIN_LOCK = 0x6175646974

# Column lengths (models.AuditLog): values are cut to them before hashing, so the hash is of
# what the database keeps on every backend.
_LIMITS = {"ip": 45, "action": 40, "object_type": 40, "object_id": 64, "result": 20, "detail": 500}


def _cut(name: str, value: str | None) -> str | None:
    return None if value is None else str(value)[: _LIMITS[name]]


def _stamp(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical(
    *,
    at: datetime,
    user_id: int | None,
    ip: str | None,
    action: str,
    object_type: str | None,
    object_id: str | None,
    result: str,
    detail: str,
    prev_hash: str,
) -> bytes:
    """The text a row's hash is taken over: a JSON array in a fixed order (UTF-8, no
    spaces), the time as UTC with microseconds. The row id is left out: the chain, not the
    numbering, fixes the order, and ids are only assigned at insert."""
    return json.dumps(
        [
            FORMAT,
            _stamp(at),
            user_id,
            ip,
            action,
            object_type,
            object_id,
            result,
            detail or "",
            prev_hash,
        ],
        ensure_ascii=False,
        separators=(",", ":"),
    ).encode("utf-8")


def row_hash_of(row, prev_hash: str) -> str:
    """`row`: an AuditLog or a row of the audit_log table."""
    return hashlib.sha256(
        canonical(
            at=row.at,
            user_id=row.user_id,
            ip=row.ip,
            action=row.action,
            object_type=row.object_type,
            object_id=row.object_id,
            result=row.result,
            detail=row.detail,
            prev_hash=prev_hash,
        )
    ).hexdigest()


def _lock_chain(session) -> None:
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        session.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": CHAIN_LOCK})
    elif dialect == "sqlite":
        # Deletes nothing (the row trigger never fires) but opens the write transaction:
        # another writer now waits (busy_timeout) until this one commits.
        session.execute(sa.text("DELETE FROM audit_log WHERE 0"))


def last_hash(session) -> str:
    return (
        session.scalar(sa.select(AuditLog.row_hash).order_by(AuditLog.id.desc()).limit(1))
        or GENESIS
    )


def _values(
    *,
    at: datetime,
    action: str,
    result: str,
    user_id: int | None = None,
    ip: str | None = None,
    object_type: str | None = None,
    object_id: str | None = None,
    detail: str = "",
) -> dict:
    """A row's columns, cut to their lengths (the hash is of what the database keeps)."""
    if at.tzinfo is None:
        raise ValueError("naive datetime given; pass an aware datetime")
    return {
        "at": at,
        "user_id": user_id,
        "ip": _cut("ip", ip),
        "action": _cut("action", action),
        "object_type": _cut("object_type", object_type),
        "object_id": _cut("object_id", object_id),
        "result": _cut("result", result),
        "detail": _cut("detail", detail or ""),
    }


def record(session, **fields) -> AuditLog:
    """Append one audit row, chained to the last one, and flush it (the next `record` in
    this transaction links to it). Holds the chain's lock until the transaction ends.
    `fields`: at (aware), action, result, and optionally user_id, ip, object_type,
    object_id, detail.

    Never pass a password, a code or a token: the row is read by the auditor and copied off
    the host (SECURITY.md checklist 28, "no secrets")."""
    row = AuditLog(**_values(**fields))
    session.flush()  # the transaction's own earlier work first, then the chain's head
    _lock_chain(session)
    row.prev_hash = last_hash(session)
    row.row_hash = row_hash_of(row, row.prev_hash)
    session.add(row)
    session.flush()
    return row


def append(session, rows: Iterable[dict]) -> None:
    """`record` for rows nobody needs an object of (a page view's, written once the response
    is ready): the same chain under the same lock, as plain values in one Core INSERT,
    without an ORM object, its flush and its bookkeeping (issue 20). `rows`: `record`'s
    fields, one dict a row, chained in the order given."""
    values = [_values(**fields) for fields in rows]
    if not values:
        return
    session.flush()
    _lock_chain(session)
    prev_hash = last_hash(session)
    for value in values:
        value["prev_hash"] = prev_hash
        value["row_hash"] = prev_hash = row_hash_of(_Row(value), prev_hash)
    session.execute(sa.insert(AuditLog), values)


class _Row:
    """A dict of columns read as attributes, for `row_hash_of`."""

    def __init__(self, values: dict):
        self.__dict__.update(values)


# --------------------------------------------------------------------------- verifying


@dataclass
class Verdict:
    checked: int
    broken_id: int | None = None
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.broken_id is None


def _rows(session, batch: int = 1000) -> Iterator[sa.Row]:
    """Every row in id order, a batch at a time (the log grows without end), as plain rows:
    nothing enters the session's identity map."""
    table, after = AuditLog.__table__, 0
    while True:
        rows = session.execute(
            sa.select(table).where(table.c.id > after).order_by(table.c.id).limit(batch)
        ).all()
        if not rows:
            return
        yield from rows
        after = rows[-1].id


def verify(session, against: Iterable[dict] = ()) -> Verdict:
    """Walk the chain in id order. A row is broken when its `prev_hash` is not the previous
    row's hash (a row deleted or inserted before it) or its `row_hash` is not the hash of
    its own fields (the row edited). `against`: rows of an earlier export (dicts with `id`
    and `row_hash`), each of which must still be there unchanged: this finds rows cut off
    the end, and a chain rewritten from some row on."""
    expected, checked = GENESIS, 0
    kept = {int(r["id"]): r["row_hash"] for r in against}
    for row in _rows(session):
        if row.prev_hash != expected:
            return Verdict(checked, row.id, "does not follow the row before it")
        if row.row_hash != row_hash_of(row, expected):
            return Verdict(checked, row.id, "was changed after it was written")
        if kept.pop(row.id, row.row_hash) != row.row_hash:
            return Verdict(checked, row.id, "differs from the exported copy")
        expected, checked = row.row_hash, checked + 1
    if kept:
        return Verdict(checked, min(kept), "is in the exported copy but missing here")
    return Verdict(checked)


# --------------------------------------------------------------------------- exporting

FIELDS = (
    "id",
    "at",
    "user_id",
    "ip",
    "action",
    "object_type",
    "object_id",
    "result",
    "detail",
    "prev_hash",
    "row_hash",
)


def as_dict(row) -> dict:
    out = {name: getattr(row, name) for name in FIELDS}
    out["at"] = _stamp(row.at)
    return out


def export(session, out: IO[str]) -> int:
    """Write every row as one JSON object a line, with the chain's hashes, for a copy kept
    off this host (SECURITY.md "nothing lost" 5: a superuser can bypass the trigger)."""
    count = 0
    for row in _rows(session):
        out.write(json.dumps(as_dict(row), ensure_ascii=False, sort_keys=True) + "\n")
        count += 1
    return count


def read_export(lines: Iterable[str]) -> list[dict]:
    return [json.loads(line) for line in lines if line.strip()]
