"""The working-day calendar: China's official 2026 schedule with its make-up working days,
the deadline semantics written in `portal/domain/calendar.py`, and admin overrides."""

from datetime import UTC, date, datetime

import pytest

from portal.domain.calendar import WorkCalendar, load_calendar, local_date, set_override
from portal.domain.models import CalendarDayKind

official = WorkCalendar()
D = date.fromisoformat


@pytest.mark.parametrize("day", [f"2026-02-{d}" for d in range(15, 24)])
def test_spring_festival_2026_is_nine_days_off(day):
    """State Council 2026 schedule: 春节 2月15日至23日放假调休，共9天."""
    assert not official.is_working_day(D(day))


@pytest.mark.parametrize("day", ["2026-02-14", "2026-02-28", "2026-09-20", "2026-10-10"])
def test_make_up_weekends_of_2026_are_working_days(day):
    """调休: 2月14日（周六）、2月28日（周六）、9月20日（周日）、10月10日（周六）上班."""
    assert D(day).weekday() >= 5
    assert official.is_working_day(D(day))


@pytest.mark.parametrize("day", [f"2026-10-0{d}" for d in range(1, 8)])
def test_national_day_2026_is_seven_days_off(day):
    assert not official.is_working_day(D(day))


def test_ordinary_weekdays_work_and_weekends_rest():
    assert official.is_working_day(D("2026-11-25"))  # Wednesday
    assert not official.is_working_day(D("2026-11-28"))  # Saturday
    assert not official.is_working_day(D("2026-11-29"))  # Sunday


def test_five_working_days_across_spring_festival():
    """The CLI example: from Thursday 02-12, day 1 is 02-13, day 2 the make-up Saturday 02-14,
    then nine days off; days 3-5 are 02-24..02-26."""
    assert official.add_working_days(D("2026-02-12"), 5) == D("2026-02-26")


def test_the_start_day_is_never_counted():
    """民法典 第二百零一条: 开始的当日不计入，自下一日开始计算."""
    assert official.add_working_days(D("2026-11-25"), 1) == D("2026-11-26")


def test_received_friday_evening_is_due_end_of_monday():
    friday_1730 = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)  # 17:30 in Beijing
    friday_0900 = datetime(2026, 11, 20, 1, 0, tzinfo=UTC)
    assert local_date(friday_1730) == D("2026-11-20")
    assert official.due_date(friday_1730, 1) == D("2026-11-23")
    assert official.due_date(friday_0900, 1) == official.due_date(friday_1730, 1)


def test_received_on_a_holiday_counts_from_the_first_working_day_after():
    assert official.add_working_days(D("2026-02-15"), 1) == D("2026-02-24")
    assert official.add_working_days(D("2026-10-03"), 1) == D("2026-10-08")


def test_local_date_is_beijing_time():
    late_utc = datetime(2026, 11, 24, 17, 0, tzinfo=UTC)  # 01:00 on the 25th in Beijing
    assert local_date(late_utc) == D("2026-11-25")
    with pytest.raises(ValueError):
        local_date(datetime(2026, 11, 24, 17, 0))


def test_zero_days_means_today_or_the_next_working_day():
    assert official.add_working_days(D("2026-11-25"), 0) == D("2026-11-25")
    assert official.add_working_days(D("2026-11-28"), 0) == D("2026-11-30")


def test_working_days_between_is_the_inverse_of_adding():
    start = D("2026-02-10")
    for n in range(1, 30):
        end = official.add_working_days(start, n)
        assert official.working_days_between(start, end) == n
    assert official.working_days_between(D("2026-02-26"), D("2026-02-12")) == -5
    assert official.working_days_between(D("2026-02-15"), D("2026-02-23")) == 0


def test_negative_days_are_refused():
    with pytest.raises(ValueError):
        official.add_working_days(D("2026-11-25"), -1)


def test_override_changes_a_2027_deadline():
    """The 2027 schedule arrives after the package was released: an admin declares
    2027-02-06 (Saturday) a make-up working day and the deadline moves a day earlier."""
    start = D("2027-02-04")  # Thursday; the package has 02-05..02-10 off
    assert official.add_working_days(start, 1) == D("2027-02-11")
    fixed = WorkCalendar({D("2027-02-06"): CalendarDayKind.WORKDAY})
    assert fixed.add_working_days(start, 1) == D("2027-02-06")
    assert fixed.add_working_days(start, 2) == D("2027-02-11")


def test_a_holiday_override_wins_over_a_weekday():
    cal = WorkCalendar({D("2026-11-26"): CalendarDayKind.HOLIDAY})
    assert cal.add_working_days(D("2026-11-25"), 1) == D("2026-11-27")


def test_a_calendar_without_working_days_is_refused():
    everything_off = {
        D("2030-01-01").fromordinal(D("2030-01-01").toordinal() + i): CalendarDayKind.HOLIDAY
        for i in range(500)
    }
    with pytest.raises(ValueError):
        WorkCalendar(everything_off).add_working_days(D("2029-12-31"), 1)


def test_overrides_are_stored_and_loaded(db):
    at = datetime(2026, 11, 25, tzinfo=UTC)
    set_override(db.session, D("2027-02-06"), CalendarDayKind.WORKDAY, at=at, note="调休")
    set_override(db.session, D("2027-02-06"), CalendarDayKind.HOLIDAY, at=at)  # replaces
    db.session.commit()
    assert not load_calendar(db.session).is_working_day(D("2027-02-06"))


def test_cli_prints_the_due_date(runner):
    result = runner.invoke(args=["workdays", "due", "2026-02-12", "5"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "2026-02-26"


def test_cli_override_changes_cli_due_date(runner):
    assert runner.invoke(args=["workdays", "due", "2027-02-04", "1"]).output.strip() == "2027-02-11"
    result = runner.invoke(args=["workdays", "set", "2027-02-06", "workday"])
    assert result.exit_code == 0, result.output
    assert runner.invoke(args=["workdays", "due", "2027-02-04", "1"]).output.strip() == "2027-02-06"
    assert (
        runner.invoke(args=["workdays", "check", "2027-02-06"]).output.strip()
        == "2027-02-06 workday"
    )


def test_cli_rejects_a_bad_date(runner):
    result = runner.invoke(args=["workdays", "due", "2026-13-01", "5"])
    assert result.exit_code != 0
    assert "not a date" in result.output
