"""Seed rules that were wrong on a real deployment (issue 16 item 5), each quoting its clause:
a county inherits its city's policy, so what the policy says holds for county cases too."""

from __future__ import annotations

from datetime import UTC, date, datetime

import sqlalchemy as sa

from portal.domain import sla, workflow
from portal.domain.calendar import WorkCalendar
from portal.domain.models import Notification, Supervision
from tests import factories

CAL = WorkCalendar()


def at(day: date, hour: int = 9) -> datetime:
    """A Beijing wall-clock time as UTC."""
    return datetime(day.year, day.month, day.day, hour - 8, tzinfo=UTC)


def county_case_in_hand(db, world, day: date):
    office, handler = world.county_office_user, world.county_handler
    case = factories.case(db.session, world.county, enterprise=world.other_enterprise, at=at(day))
    workflow.accept(db.session, CAL, case, by=office, at=at(day))
    workflow.dispatch(db.session, CAL, case, by=office, at=at(day), lead=world.county_department)
    workflow.sign(db.session, case, by=handler, at=at(day))
    workflow.contact(
        db.session, case, by=handler, at=at(day), method="phone", when=at(day), note=""
    )
    return case


def test_an_overdue_county_case_opens_supervision_under_the_inherited_policy(db, world):
    """Chaozhou 四(四)4 "对……超时办理的……进行督办": the county runs no profile of its own and
    inherits the city's; its overdue case is supervised as the city's would be."""
    assert world.county.policy is None and world.county.effective_policy.supervise_overdue
    case = county_case_in_hand(db, world, date(2026, 11, 2))  # finish due 11-09
    db.session.commit()
    report = sla.tick(db.session, CAL, at(date(2026, 11, 25)))
    db.session.commit()
    assert report.written["supervision"] == 1
    [notice] = db.session.scalars(sa.select(Supervision).where(Supervision.case_id == case.id))
    assert (notice.reason, notice.unit_id) == ("overdue", world.county_department.id)


def test_the_bulletin_notice_reaches_a_county_that_inherits_a_bulletin_policy(db, world, profiles):
    """Haimen 三(五) "每月……在《工作简报》中予以通报": a county under a city on Haimen's
    profile is told on the 1st that last month's bulletin is ready, as the city is."""
    world.city.policy = profiles["haimen"]
    db.session.commit()
    sla.tick(db.session, CAL, at(date(2026, 12, 1)))
    db.session.commit()
    told = db.session.scalars(
        sa.select(Notification.user_id).where(Notification.key.startswith("bulletin:"))
    ).all()
    assert world.county_office_user.id in told and world.users["office"].id in told


def test_unsatisfied_ratings_deduct_points_on_the_bulletin(client, db, world, profiles, login_as):
    """Chengkou 五(三)3 "对‘不满意’等次事项按规定给予扣分并责成重新办理": each 不满意 rating
    deducts the profile's points from the lead unit, in the figures and on the bulletin."""
    import io

    from openpyxl import load_workbook

    from portal.domain import figures
    from portal.domain.models import RatingLevel

    world.city.policy = profiles["chengkou"]
    assert profiles["chengkou"].unsatisfied_deduction == 1
    case = factories.case(db.session, world.city, enterprise=world.enterprise)
    factories.replied(db.session, world, case)
    workflow.rate(
        db.session,
        CAL,
        case,
        by=world.users["enterprise"],
        level=RatingLevel.UNSATISFIED,
        solved=False,
        comment="没解决",
        at=factories.now(),
    )
    db.session.commit()
    month = figures.Period.of(date(2026, 11, 25))
    assert figures.unsatisfied_deductions(db.session, world.city.id, month, 1) == {
        world.department.id: (1, 1)
    }
    assert figures.unsatisfied_deductions(db.session, world.city.id, month, None) == {}
    login_as("office")
    response = client.get("/figures/bulletin.xlsx?month=2026-11")
    sheet = load_workbook(io.BytesIO(response.data)).worksheets[0]
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    header = next(r for r in rows if r and "主办部门" in r)
    assert header[-2:] == ["不满意件数", "扣分（每件1分）"]
    line = next(r for r in rows if r and "市人力资源和社会保障局" in r)
    assert line[-2:] == [1, 1]


# --------------------------------------------------------------------------- item 4


