"""The month a page is about, from `?month=YYYY-MM` (this month when absent; a bad value is
said beside the picker, and this month shown), and the months a picker offers."""

from __future__ import annotations

from datetime import date

from flask import request
from flask_babel import gettext as _

from portal.domain.figures import Period


def chosen_month(today: date) -> tuple[Period, str | None]:
    raw = request.args.get("month", "")
    found = Period.parse(raw)
    if found is not None and found.first_day <= today:
        return found, None
    return Period.of(today), (_("Choose a month like 2026-11.") if raw else None)


def recent_months(today: date, n: int = 12) -> list[Period]:
    months = [Period.of(today)]
    while len(months) < n:
        months.append(months[-1].previous())
    return months
