"""The audit row of a request: who (the signed-in user), from where (the client's address,
after ProxyFix), when (now, UTC), through the one writer `portal.domain.audit.record`
(SECURITY.md checklist 28)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import current_app, g, request
from flask_login import current_user

from portal.domain import audit
from portal.extensions import db
from portal.web.sessions import utcnow

SAFE_METHODS = frozenset({"GET", "HEAD"})


def _row(
    action: str,
    *,
    result: str,
    object_type: str | None = None,
    object_id: str | None = None,
    detail: str = "",
    user=None,
) -> dict:
    user = current_user if user is None else user
    return {
        "at": utcnow(),
        "user_id": getattr(user, "id", None),
        "ip": request.remote_addr,
        "action": action,
        "object_type": object_type,
        "object_id": object_id,
        "result": result,
        "detail": detail,
    }


def audit_request(action: str, **fields):
    """Append the row for this request (to the open transaction; the caller commits).
    `fields`: result, object_type, object_id, detail and `user`, the actor, by default
    the signed-in user (none when anonymous)."""
    return audit.record(db.session, **_row(action, **fields))


def audit_when_answered(action: str, **fields) -> None:
    """The row for this request, taken now (time, user, address) and written into the
    request's own transaction once the response is ready, then committed: one INSERT
    after the chain's lock and head (`audit.record`), and no commit in the middle of the
    request that would expire what the view has loaded and read it all again. The chain's
    lock is held from the INSERT to that commit only.

    The same fields as `audit_request`. For GET and HEAD, whose views write nothing; any
    other request writes and commits the row at once, before the view goes on."""
    row = _row(action, **fields)
    if request.method in SAFE_METHODS:
        g.setdefault("pending_audit", []).append(row)
    else:
        _commit([row])


def _write_pending(discard: bool) -> None:
    pending = g.pop("pending_audit", None)
    if not pending:
        return
    session = db.session
    if discard or session.new or session.dirty or session.deleted:
        # Nothing a read-only view left behind (or a failed request's work) is committed
        # with the record: the session would have rolled it back at the end anyway.
        session.rollback()
    _commit(pending)


def _commit(rows: list[dict]) -> None:
    session = db.session
    audit.append(session, rows)
    if session.get_bind().dialect.name == "postgresql":
        # A view record need not wait for the disk (case changes still do): PostgreSQL
        # writes it within wal_writer_delay; only a server crash in that instant loses it.
        session.execute(sa.text("SET LOCAL synchronous_commit TO OFF"))
    session.commit()


def init_app(app) -> None:
    @app.after_request
    def _audit_when_answered(response):
        _write_pending(discard=response.status_code >= 500)
        return response

    @app.teardown_request
    def _audit_left_over(error):
        """A response that never reached the after-request step (an error in another one)
        still leaves its record."""
        if g.get("pending_audit"):
            try:
                _write_pending(discard=True)
            except Exception:  # the request is over; say so instead of losing it silently
                db.session.rollback()
                current_app.logger.exception("audit record of %s not written", request.path)
