"""The scheduler's tick (`flask --app wsgi sla tick`, every few minutes from cron or a
systemd timer): it finds what the time limits say is owed now and writes it to the outbox.

- a step due within one working day: the holder is reminded;
- a step overdue: marked on the case (an event), the holder and the office are told, and
  supervision opens where the policy says so (Chaozhou 四(四)4 "对……超时办理的……进行督办");
- the rating window closed without a rating: the office is told to call back (Chaozhou
  四(四)4 "对企业未评价的……进行回访");
- the week's progress report owed (Shantou 三(四), Thursdays): the lead unit is asked;
- a unit's month ledger not yet submitted from the 20th (Dalu 二(二), due the 25th);
- on the 1st, the office of a profile with a monthly bulletin (Haimen 三(五)) is told that
  last month's is ready.

Nothing is written on a day off (weekends, holidays, not the make-up working days): it is
written on the next working day.

Idempotent: every message has a key naming what it is about (the case, the step and its due
date, the week, the month), so a re-run or a second machine's tick writes nothing new. On
PostgreSQL a transaction-level advisory lock lets one tick run at a time; a second returns
at once.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from portal.domain import ledger, workflow
from portal.domain.calendar import WorkCalendar, local_date
from portal.domain.figures import Period
from portal.domain.models import (
    Case,
    CaseEvent,
    CaseState,
    EventAction,
    Jurisdiction,
    LedgerSubmission,
    LiaisonAssignment,
    OrgUnit,
    Role,
    UnitKind,
)
from portal.domain.notify import EMAIL, IN_APP, SMS, notify_all, unit_staff
from portal.domain.queues import due_column

S = CaseState
LOCK_ID = 20261125  # pg_try_advisory_xact_lock: one tick at a time
URGENT = (IN_APP, SMS, EMAIL)  # a deadline: on the phone as well
ROUTINE = (IN_APP, EMAIL)
UNIT_STAFF = (Role.HANDLER, Role.HEAD)
OFFICE_STAFF = (Role.OFFICE,)


@dataclass
class TickReport:
    ran: bool = True
    written: Counter = field(default_factory=Counter)

    def __str__(self) -> str:
        if not self.ran:
            return "another tick is running; nothing done"
        return ", ".join(f"{k} {v}" for k, v in sorted(self.written.items())) or "nothing owed"


def _locked(session) -> bool:
    if session.get_bind().dialect.name != "postgresql":
        return True  # SQLite serialises writers; the keys keep it to one of each
    return bool(session.scalar(sa.text("SELECT pg_try_advisory_xact_lock(:id)"), {"id": LOCK_ID}))


def tick(session, calendar: WorkCalendar, now: datetime) -> TickReport:
    """Write whatever is owed at `now`; the caller commits."""
    report = TickReport()
    if not _locked(session):
        return TickReport(ran=False)
    today = local_date(now)
    if not calendar.is_working_day(today):
        return report  # nobody is at work: what is owed is written on the next working day
    staff = _Staff(session)
    _deadlines(session, staff, calendar, now, today, report)
    _callbacks(session, staff, now, today, report)
    _progress(session, staff, now, today, report)
    _ledgers(session, staff, now, today, report)
    _bulletins(session, staff, now, today, report)
    if session.get_bind().dialect.name == "sqlite":
        # SQLite keeps no statistics of its own (PostgreSQL's autovacuum does): refreshed
        # here, after the tick has read the cases, as SQLite's documentation asks of
        # long-lived applications. Without them it sorts a whole office's cases instead of
        # walking the queues' order index (bench/queues.py).
        session.execute(sa.text("PRAGMA optimize"))
    return report


class _Staff:
    """Each unit's staff of some roles, read once per tick (a tick may find hundreds of
    cases of the same few units)."""

    def __init__(self, session):
        self.session, self.found = session, {}

    def __call__(self, unit_id, roles):
        key = (unit_id, tuple(roles))
        if key not in self.found:
            self.found[key] = unit_staff(self.session, unit_id, roles)
        return self.found[key]


def _holder(case: Case) -> tuple[int | None, tuple[Role, ...]]:
    if case.state in S.UNIT_ON_CLOCK and case.lead_unit_id is not None:
        return case.lead_unit_id, UNIT_STAFF
    return case.office_id, OFFICE_STAFF


def _deadlines(session, staff, calendar, now, today, report) -> None:
    due = due_column()
    horizon = today + timedelta(days=14)  # one working day ahead, across any holiday
    rows = session.execute(
        sa.select(Case, due)
        .where(due <= horizon)
        .options(
            selectinload(Case.supervisions),
            selectinload(Case.jurisdiction).selectinload(Jurisdiction.policy),
        )
    ).all()
    for case, step_due in rows:
        unit_id, roles = _holder(case)
        what = {
            "number": case.number,
            "title": case.title,
            "due": step_due.isoformat(),
            "state": case.state.value,
        }
        key = f"{case.id}:{case.state.value}:{step_due.isoformat()}"
        if step_due >= today:
            if calendar.working_days_between(today, step_due) <= 1:
                report.written["due_soon"] += notify_all(
                    session,
                    staff(unit_id, roles),
                    key=f"due-soon:{key}",
                    channels=URGENT,
                    template="due_soon",
                    at=now,
                    case=case,
                    params=what,
                )
            continue
        told = notify_all(
            session,
            staff(unit_id, roles),
            key=f"overdue:{key}",
            channels=URGENT,
            template="overdue",
            at=now,
            case=case,
            params=what,
        )
        if unit_id != case.office_id:
            told += notify_all(
                session,
                staff(case.office_id, OFFICE_STAFF),
                key=f"overdue-office:{key}",
                channels=URGENT,
                template="overdue_office",
                at=now,
                case=case,
                params=what,
            )
        if not told:
            continue  # told before: marked before
        report.written["overdue"] += told
        workflow.record_event(
            session,
            case,
            action=EventAction.OVERDUE,
            by=None,
            at=now,
            note=step_due.isoformat(),
            data={"due": step_due.isoformat()},
        )
        # The limits the case is held to: its dispatch revision, else its jurisdiction's
        # effective profile — a county that inherits the city's policy supervises too.
        policy = case.policy
        if (
            policy is not None
            and policy.supervise_overdue
            and case.state in S.UNIT_ON_CLOCK
            and workflow.open_supervision(case) is None
        ):
            workflow.open_overdue_supervision(session, calendar, case, at=now, due=step_due)
            report.written["supervision"] += 1


def _callbacks(session, staff, now, today, report) -> None:
    cases = session.scalars(
        sa.select(Case).where(Case.state == S.AWAITING_RATING, Case.rating_due < today)
    ).all()
    for case in cases:
        report.written["callback"] += notify_all(
            session,
            staff(case.office_id, OFFICE_STAFF),
            key=f"callback:{case.id}:{case.rating_due.isoformat()}",
            channels=ROUTINE,
            template="callback",
            at=now,
            case=case,
            params={"number": case.number, "title": case.title},
        )


def _progress(session, staff, now, today, report) -> None:
    cases = session.scalars(
        sa.select(Case)
        .where(Case.state.in_(S.HANDLING))
        .options(selectinload(Case.jurisdiction).selectinload(Jurisdiction.policy))
    ).all()
    ids = [c.id for c in cases]
    last = dict(
        session.execute(
            sa.select(CaseEvent.case_id, sa.func.max(CaseEvent.at))
            .where(CaseEvent.case_id.in_(ids or [0]), CaseEvent.action == "progress")
            .group_by(CaseEvent.case_id)
        ).all()
    )
    for case in cases:
        day = workflow.progress_report_day(case, today)
        if day is None or not workflow.progress_due(case, today, last.get(case.id)):
            continue
        report.written["progress"] += notify_all(
            session,
            staff(case.lead_unit_id, UNIT_STAFF),
            key=f"progress:{case.id}:{day.isoformat()}",
            channels=ROUTINE,
            template="progress",
            at=now,
            case=case,
            params={"number": case.number, "title": case.title, "day": day.isoformat()},
        )


def _ledgers(session, staff, now, today, report) -> None:
    """From 5 days before the unit's due day (the 20th for Dalu's 25th, the profile's
    `ledger_due_day`), and after it while this month's ledger is still not submitted."""
    submitted = sa.select(LedgerSubmission.unit_id).where(
        LedgerSubmission.year == today.year, LedgerSubmission.month == today.month
    )
    units = session.scalars(
        sa.select(OrgUnit)
        .where(
            OrgUnit.id.in_(sa.select(sa.distinct(LiaisonAssignment.unit_id))),
            OrgUnit.id.not_in(submitted),
        )
        .options(selectinload(OrgUnit.jurisdiction))
    ).all()
    for unit in units:
        due = ledger.ledger_due(today.year, today.month, ledger.due_day_of(unit.jurisdiction))
        if today < due - timedelta(days=ledger.REMINDER_DAYS):
            continue
        liaisons = staff(unit.id, (Role.LIAISON,))
        report.written["ledger"] += notify_all(
            session,
            liaisons,
            key=f"ledger:{unit.id}:{today.year}-{today.month:02d}",
            channels=ROUTINE,
            template="ledger",
            at=now,
            params={"month": f"{today.year}-{today.month:02d}", "due": due.isoformat()},
        )


def _bulletins(session, staff, now, today, report) -> None:
    if today.day > 7:  # the first week: a tick missed on the 1st still tells
        return
    month = str(Period.of(today).previous())
    offices = session.scalars(
        sa.select(OrgUnit)
        .join(Jurisdiction, Jurisdiction.id == OrgUnit.jurisdiction_id)
        .where(OrgUnit.kind == UnitKind.OFFICE)
        .options(selectinload(OrgUnit.jurisdiction).selectinload(Jurisdiction.policy))
    ).all()
    for office in offices:
        policy = office.jurisdiction.effective_policy  # inherited, as the tick's
        if policy is None or not policy.monthly_bulletin:
            continue
        report.written["bulletin"] += notify_all(
            session,
            staff(office.id, OFFICE_STAFF + (Role.LEADER,)),
            key=f"bulletin:{office.id}:{month}",
            channels=ROUTINE,
            template="bulletin",
            at=now,
            params={"month": month},
        )
