"""The scheduler's tick: which reminders fire and when (across the Spring Festival week),
overdue marked once with supervision as the policy says, callbacks, Thursday progress, the
ledger from the 20th, the bulletin on the 1st; idempotent, and one tick at a time."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
import time_machine
from sqlalchemy.orm import Session

from portal.domain import policies, sla, workflow
from portal.domain.calendar import WorkCalendar
from portal.domain.models import CaseEvent, Notification, Supervision
from tests import factories
from tests.conftest import IS_POSTGRES

CAL = WorkCalendar()


def at(day: date, hour: int = 9) -> datetime:
    """A Beijing wall-clock time as UTC."""
    return datetime(day.year, day.month, day.day, hour - 8, tzinfo=UTC)


def written(db, prefix: str = "") -> list[Notification]:
    return list(
        db.session.scalars(
            sa.select(Notification)
            .where(Notification.key.startswith(prefix))
            .order_by(Notification.id)
        )
    )


def _handled(db, world, day: date):
    office, handler = world.users["office"], world.users["handler"]
    case = factories.case(db.session, world.city, enterprise=world.enterprise, at=at(day, 10))
    workflow.accept(db.session, CAL, case, by=office, at=at(day, 10))
    workflow.dispatch(db.session, CAL, case, by=office, at=at(day, 10), lead=world.department)
    workflow.sign(db.session, case, by=handler, at=at(day, 10))
    workflow.contact(
        db.session, case, by=handler, at=at(day, 10), method="phone", when=at(day, 10), note=""
    )
    return case


def test_across_the_spring_festival_week(db, world, runner):
    """Dispatched on Friday 13 February 2026 under Chaozhou's 5 working days: 14 Feb (a
    make-up Saturday) and 24-27 Feb count, 15-23 Feb are the holiday. The reminder comes on
    the 26th, the day before; the overdue mark and its supervision on the 28th (a make-up
    Saturday) — nothing during the holiday."""
    case = _handled(db, world, date(2026, 2, 13))
    db.session.commit()
    assert case.finish_due == date(2026, 2, 27)
    fired = []
    day = date(2026, 2, 13)
    while day <= date(2026, 3, 3):  # the timer's tick at 09:00 each day, the clock travelled
        before = {n.key for n in written(db)}
        with time_machine.travel(at(day), tick=False):
            result = runner.invoke(args=["sla", "tick"])
        assert result.exit_code == 0, result.output
        db.session.expire_all()
        for n in written(db):
            if n.key not in before:
                fired.append((n.template, day.isoformat()[5:], n.user.username))
        day += timedelta(days=1)
    assert fired == [
        ("ledger", "02-24", "liaison"),  # due the 25th; the 20th to 23rd are holidays
        ("due_soon", "02-26", "handler"),
        ("due_soon", "02-26", "head"),
        ("overdue", "02-28", "handler"),
        ("overdue", "02-28", "head"),
        ("overdue_office", "02-28", "office"),
        ("supervise", "02-28", "head"),  # the 督办单 tells the unit's head
    ]
    marks = [e for e in case.events if e.action == "overdue"]
    assert len(marks) == 1 and marks[0].note == "2026-02-27"
    notices = db.session.scalars(sa.select(Supervision).where(Supervision.case_id == case.id))
    assert [(s.reason, s.unit_id) for s in notices] == [("overdue", world.department.id)]


def test_a_second_tick_writes_nothing_new(db, world):
    case = _handled(db, world, date(2026, 11, 2))  # finish due 11-09
    db.session.commit()
    first = sla.tick(db.session, CAL, at(date(2026, 11, 25)))
    db.session.commit()
    again = sla.tick(db.session, CAL, at(date(2026, 11, 25), 15))
    db.session.commit()
    assert first.written["overdue"] == 3 and first.written["supervision"] == 1
    assert sum(again.written.values()) == 0
    assert (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(CaseEvent)
            .where(CaseEvent.case_id == case.id, CaseEvent.action == "overdue")
        )
        == 1
    )


def test_on_sqlite_the_tick_keeps_the_planners_statistics(db, world):
    """SQLite has no autovacuum: the tick's `PRAGMA optimize` gives the planner the case
    table's statistics, with the queues' order index among them."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL's autovacuum keeps its statistics")
    _handled(db, world, date(2026, 11, 2))
    db.session.commit()
    stats = "SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'"
    assert db.session.scalar(sa.text(stats)) == 0
    sla.tick(db.session, CAL, at(date(2026, 11, 25)))
    db.session.commit()
    indexes = db.session.scalars(sa.text("SELECT idx FROM sqlite_stat1 WHERE tbl = 'case'"))
    assert "ix_case_queue_order" in set(indexes)


def test_no_supervision_where_the_policy_says_not(db, world):
    world.city.policy.supervise_overdue = False
    case = _handled(db, world, date(2026, 11, 2))
    db.session.commit()
    sla.tick(db.session, CAL, at(date(2026, 11, 25)))
    db.session.commit()
    assert not case.supervisions and [n.template for n in written(db, "overdue")] == [
        "overdue",
        "overdue",
        "overdue_office",
    ]


