"""Role guards (STYLE.md, Permissions). Anonymous users go to the login page (HX-Redirect for
htmx); signed-in users without the role get 403, and the refusal is audited. Each guarded
view records its roles as `view.access`, which tests/security/test_access_control.py checks
for every route.
"""

from __future__ import annotations

import functools

from flask import abort, current_app, request
from flask_login import current_user

from portal.domain.models import Role
from portal.extensions import db
from portal.web.auditing import audit_request
from portal.web.sessions import unauthorized

STAFF = tuple(r for r in Role if r.is_staff)


def requires(*roles: Role):
    """Allow only signed-in users holding one of `roles`."""
    if not roles:
        raise ValueError("name at least one role")

    def decorator(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            if not current_user.is_authenticated:
                return unauthorized()
            if current_user.role not in roles:
                db.session.rollback()
                audit_request(
                    "authorise", object_type="endpoint", object_id=request.endpoint, result="denied"
                )
                db.session.commit()
                abort(403)
            return view(*args, **kwargs)

        wrapper.access = frozenset(roles)
        return wrapper

    return decorator


def can_reach(endpoint: str) -> bool:
    """Whether the signed-in user passes the guard of `endpoint`: the navigation and the
    pages' links ask the very rule the route enforces (`view.access`), never a role of
    their own. An endpoint without a guard is public."""
    view = current_app.view_functions.get(endpoint)
    if view is None:
        raise LookupError(endpoint)
    roles = getattr(view, "access", None)
    if roles is None:
        return True
    return bool(current_user.is_authenticated) and current_user.role in roles