def test_the_ledger_due_day_is_the_profiles(db, world, profiles):
    """Dalu 二(二) "每月25日前报送经发办", as the profile's `ledger_due_day`: a copy that moves
    it to the 20th has the ledger due then, and its liaisons reminded from the 15th."""
    from portal.domain import ledger, policies

    admin = world.users["admin"]
    assert ledger.due_day_of(world.county) == 25  # Chaozhou's profile sets none: Dalu's day
    copy = policies.copy_profile(
        db.session, profiles["dalu"], key="dalu-20", name="提前到20日", by=admin, at=factories.now()
    )
    policies.edit_profile(
        db.session, copy, {"ledger_due_day": 20}, note="街道决定", by=admin, at=factories.now()
    )
    policies.choose_profile(db.session, world.county, copy, by=admin, at=factories.now())
    db.session.commit()
    assert ledger.due_day_of(world.county) == 20
    assert ledger.ledger_standing(2026, 11, None, date(2026, 11, 16), 20) == "due_soon"
    assert ledger.ledger_standing(2026, 11, None, date(2026, 11, 21), 20) == "overdue"
    sla.tick(db.session, CAL, at(date(2026, 11, 16)))  # the liaison's unit is the county's
    db.session.commit()
    [notice] = db.session.scalars(
        sa.select(Notification).where(Notification.key.startswith("ledger:"))
    ).all()
    assert notice.params["due"] == "2026-11-20"


def test_the_overdue_review_day_is_the_profiles(db, world, profiles):
    """Shantou 三(五) "市工作专班每月25日将梳理未办结诉求情况", as `overdue_review_day`."""
    from portal.domain import lists
    from portal.domain.figures import Period

    world.city.policy = profiles["shantou"]
    assert lists.review_day_of(world.city) == 25
    review = lists.overdue_review(
        db.session,
        world.city.id,
        Period(2026, 11),
        date(2026, 11, 30),
        limit=10,
        day_of_month=lists.review_day_of(world.city),
    )
    assert review.day == date(2026, 11, 25)
    review = lists.overdue_review(
        db.session, world.city.id, Period(2026, 2), date(2026, 3, 30), limit=10, day_of_month=31
    )
    assert review.day == date(2026, 2, 28)  # a short month: its last day


def test_daily_tracking_asks_for_progress_every_working_day(db, world, profiles):
    """Haimen 三(四) "区服务企业办每天跟踪交办事项办理情况，收集落实进度": under the profile's
    daily tracking the lead unit is asked for its progress each working day it owes one."""
    world.city.policy = profiles["haimen"]
    office, handler = world.users["office"], world.users["handler"]
    monday = date(2026, 11, 23)
    case = factories.case(db.session, world.city, enterprise=world.enterprise, at=at(monday))
    workflow.accept(db.session, CAL, case, by=office, at=at(monday))
    workflow.dispatch(db.session, CAL, case, by=office, at=at(monday), lead=world.department)
    workflow.sign(db.session, case, by=handler, at=at(monday))
    db.session.commit()
    assert not workflow.progress_due(case, monday)  # dispatched that day
    assert workflow.progress_report_day(case, date(2026, 11, 24)) == date(2026, 11, 24)
    sla.tick(db.session, CAL, at(date(2026, 11, 24)))
    db.session.commit()
    keys = db.session.scalars(
        sa.select(Notification.key).where(Notification.key.startswith("progress:"))
    ).all()
    assert keys and all(f"progress:{case.id}:2026-11-24" in k for k in keys)
    workflow.progress(
        db.session, case, by=handler, at=at(date(2026, 11, 24), 15), text="已约企业座谈"
    )
    assert not workflow.progress_due(case, date(2026, 11, 24))
    assert workflow.progress_due(case, date(2026, 11, 25))


def test_accepting_keeps_the_one_day_contact_limit_until_contact_is_made(db, world):
    """Chaozhou 四(四)1 "有企业联系方式的，应在1个工作日内与企业取得对接联系": accepting the
    case does not end the office's contact limit; the contact does."""
    from portal.domain.models import Case
    from portal.domain.queues import refresh_due_keys

    friday = date(2026, 11, 20)
    case = factories.case(
        db.session, world.county, enterprise=world.other_enterprise, at=at(friday)
    )
    assert case.contact_due == date(2026, 11, 23)
    workflow.accept(db.session, CAL, case, by=world.county_office_user, at=at(friday))
    db.session.commit()
    assert case.dispatch_due is None  # Chaozhou's profile sets no dispatch limit
    assert case.current_due == date(2026, 11, 23) and case.is_overdue(date(2026, 11, 24))
    assert case.due_key == date(2026, 11, 23)  # stored for the queues, from the ORM
    refresh_due_keys(db.session, Case.id == case.id)  # … and from SQL: the two agree
    db.session.expire_all()
    assert case.due_key == date(2026, 11, 23)
    workflow.contact(
        db.session,
        case,
        by=world.county_office_user,
        at=at(date(2026, 11, 23)),
        method="phone",
        when=at(date(2026, 11, 23)),
        note="已电话联系",
    )
    db.session.commit()
    assert case.current_due is None and case.due_key.year == 9999


