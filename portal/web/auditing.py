"""The audit row of a request: who (the signed-in user), from where (the client's address,
after ProxyFix), when (now, UTC), through the one writer `portal.domain.audit.record`
(SECURITY.md checklist 28)."""

from __future__ import annotations

from flask import request
from flask_login import current_user

from portal.domain import audit
from portal.extensions import db
from portal.web.sessions import utcnow


def audit_request(
    action: str,
    *,
    result: str,
    object_type: str | None = None,
    object_id: str | None = None,
    detail: str = "",
    user=None,
):
    """Append the row for this request (to the open transaction; the caller commits).
    `user`: the actor, by default the signed-in user (none when anonymous)."""
    user = current_user if user is None else user
    return audit.record(
        db.session,
        at=utcnow(),
        user_id=getattr(user, "id", None),
        ip=request.remote_addr,
        action=action,
        object_type=object_type,
        object_id=object_id,
        result=result,
        detail=detail,
    )