def test_callback_progress_ledger_and_bulletin(db, world):
    profiles = policies.install_seed_profiles(db.session)
    office = world.users["office"]
    unrated = factories.replied(
        db.session,
        world,
        factories.case(
            db.session, world.city, enterprise=world.enterprise, at=at(date(2026, 11, 2))
        ),
        at=at(date(2026, 11, 2)),
    )
    world.city.policy = profiles["shantou"]
    owing = _handled(db, world, date(2026, 11, 16))
    db.session.commit()
    report = sla.tick(db.session, CAL, at(date(2026, 11, 20)))  # a Friday, the 20th
    db.session.commit()
    assert report.written["callback"] == 1  # window closed 11-09
    assert [n.case_id for n in written(db, "callback")] == [unrated.id]
    progress = written(db, "progress")
    assert {n.user.username for n in progress} == {"handler", "head"}
    assert {n.case_id for n in progress} == {owing.id}
    assert progress[0].params["day"] == "2026-11-19"
    ledger = written(db, "ledger")
    assert [(n.user.username, n.params["due"]) for n in ledger] == [("liaison", "2026-11-25")]
    assert not written(db, "bulletin")  # not the first week
    world.city.policy = profiles["haimen"]
    db.session.commit()
    sla.tick(db.session, CAL, at(date(2026, 12, 1)))
    db.session.commit()
    bulletin = written(db, "bulletin")
    # The county inherits the city's profile: its office is told too (issue 16 item 5).
    assert {n.user.username for n in bulletin} == {
        office.username,
        "leader",
        world.county_office_user.username,
    }
    assert bulletin[0].params == {"month": "2026-11"}


@pytest.mark.skipif(
    not IS_POSTGRES,
    reason="the advisory lock is PostgreSQL's; SQLite "
    "serialises writers and the keys keep each message once",
)
def test_two_schedulers_at_once_write_each_reminder_once(app, db, world):
    _handled(db, world, date(2026, 11, 2))
    db.session.commit()
    engine = db.engine
    results, barrier = [], threading.Barrier(2)

    def run():
        with app.app_context(), Session(engine) as session:
            barrier.wait()
            report = sla.tick(session, CAL, at(date(2026, 11, 25)))
            results.append(report)
            session.commit()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 2
    assert len(written(db, "overdue")) == 3 and len(written(db, "ledger")) == 1
    assert (
        db.session.scalar(
            sa.select(sa.func.count()).select_from(CaseEvent).where(CaseEvent.action == "overdue")
        )
        == 1
    )
    # Whichever came second found the lock taken, or found every key written.
    assert sum(r.written["overdue"] for r in results) == 3


def test_the_command(app, db, world):
    _handled(db, world, date(2026, 11, 2))
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["sla", "tick"])
    assert result.exit_code == 0, result.output
    assert "overdue 3" in result.output
    again = app.test_cli_runner().invoke(args=["sla", "tick"])
    assert "overdue" not in again.output


def test_the_holder_reads_its_notifications_and_marks_them_read(client, db, world, login_as):
    from tests.conftest import csrf_from

    _handled(db, world, date(2026, 11, 2))
    db.session.commit()
    sla.tick(db.session, CAL, at(date(2026, 11, 25)))
    db.session.commit()
    login_as("handler")
    count = client.get("/notifications/count", headers={"HX-Request": "true"})
    # Told twice: when the case was dispatched to the unit, and when it went overdue.
    assert count.status_code == 200 and "2 条未读" in count.text and "<html" not in count.text
    page = client.get("/notifications/")
    assert "已逾期" in page.text and "已交办贵单位" in page.text and "新：" in page.text
    assert client.post("/notifications/read", data={}).status_code in (400, 303)
    response = client.post("/notifications/read", data={"csrf_token": csrf_from(page.text)})
    assert response.status_code == 303
    assert "条未读" not in client.get("/notifications/count").text
    client._cookies.clear()
    login_as("enterprise")
    assert "已逾期" not in client.get("/notifications/").text  # only one's own


def test_steps_tell_who_must_act(db, world):
    """Dispatch tells the unit (in the portal, SMS, e-mail where it has them), a published
    reply tells the enterprise's users and texts the contact number; written with the step."""
    world.users["handler"].email = "handler@example.gov.cn"
    case = factories.replied(
        db.session, world, factories.case(db.session, world.city, enterprise=world.enterprise)
    )
    db.session.commit()
    told = {
        (n.template, n.channel, (n.user.username or n.user.mobile) if n.user else n.address)
        for n in written(db, f"step:{case.id}:")
    }
    assert told == {
        ("dispatch", "in_app", "handler"),
        ("dispatch", "in_app", "head"),
        ("dispatch", "email", "handler"),
        ("replied", "in_app", "13800000001"),
        ("replied", "sms", "13900000000"),
    }