def test_feedback_within_one_working_day_of_completion_holds_through_the_review(db, world):
    """Chaozhou 四(四)3 "办理完成后，由主办部门在1个工作日内将结果反馈给企业": the office's
    review of the reply (its own limit, here set to 3 days on a copy) does not lengthen the
    1 working day the enterprise waits for the result."""
    from portal.domain import policies

    admin, office, handler = world.users["admin"], world.users["office"], world.users["handler"]
    copy = policies.copy_profile(
        db.session,
        world.city.policy,
        key="cz-review",
        name="潮州（审核3天）",
        by=admin,
        at=factories.now(),
    )
    policies.edit_profile(
        db.session, copy, {"review_days": 3}, note="试行", by=admin, at=factories.now()
    )
    policies.choose_profile(db.session, world.city, copy, by=admin, at=factories.now())
    friday = date(2026, 11, 20)
    case = factories.case(db.session, world.city, enterprise=world.enterprise, at=at(friday))
    workflow.accept(db.session, CAL, case, by=office, at=at(friday))
    workflow.dispatch(db.session, CAL, case, by=office, at=at(friday), lead=world.department)
    workflow.sign(db.session, case, by=handler, at=at(friday))
    workflow.reply(db.session, CAL, case, by=handler, text="已办结。", at=at(friday))
    assert case.review_due == date(2026, 11, 23)  # 1 working day, not 3


def test_a_plan_is_due_within_five_working_days_and_a_late_one_resets_nothing(db, world, profiles):
    """Chengkou 五(三)2 "原则上在3个工作日内办结，短期内无法办结的，在5个工作日内制定办理计划、
    承诺办理时限": a plan in time moves the finish date to the promise; a plan after the 5th
    working day is recorded as late and the case stays overdue on its 3-day limit."""
    world.city.policy = profiles["chengkou"]
    office, handler = world.users["office"], world.users["handler"]
    monday = date(2026, 11, 16)

    def in_hand():
        case = factories.case(db.session, world.city, enterprise=world.enterprise, at=at(monday))
        workflow.accept(db.session, CAL, case, by=office, at=at(monday))
        workflow.dispatch(db.session, CAL, case, by=office, at=at(monday), lead=world.department)
        workflow.sign(db.session, case, by=handler, at=at(monday))
        return case

    on_time, late = in_hand(), in_hand()
    assert on_time.finish_due == date(2026, 11, 19)  # 3 working days
    workflow.plan(
        db.session,
        CAL,
        on_time,
        by=handler,
        at=at(date(2026, 11, 23)),  # the 5th working day
        text="分两步办理",
        promised=date(2026, 12, 4),
    )
    assert on_time.finish_due == date(2026, 12, 4)
    workflow.plan(
        db.session,
        CAL,
        late,
        by=handler,
        at=at(date(2026, 11, 24)),  # the 6th
        text="分两步办理",
        promised=date(2026, 12, 4),
    )
    assert late.finish_due == date(2026, 11, 19) and late.is_overdue(date(2026, 11, 24))
    event = late.events[-1]
    assert (event.action, event.data["late"], event.data["plan_due"]) == (
        "plan",
        True,
        "2026-11-23",
    )


def test_a_shantou_whistle_starts_no_contact_clock_for_the_office(db, world, profiles):
    """Shantou 三(三) "承办单位接到《转办函》后，需在1个工作日内联系诉求企业": the 1-day
    contact limit is the receiving unit's, counted from the 转办函. On receipt the seed asks
    of the 市工作专班 only "第一时间进行分析研判，并通知拟承办单位" (三(二)); a whistle
    registered under Shantou's profile has no contact limit until a unit is told."""
    world.city.policy = profiles["shantou"]
    case = factories.case(
        db.session, world.city, enterprise=world.enterprise, at=at(date(2026, 9, 28))
    )
    assert case.contact_due is None
