"""Load one object for the signed-in user, or 404 (the tutorial's `get_post`)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort

from portal.domain.access import case_scope
from portal.domain.models import Case
from portal.extensions import db
from portal.web.auditing import audit_when_answered


def load_case(number: str, for_user, *, action: str = "view", detail: str = "") -> Case:
    """The case numbered `number` if `for_user` may see it.

    Raises 404 (not 403) for a case outside the user's scope, so another enterprise's or
    another unit's case cannot be told apart from one that does not exist. `action` and
    `detail` say what the look was for the audit log (a view, a document exported).
    """
    case = db.session.scalar(sa.select(Case).where(Case.number == number, case_scope(for_user)))
    audit_case_view(number, for_user, found=case is not None, action=action, detail=detail)
    if case is None:
        abort(404)
    return case


def audit_case_view(
    number: str, user, *, found: bool, action: str = "view", detail: str = ""
) -> None:
    """Every look at a case, and every refused one, is recorded (Shantou 五(一); SECURITY.md
    checklist 28): taken now, written into the request's own transaction when the response
    is ready and committed then, whatever the view did meanwhile (`audit_when_answered`)."""
    audit_when_answered(
        action,
        object_type="case",
        object_id=number,
        result="ok" if found else "denied",
        detail=detail,
        user=user,
    )
