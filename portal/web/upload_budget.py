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

from portal.domain.errors import N_, RuleViolation
from portal.web import limits


def _budgets() -> list[tuple[str, str, str]]:
    """(limits, namespace, who) for each budget that applies to this request."""
    config = current_app.config
    budgets = [
        (config["UPLOAD_BUDGET_ADDRESS"], "upload-address", request.remote_addr or "unknown")
    ]
    enterprise_id = getattr(current_user, "enterprise_id", None)
    if enterprise_id is not None:
        budgets.append(
            (config["UPLOAD_BUDGET_ENTERPRISE"], "upload-enterprise", str(enterprise_id))
        )
    return budgets


def charge(count: int) -> None:
    """Count `count` files against the budgets; RuleViolation (beside the attachments) when
    one of them would be passed, and then nothing is counted."""
    if not limits.spend(_budgets(), count):
        raise RuleViolation(
            N_(
                "Too many files were sent from your enterprise or your network lately. "
                "Send the form without files, or try again later."
            ),
            field="attachments",
        )
