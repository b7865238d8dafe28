"""A month in the query string (`?month=2026-11`), as the ledgers and the summary list take it."""

from __future__ import annotations

import re

from flask import request
from flask_babel import gettext as _

from portal.domain.calendar import local_date
from portal.web.sessions import utcnow

MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def month_in_query() -> tuple[int, int, str | None]:
    """The month in the query string (YYYY-MM), else this month; a bad value is said."""
    today = local_date(utcnow())
    raw = request.args.get("month", "")
    found = MONTH.match(raw)
    if found and 1 <= int(found[2]) <= 12 and 2000 <= int(found[1]) <= today.year + 1:
        return int(found[1]), int(found[2]), None
    error = _("Choose a month like 2026-11.") if raw else None
    return today.year, today.month, error
