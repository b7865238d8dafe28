"""The month a page is about, from `?month=YYYY-MM` (this month when absent or not yet begun;
a bad value is said beside the picker), and the months a picker offers: the ledgers, the
summary list and the figures take it the same way."""

from __future__ import annotations

import re
from datetime import date

from flask import request
from flask_babel import gettext as _

from portal.domain.calendar import local_date
from portal.domain.figures import Period
from portal.web.sessions import utcnow

MONTH = re.compile(r"^(\d{4})-(\d{2})$")  # as posted by forms that name a month


def chosen_month(today: date) -> tuple[Period, str | None]:
    raw = request.args.get("month", "")
    found = Period.parse(raw)
    if found is not None and found.first_day <= today:
        return found, None
    return Period.of(today), (_("Choose a month like 2026-11.") if raw else None)


def month_in_query() -> tuple[int, int, str | None]:
    """`chosen_month` of today, as (year, month, error)."""
    period, error = chosen_month(local_date(utcnow()))
    return period.year, period.month, error


def recent_months(today: date, n: int = 12) -> list[Period]:
    months = [Period.of(today)]
    while len(months) < n:
        months.append(months[-1].previous())
    return months
