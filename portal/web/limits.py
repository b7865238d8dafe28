"""Rate limits when Redis is down (SECURITY.md "Flask-Limiter with Redis", checklist 27).

Flask-Limiter falls back to each worker's memory when its storage fails
(`RATELIMIT_IN_MEMORY_FALLBACK_ENABLED`) and says so at WARNING on its own logger, which has
only a NullHandler. Here the login limit gets stricter while that lasts (per-worker counts
add up across workers, so each worker allows less), and the storage failure reaches the
application's log as an ERROR, to be alerted on.
"""

from __future__ import annotations

import logging

from flask import current_app, request
from flask.logging import default_handler
from limits import parse_many
from limits.storage import MemoryStorage
from limits.strategies import FixedWindowRateLimiter

from portal.extensions import limiter

_fallback = FixedWindowRateLimiter(MemoryStorage())


def storage_is_down() -> bool:
    """True while the limiter counts in memory because its storage (Redis) failed."""
    return limiter.limiter.storage is not limiter.storage


def login_limit() -> str:
    """The login rate limit: LOGIN_RATE_LIMIT, or LOGIN_FALLBACK_RATE_LIMIT while Redis is
    down ("fallback ON with a stricter fallback limit for login")."""
    if storage_is_down():
        return current_app.config["LOGIN_FALLBACK_RATE_LIMIT"]
    return current_app.config["LOGIN_RATE_LIMIT"]


def login_account_key() -> str:
    """The login limit's second key: the account, as the login name typed (normalised), so
    guesses at one account from many addresses add up ("limit per IP (after `ProxyFix`) and
    per account", SECURITY.md check 26). Unknown names are counted the same way."""
    return "login-account:" + (request.form.get("login") or "").strip().lower()[:64]


def spend(budgets: list[tuple[str, str, str]], cost: int = 1) -> bool:
    """Count `cost` against each budget — (limits in Flask-Limiter's notation, e.g. "1 per
    minute;5 per hour", namespace, who) — when none of them would be passed; True then,
    False (nothing counted) otherwise. Counted in the limiter's storage (Redis in
    production, shared by every worker), in this worker's memory when that is down: never
    a 500, never unlimited."""
    if cost <= 0 or not current_app.config.get("RATELIMIT_ENABLED", True):
        return True
    items = [(item, ns, who) for text, ns, who in budgets for item in parse_many(text)]
    try:
        strategy = limiter.limiter
        allowed = all(strategy.test(i, n, w, cost=cost) for i, n, w in items)
        if allowed:
            for item, namespace, who in items:
                strategy.hit(item, namespace, who, cost=cost)
    except Exception:  # the storage (Redis) failed: count in this worker's memory
        current_app.logger.error("rate-limit storage unreachable: counting in memory")
        allowed = all(_fallback.test(i, n, w, cost=cost) for i, n, w in items)
        if allowed:
            for item, namespace, who in items:
                _fallback.hit(item, namespace, who, cost=cost)
    return allowed


class _StorageFailureIsAnError(logging.Filter):
    """Flask-Limiter's "storage unreachable" record is raised to ERROR: an alert, not noise."""

    def filter(self, record: logging.LogRecord) -> bool:
        if "unreachable" in record.getMessage():
            record.levelno, record.levelname = logging.ERROR, "ERROR"
            record.msg = (
                "rate-limit storage (Redis) unreachable: limits now counted in "
                "this worker's memory, the login limit stricter"
            )
            record.args = ()
        return True


def init_app(app) -> None:
    log = logging.getLogger("flask-limiter")
    if not any(isinstance(f, _StorageFailureIsAnError) for f in log.filters):
        log.addFilter(_StorageFailureIsAnError())
    if default_handler not in log.handlers:
        log.addHandler(default_handler)
