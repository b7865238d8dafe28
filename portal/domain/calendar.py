"""The working-day calendar (工作日): every time limit in the seeds counts in working days.

Source of truth, in order:
1. admin overrides stored in `calendar_override` (a day declared holiday or workday), for years
   the `holidays` package does not know yet: the State Council publishes the next year's
   schedule each November;
2. the `holidays` package's China calendar: statutory holidays and the make-up working
   weekends (调休), e.g. 2026-02-14 (Saturday) and 2026-02-28 (Saturday) are working days;
3. otherwise Monday to Friday work, Saturday and Sunday rest.

Deadline semantics ("within N working days")
--------------------------------------------
The portal follows the Civil Code's rule for periods counted in days (民法典 第二百零一条:
"按照年、月、日计算期间的，开始的当日不计入，自下一日开始计算"; 第二百零三条: a period whose
last day is a statutory holiday ends on the day after the holiday; the last day ends at 24:00):

- The day the clock starts (the day a case is received, dispatched, signed…) is never counted,
  whatever the hour. Counting begins with the next working day.
- "Within N working days" means by the end (24:00, Beijing time) of the N-th working day after
  the start day. `add_working_days(start, N)` returns that day; the step is overdue from the
  next calendar day on.
- A case received at 17:30 on Friday 2026-11-20: "within 1 working day" ends at the end of
  Monday 2026-11-23. The same case received at 09:00 that Friday has the same deadline: the
  start day is never counted, so the hour of receipt cannot shorten or lengthen a time limit.
- A case received on a rest day or holiday (e.g. Sunday 2026-02-15, during Spring Festival):
  nothing is counted until the first working day after it, 2026-02-24, which is day 1.
  "Within 1 working day" therefore ends on 2026-02-24.
- N = 0 ("at once", 当场/第一时间) means the start day itself if it is a working day, else the
  next working day.

Timestamps are stored in UTC; the start day is the date in Asia/Shanghai (`local_date`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

from portal.domain.models import CalendarDayKind

BEIJING = ZoneInfo("Asia/Shanghai")

# No real calendar has a run of this many consecutive rest days; reaching it means the
# overrides declared (nearly) everything a holiday, and we refuse rather than loop.
_MAX_SCAN_DAYS = 400


def local_date(moment: datetime) -> date:
    """The calendar date in Beijing of an aware timestamp."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime given; pass an aware datetime")
    return moment.astimezone(BEIJING).date()


@lru_cache(maxsize=1)
def _official() -> holidays.HolidayBase:
    # Years load lazily on first look-up; public holidays only.
    return holidays.country_holidays("CN")


class WorkCalendar:
    """China's official working days plus an admin's overrides.

    `overrides` maps a date to CalendarDayKind.HOLIDAY or CalendarDayKind.WORKDAY.
    """

    def __init__(self, overrides: Mapping[date, CalendarDayKind] | None = None):
        self.overrides = dict(overrides or {})

    def is_working_day(self, day: date) -> bool:
        kind = self.overrides.get(day)
        if kind is not None:
            return kind is CalendarDayKind.WORKDAY
        return _official().is_working_day(day)

    def next_working_day(self, day: date) -> date:
        """The first working day strictly after `day`."""
        for offset in range(1, _MAX_SCAN_DAYS):
            candidate = day + timedelta(days=offset)
            if self.is_working_day(candidate):
                return candidate
        raise ValueError(f"no working day within {_MAX_SCAN_DAYS} days after {day}")

    def add_working_days(self, start: date, n: int) -> date:
        """The last day of a period of `n` working days starting on `start`.

        The start day is not counted (see the module docstring); n = 0 gives the start day
        when it is a working day, else the next working day.
        """
        if n < 0:
            raise ValueError("n must not be negative")
        if n == 0:
            return start if self.is_working_day(start) else self.next_working_day(start)
        day = start
        for _ in range(n):
            day = self.next_working_day(day)
        return day

    def working_days_between(self, a: date, b: date) -> int:
        """The number of working days d with a < d <= b (negative when b is before a).

        It is the inverse of `add_working_days`: working_days_between(s, add_working_days(s, n))
        == n for every n >= 1.
        """
        if b < a:
            return -self.working_days_between(b, a)
        return sum(
            1
            for offset in range(1, (b - a).days + 1)
            if self.is_working_day(a + timedelta(days=offset))
        )

    def due_date(self, received_at: datetime, n: int) -> date:
        """The deadline for a step of `n` working days starting at the timestamp `received_at`."""
        return self.add_working_days(local_date(received_at), n)


def load_calendar(session) -> WorkCalendar:
    """The calendar with every override stored in the database."""
    import sqlalchemy as sa

    from portal.domain.models import CalendarOverride

    rows = session.scalars(sa.select(CalendarOverride))
    return WorkCalendar({row.day: row.kind for row in rows})


def set_override(
    session, day: date, kind: CalendarDayKind, *, by=None, at: datetime, note: str = ""
):
    """Declare `day` a holiday or a workday, replacing any earlier override of that day."""
    from portal.domain.models import CalendarOverride

    row = session.get(CalendarOverride, day)
    if row is None:
        row = CalendarOverride(day=day)
        session.add(row)
    row.kind = kind
    row.note = note
    row.created_by_id = by.id if by is not None else None
    row.created_at = at
    return row
