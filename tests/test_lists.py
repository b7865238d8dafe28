"""The office's lists on hand-built cases: the overdue review of the 25th (Shantou 三(五)),
the weekly progress owed on Thursdays (Shantou 三(四)), and the city meeting's candidates
with their rules (Shantou 四(一) minus 四(二))."""

from __future__ import annotations

from datetime import date

from portal.domain import lists, policies, workflow
from portal.domain.figures import Period
from portal.domain.models import CaseType, RatingLevel
from tests import factories
from tests.test_figures import CAL, _in_hand, _replied, at


def _handled(db, world, title, day):
    """A case of the city received, dispatched to 人社局 and signed on `day`."""
    case = factories.case(
        db.session, world.city, enterprise=world.enterprise, at=at(day), title=title
    )
    _in_hand(db, world, case, day)
    return case


def test_the_overdue_review_of_the_25th(db, world):
    _late = _handled(db, world, "严重滞后", date(2026, 11, 2))  # finish due 11-09
    on_time = _handled(db, world, "正常推进", date(2026, 11, 23))
    workflow.contact(
        db.session,
        on_time,
        by=world.users["handler"],
        at=at(date(2026, 11, 23)),
        method="phone",
        when=at(date(2026, 11, 23)),
        note="",
    )
    _after = _handled(db, world, "26日才收到", date(2026, 11, 26))
    done = factories.case(
        db.session,
        world.city,
        enterprise=world.enterprise,
        at=at(date(2026, 11, 3)),
        title="已答复",
    )
    _replied(db, world, done, date(2026, 11, 3))
    db.session.commit()
    review = lists.overdue_review(
        db.session, world.city.id, Period(2026, 11), today=date(2026, 11, 30), limit=10
    )
    assert (review.day, review.unfinished, review.overdue) == (date(2026, 11, 25), 2, 1)
    assert [(r.case.title, r.overdue) for r in review.rows] == [
        ("严重滞后", True),
        ("正常推进", False),
    ]
    second = lists.overdue_review(
        db.session, world.city.id, Period(2026, 11), today=date(2026, 11, 30), limit=1, offset=1
    )
    assert [r.case.title for r in second.rows] == ["正常推进"] and second.unfinished == 2
    early = lists.overdue_review(
        db.session, world.city.id, Period(2026, 11), today=date(2026, 11, 20), limit=10
    )
    assert early.day == date(2026, 11, 20)  # before the 25th: as it stands today


def test_weekly_progress_owed_on_thursdays(db, world):
    world.city.policy = policies.install_seed_profiles(db.session)["shantou"]
    _owing = _handled(db, world, "欠进展", date(2026, 11, 16))
    reported = _handled(db, world, "已报进展", date(2026, 11, 16))
    workflow.progress(
        db.session, reported, by=world.users["handler"], at=at(date(2026, 11, 19)), text="正在协调"
    )
    db.session.commit()
    owed = lists.weekly_progress_owed(db.session, world.city.id, today=date(2026, 11, 20))
    assert [(c.title, day) for c, day in owed] == [("欠进展", date(2026, 11, 19))]


def test_meeting_candidates_with_their_rules(db, world):
    office, handler = world.users["office"], world.users["handler"]
    unhappy = factories.case(
        db.session,
        world.city,
        enterprise=world.enterprise,
        at=at(date(2026, 11, 17)),
        title="仍不满意",
    )
    _replied(db, world, unhappy, date(2026, 11, 17))
    workflow.rate(
        db.session,
        CAL,
        unhappy,
        by=world.users["enterprise"],
        level=RatingLevel.UNSATISFIED,
        solved=False,
        comment="",
        at=at(date(2026, 11, 18)),
    )
    several = factories.case(
        db.session,
        world.city,
        enterprise=world.enterprise,
        at=at(date(2026, 11, 17)),
        title="多部门",
    )
    workflow.accept(db.session, CAL, several, by=office, at=at(date(2026, 11, 17)))
    workflow.dispatch(
        db.session,
        CAL,
        several,
        by=office,
        at=at(date(2026, 11, 17)),
        lead=world.department,
        co=[world.other_department],
    )
    workflow.sign(db.session, several, by=handler, at=at(date(2026, 11, 17)))
    workflow.escalate(
        db.session, several, by=handler, at=at(date(2026, 11, 18)), reason="需市级统筹"
    )
    suggestion = factories.case(
        db.session,
        world.city,
        enterprise=world.enterprise,
        at=at(date(2026, 11, 17)),
        title="一般建议",
        case_type=CaseType.SUGGESTION,
    )
    _replied(db, world, suggestion, date(2026, 11, 17))
    workflow.rate(
        db.session,
        CAL,
        suggestion,
        by=world.users["enterprise"],
        level=RatingLevel.UNSATISFIED,
        solved=False,
        comment="",
        at=at(date(2026, 11, 18)),
    )
    happy = factories.case(
        db.session,
        world.city,
        enterprise=world.enterprise,
        at=at(date(2026, 11, 17)),
        title="满意的",
    )
    _replied(db, world, happy, date(2026, 11, 17))
    workflow.rate(
        db.session,
        CAL,
        happy,
        by=world.users["enterprise"],
        level=RatingLevel.SATISFIED,
        solved=True,
        comment="",
        at=at(date(2026, 11, 18)),
    )
    db.session.commit()
    total, found = lists.meeting_candidates(db.session, world.city.id, today=date(2026, 11, 19))
    assert total == 1
    # 仍不满意 is being re-handled within its new limit: 四(二)3 keeps it off, so only the
    # multi-department case, sent up, is proposed; the suggestion and the satisfied case
    # never are.
    assert [(c.case.title, c.rules) for c in found] == [("多部门", [2])]
    total, later = lists.meeting_candidates(db.session, world.city.id, today=date(2026, 12, 10))
    assert total == 2
    assert [(c.case.title, c.rules) for c in later] == [("仍不满意", [1]), ("多部门", [2])]
    _total, first = lists.meeting_candidates(
        db.session, world.city.id, today=date(2026, 12, 10), limit=1
    )
    assert [c.case.title for c in first] == ["仍不满意"]
