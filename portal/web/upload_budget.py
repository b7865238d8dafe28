"""The upload budget (issue 18 item 3): files sent count per enterprise (all its accounts
together, so colleague accounts do not multiply it) and per address, not only per user,
before any of them is decoded. Counted in the rate limiter's storage (Redis in production,
shared by every worker), in memory when that is down: never a 500, never unlimited.

UPLOAD_BUDGET_ENTERPRISE and UPLOAD_BUDGET_ADDRESS are limits in Flask-Limiter's notation
("60 per hour;300 per day"), counted in files.
"""

from __future__ import annotations

from flask import current_app, request
from flask_login import current_user
from limits import parse_many
from limits.storage import MemoryStorage
from limits.strategies import FixedWindowRateLimiter

from portal.domain.errors import N_, RuleViolation
from portal.extensions import limiter

_fallback = FixedWindowRateLimiter(MemoryStorage())


def _keys() -> list[tuple[str, str, str]]:
    """(config key, namespace, who) for each budget that applies to this request."""
    keys = [("UPLOAD_BUDGET_ADDRESS", "upload-address", request.remote_addr or "unknown")]
    enterprise_id = getattr(current_user, "enterprise_id", None)
    if enterprise_id is not None:
        keys.append(("UPLOAD_BUDGET_ENTERPRISE", "upload-enterprise", str(enterprise_id)))
    return keys


def charge(count: int) -> None:
    """Count `count` files against the budgets; RuleViolation (beside the attachments) when
    one of them would be passed, and then nothing is counted."""
    if count <= 0 or not current_app.config.get("RATELIMIT_ENABLED", True):
        return
    items = [
        (item, namespace, who)
        for key, namespace, who in _keys()
        for item in parse_many(current_app.config[key])
    ]
    try:
        strategy = limiter.limiter
        allowed = all(strategy.test(i, n, w, cost=count) for i, n, w in items)
        if allowed:
            for item, namespace, who in items:
                strategy.hit(item, namespace, who, cost=count)
    except Exception:  # the storage (Redis) failed: count in this worker's memory
        current_app.logger.error(
            "upload budget: rate-limit storage unreachable, counting in memory"
        )
        allowed = all(_fallback.test(i, n, w, cost=count) for i, n, w in items)
        if allowed:
            for item, namespace, who in items:
                _fallback.hit(item, namespace, who, cost=count)
    if not allowed:
        raise RuleViolation(
            N_(
                "Too many files were sent from your enterprise or your network lately. "
                "Send the form without files, or try again later."
            ),
            field="attachments",
        )
