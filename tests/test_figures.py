"""The figures on hand-built cases with known answers (Chengkou's seven 100 %, response,
resolution, satisfaction, overdue; Haimen's per-department completion and satisfaction;
Shantou's category × area), edge cases included: no cases, another period, duplicates."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from portal.domain import figures, workflow
from portal.domain.calendar import WorkCalendar
from portal.domain.figures import Period
from portal.domain.models import RatingLevel
from tests import factories

CAL = WorkCalendar()
NOVEMBER = Period(2026, 11)
TODAY = date(2026, 11, 25)


def at(day: date, hour: int = 10) -> datetime:
    """A Beijing wall-clock time as UTC."""
    return datetime(day.year, day.month, day.day, hour - 8, tzinfo=UTC)


@pytest.fixture()
def cases(db, world):
    """Seven cases of November in the city and its county, one of October, one duplicate."""
    office, handler = world.users["office"], world.users["handler"]
    enterprise = world.users["enterprise"]
    made = {}

    def new(name, day, *, j=None, who=None):
        made[name] = factories.case(
            db.session, j or world.city, at=at(day), enterprise=who or world.enterprise, title=name
        )
        return made[name]

    new("untriaged", date(2026, 11, 24))  # contact due 11-25: not yet overdue
    refused = new("refused", date(2026, 11, 2))
    workflow.refuse(
        db.session, refused, by=office, at=at(date(2026, 11, 2)), reason=4, message="正在仲裁"
    )
    spot = new("on_the_spot", date(2026, 11, 3))
    workflow.answer(db.session, CAL, spot, by=office, at=at(date(2026, 11, 3)), text="可网上办")
    workflow.rate(
        db.session,
        CAL,
        spot,
        by=enterprise,
        level=RatingLevel.SATISFIED,
        solved=True,
        comment="",
        at=at(date(2026, 11, 4)),
    )
    late = new("late", date(2026, 11, 2))  # finish due 11-09: overdue on 11-25
    _in_hand(db, world, late, date(2026, 11, 2))
    workflow.contact(
        db.session,
        late,
        by=handler,
        at=at(date(2026, 11, 2)),
        method="phone",
        when=at(date(2026, 11, 2)),
        note="",
    )
    unhappy = new("unhappy", date(2026, 11, 17))
    _replied(db, world, unhappy, date(2026, 11, 17))
    workflow.rate(
        db.session,
        CAL,
        unhappy,
        by=enterprise,
        level=RatingLevel.UNSATISFIED,
        solved=False,
        comment="没解决",
        at=at(date(2026, 11, 20)),
    )
    unrated = new("unrated", date(2026, 11, 16))
    _replied(db, world, unrated, date(2026, 11, 16))
    new(
        "county",
        date(2026, 11, 20),
        j=world.county,  # contact due 11-23: overdue
        who=world.other_enterprise,
    )
    october = new("october", date(2026, 10, 20))
    workflow.refuse(
        db.session, october, by=office, at=at(date(2026, 10, 20)), reason=4, message="x"
    )
    duplicate = new("duplicate", date(2026, 11, 20))
    workflow.merge(
        db.session, duplicate, by=office, at=at(date(2026, 11, 20)), into_number=unrated.number
    )
    factories.enterprise(db.session, world.city, name="从未联系的企业")
    db.session.commit()
    return made


def _in_hand(db, world, case, day):
    office = world.users["office"]
    workflow.accept(db.session, CAL, case, by=office, at=at(day))
    workflow.dispatch(db.session, CAL, case, by=office, at=at(day), lead=world.department)
    workflow.sign(db.session, case, by=world.users["handler"], at=at(day))


def _replied(db, world, case, day):
    _in_hand(db, world, case, day)
    workflow.contact(
        db.session,
        case,
        by=world.users["handler"],
        at=at(day),
        method="phone",
        when=at(day),
        note="",
    )
    workflow.reply(db.session, CAL, case, by=world.users["handler"], text="已办", at=at(day))
    workflow.approve_reply(db.session, CAL, case, by=world.users["office"], at=at(day))


def test_the_seven_and_the_others_on_known_cases(db, world, cases):
    counts = figures.figure_counts(db.session, world.city.id, NOVEMBER, TODAY)
    got = {key: (c.numerator, c.denominator) for key, c in counts.items()}
    assert got == {
        # registry: 3 enterprises; ours has an account, theirs whistled, one never heard
        "awareness": (2, 3),
        "online": (1, 3),
        # 7 cases of November (the duplicate is not counted, October is another period)
        "received": (5, 7),  # all but the untriaged and the county's
        "disposed": (4, 4),  # of the 4 taken on: dispatched or answered on the spot
        "investigated": (1, 3),  # lapses: late, county, unhappy; supervised: unhappy
        "replied": (3, 4),  # on the spot, unhappy, unrated
        "surveyed": (2, 3),  # of those replied, rated: on the spot and unhappy
        "response": (5, 7),  # contacted, refused, replied
        "resolution": (1, 2),
        "satisfaction": (1, 2),
        "overdue": (2, 5),  # of the 5 open: late, and the county's not contacted
    }
    assert counts["disposed"].rate == 1.0 and counts["online"].rate == pytest.approx(1 / 3)


def test_a_county_office_counts_only_its_own(db, world, cases):
    counts = figures.figure_counts(db.session, world.county.id, NOVEMBER, TODAY)
    assert (counts["received"].numerator, counts["received"].denominator) == (0, 1)
    assert (counts["online"].numerator, counts["online"].denominator) == (0, 1)


def test_no_cases_is_no_rate_never_a_division_error(db, world):
    counts = figures.figure_counts(db.session, world.city.id, Period(2025, 1), TODAY)
    assert all(
        c.denominator == 0 and c.rate is None
        for c in counts.values()
        if c.key not in ("awareness", "online")
    )
    assert counts["online"].denominator == 0  # the registry was empty then too
    assert figures.department_counts(db.session, world.city.id, Period(2025, 1)) == []


def test_the_members_behind_each_count(db, world, cases):
    total, rows = figures.members(
        db.session,
        figures.FIGURES["surveyed"],
        "numerator",
        world.city.id,
        NOVEMBER,
        TODAY,
        limit=10,
    )
    assert total == 2 and {c.title for c in rows} == {"on_the_spot", "unhappy"}
    total, rows = figures.members(
        db.session,
        figures.FIGURES["overdue"],
        "denominator",
        world.city.id,
        NOVEMBER,
        TODAY,
        limit=2,
    )
    assert total == 5 and len(rows) == 2
    assert [c.title for c in rows] == ["untriaged", "county"]  # newest first
    total, rows = figures.members(
        db.session, figures.FIGURES["online"], "numerator", world.city.id, NOVEMBER, TODAY, limit=10
    )
    assert total == 1 and rows == [world.enterprise]
    # Every figure's members agree with its counts.
    counts = figures.figure_counts(db.session, world.city.id, NOVEMBER, TODAY)
    for key, figure in figures.FIGURES.items():
        for part in ("numerator", "denominator"):
            total, _ = figures.members(
                db.session, figure, part, world.city.id, NOVEMBER, TODAY, limit=1
            )
            assert total == getattr(counts[key], part), (key, part)


def test_departments_ranked_by_completion_then_satisfaction(db, world, cases):
    other = world.other_department
    office = world.users["office"]
    for name, rate in (("满意的", RatingLevel.SATISFIED), ("未办完", None)):
        case = factories.case(
            db.session,
            world.city,
            at=at(date(2026, 11, 5)),
            enterprise=world.enterprise,
            title=name,
        )
        workflow.accept(db.session, CAL, case, by=office, at=at(date(2026, 11, 5)))
        workflow.dispatch(db.session, CAL, case, by=office, at=at(date(2026, 11, 5)), lead=other)
        if rate is not None:
            handler = factories.user(db.session, world.users["handler"].role, unit=other)
            workflow.sign(db.session, case, by=handler, at=at(date(2026, 11, 5)))
            workflow.reply(db.session, CAL, case, by=handler, text="好", at=at(date(2026, 11, 6)))
            workflow.approve_reply(db.session, CAL, case, by=office, at=at(date(2026, 11, 6)))
            workflow.rate(
                db.session,
                CAL,
                case,
                by=world.users["enterprise"],
                level=rate,
                solved=True,
                comment="",
                at=at(date(2026, 11, 7)),
            )
    db.session.commit()
    rows = figures.department_counts(db.session, world.city.id, NOVEMBER)
    got = [(r.unit_id, r.dispatched, r.finished, r.rated, r.satisfied) for r in rows]
    # 人社: late, unhappy, unrated → 2 of 3 finished, 0 of 1 satisfied; 自然资源: 1 of 2, 1 of 1.
    assert got == [(world.department.id, 3, 2, 1, 0), (other.id, 2, 1, 1, 1)]
    assert rows[0].completion == pytest.approx(2 / 3) and rows[1].satisfaction == 1.0


def test_category_by_area(db, world, cases):
    grid = figures.category_area_counts(db.session, world.city.id, NOVEMBER)
    assert grid == {(None, world.city.id): 6, (None, world.county.id): 1}


def test_periods():
    assert Period.parse("2026-11") == NOVEMBER and str(NOVEMBER) == "2026-11"
    assert Period.parse("2026-13") is None and Period.parse("abc") is None
    assert Period.parse(None) is None
    assert Period(2026, 1).previous() == Period(2025, 12)
    assert Period(2026, 12).next_first_day == date(2027, 1, 1)
