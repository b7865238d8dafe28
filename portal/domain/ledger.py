"""Full-coverage contact service (全覆盖联系服务, Dalu 大路街办发〔2021〕34号).

一: "建立以职能科室分类联系中小微企业、各村（社区）联系个体工商户的全覆盖联系机制" — every
enterprise has a responsible unit and a liaison person (`LiaisonAssignment`).
二(一): "各单位联系服务人员每月至少应与企业（个体工商户）联系沟通1次（可通过电话、座谈、实地走访等
形式）" — a `ContactRecord` per contact, with the problems collected on it.
二(二): "每月将联系企业情况填写至《……月台帐》……收集到的……问题诉求及办理情况等填写至《……登载表》，
每月25日前报送经发办" — the month's ledger, submitted by the unit (`LedgerSubmission`).
二(三): "如属于本单位职能职责范围内的，要迅速高效地回应、办理。如不属于……应及时报送经发办" — a
problem is handled by the unit, or forwarded to the office as a case (channel "liaison").
"""

from __future__ import annotations

import calendar as month_calendar
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa

from portal.domain.calendar import WorkCalendar, local_date
from portal.domain.errors import N_, RuleViolation, collect, refuse
from portal.domain.models import (
    Channel,
    ContactMethod,
    ContactProblem,
    ContactRecord,
    Enterprise,
    LedgerAmendment,
    LedgerSubmission,
    LiaisonAssignment,
    OrgUnit,
    User,
)
from portal.domain.policies import default_case_type
from portal.domain.workflow import office_of, register_case

MAX_PROBLEMS = 5  # per contact form; a contact with more is recorded twice


def month_range(year: int, month: int) -> tuple[date, date]:
    return date(year, month, 1), date(year, month, month_calendar.monthrange(year, month)[1])


@dataclass(frozen=True)
class ProblemInput:
    name: str
    content: str
    forward: bool = False


LEDGER_DUE_DAY = 25  # Dalu 二(二): "每月25日前报送经发办"
REMINDER_DAYS = 5  # units still below 100 % are reminded from 5 days before (the 20th)


def due_day_of(jurisdiction) -> int:
    """The day of the month the jurisdiction's profile has its ledgers due
    (`ledger_due_day`: Dalu 二(二) "每月25日前报送经发办"); Dalu's 25th where the profile
    sets none (the ledger is Dalu's mechanism)."""
    policy = jurisdiction.effective_policy if jurisdiction is not None else None
    day = policy.ledger_due_day if policy is not None else None
    return day or LEDGER_DUE_DAY


def ledger_due(year: int, month: int, day: int = LEDGER_DUE_DAY) -> date:
    """The day a month's ledger is due at the office (Dalu 二(二) "每月25日前报送"), on the
    profile's day of the month (the month's last day where it is shorter)."""
    return date(year, month, min(day, month_calendar.monthrange(year, month)[1]))


def ledger_standing(
    year: int,
    month: int,
    submitted: LedgerSubmission | None,
    today: date,
    day: int = LEDGER_DUE_DAY,
) -> str:
    """Where a unit's month stands against its due day (the 25th), in words the pages
    translate: "on_time" / "late" once submitted; "open" until 5 days before; "due_soon"
    from then to the due day; "overdue" after it while still not submitted."""
    due = ledger_due(year, month, day)
    if submitted is not None:
        return "on_time" if local_date(submitted.submitted_at) <= due else "late"
    if today > due:
        return "overdue"
    if today >= due - timedelta(days=REMINDER_DAYS):
        return "due_soon"
    return "open"


def submission(session, unit_id: int, year: int, month: int) -> LedgerSubmission | None:
    return session.scalar(
        sa.select(LedgerSubmission).where(
            LedgerSubmission.unit_id == unit_id,
            LedgerSubmission.year == year,
            LedgerSubmission.month == month,
        )
    )


def assignment_of(session, user: User, enterprise_id: int) -> LiaisonAssignment | None:
    """The enterprise's assignment if `user` is its liaison person, or works in its unit."""
    found = session.get(LiaisonAssignment, enterprise_id)
    if found is None or (found.user_id != user.id and found.unit_id != user.unit_id):
        return None
    return found


def _check_contact_day(session, assignment, enterprise, on: date | None, at: datetime) -> None:
    if on is None:
        raise RuleViolation(N_("Enter the date of the contact."), field="contacted_on")
    if on > local_date(at):
        raise RuleViolation(N_("The contact cannot be in the future."), field="contacted_on")
    registered = local_date(enterprise.created_at)
    if on < registered:
        raise RuleViolation(
            N_("The contact cannot be before the enterprise was registered (%(day)s)."),
            field="contacted_on",
            day=registered.isoformat(),
        )
    if submission(session, assignment.unit_id, on.year, on.month) is not None:
        raise RuleViolation(
            N_(
                "The ledger of %(month)s was already submitted; a contact "
                "cannot be added to it. Record contacts of this month."
            ),
            field="contacted_on",
            month=f"{on.year}-{on.month:02d}",
        )


def _problem_violations(problems: list[ProblemInput]) -> list[RuleViolation]:
    """What each filled problem slot lacks, named by its slot (problems-<i>-name)."""
    found = []
    kept = [p for p in problems if p.name.strip() or p.content.strip()]
    if len(kept) > MAX_PROBLEMS:
        found.append(RuleViolation(N_("Record at most 5 problems per contact."), "problems"))
    for i, problem in enumerate(problems):
        if not (problem.name.strip() or problem.content.strip()):
            continue
        if not problem.name.strip():
            message = N_("Problem %(n)d: give it a short name.")
            found.append(RuleViolation(message, f"problems-{i}-name", n=i + 1))
        if not problem.content.strip():
            message = N_("Problem %(n)d: describe it.")
            found.append(RuleViolation(message, f"problems-{i}-content", n=i + 1))
    return found


def contact_problems(
    session,
    assignment,
    enterprise: Enterprise,
    *,
    on: date | None,
    problems: list[ProblemInput],
    at: datetime,
) -> list[RuleViolation]:
    """Every rule a contact record breaks (its day; each problem's name and details, by
    slot), so the liaison's form tells them all at once (issue 17 item 3)."""
    return [
        *collect(lambda: _check_contact_day(session, assignment, enterprise, on, at)),
        *_problem_violations(problems),
    ]


def record_contact(
    session,
    *,
    by: User,
    enterprise: Enterprise,
    on: date | None,
    method: ContactMethod,
    note: str,
    problems: list[ProblemInput],
    at: datetime,
    calendar: WorkCalendar,
) -> ContactRecord:
    """Record one contact and the problems collected on it; forward the problems the unit
    cannot handle to the office as cases, in the same transaction."""
    assignment = assignment_of(session, by, enterprise.id)
    if assignment is None:
        raise RuleViolation(N_("This enterprise is not assigned to you or your unit."))
    refuse(contact_problems(session, assignment, enterprise, on=on, problems=problems, at=at))
    kept = [p for p in problems if p.name.strip() or p.content.strip()]
    record = ContactRecord(
        enterprise=enterprise,
        unit_id=assignment.unit_id,
        user=by,
        contacted_on=on,
        method=method,
        note=note.strip(),
        created_at=at,
    )
    session.add(record)
    unit = session.get(OrgUnit, assignment.unit_id)
    for problem in kept:
        row = ContactProblem(
            contact=record, name=problem.name.strip()[:100], content=problem.content.strip()
        )
        session.add(row)
        if problem.forward:
            row.case = forward(
                session,
                calendar,
                by=by,
                unit=unit,
                enterprise=enterprise,
                name=row.name,
                content=row.content,
                at=at,
            )
    return record


def forward(
    session,
    calendar: WorkCalendar,
    *,
    by: User,
    unit: OrgUnit,
    enterprise: Enterprise,
    name: str,
    content: str,
    at: datetime,
):
    """报送经发办: the liaison whistles on the enterprise's behalf; the case is registered at
    the unit's own level and waits on its office's desk (Dalu 二(三))."""
    office = office_of(session, unit.jurisdiction)
    jurisdiction = office.jurisdiction if office else unit.jurisdiction
    return register_case(
        session,
        calendar,
        jurisdiction=jurisdiction,
        applicant_name=enterprise.name,
        contact_name=enterprise.contact_name or enterprise.name,
        contact_phone=enterprise.contact_phone or "",
        title=name,
        content=content,
        case_type=default_case_type(jurisdiction.effective_policy),
        channel=Channel.LIAISON,
        at=at,
        by=by,
        enterprise=enterprise,
        receiving_unit=office,
    )


def settle_problem(
    session,
    problem: ContactProblem,
    *,
    by: User,
    finished_on: date | None,
    outcome: str,
    at: datetime,
    reason: str = "",
) -> ContactProblem:
    """The unit's own handling of a problem: 办结时间 and 办理情况. After the month was
    submitted the change is recorded as an amendment."""
    if problem.case_id is not None:
        raise RuleViolation(
            N_("This problem was forwarded as a case; its progress comes from the case.")
        )
    if not outcome.strip():
        raise RuleViolation(N_("Say how it was handled."), field="outcome")
    if finished_on is not None:
        if finished_on > local_date(at):
            raise RuleViolation(N_("The date cannot be in the future."), field="finished_on")
        if finished_on < problem.contact.contacted_on:
            raise RuleViolation(
                N_("It cannot be finished before it was collected."), field="finished_on"
            )
    contact = problem.contact
    done = submission(
        session, contact.unit_id, contact.contacted_on.year, contact.contacted_on.month
    )
    if done is not None:
        session.add(
            LedgerAmendment(
                submission=done,
                at=at,
                by_id=by.id,
                what=f"{contact.enterprise.name} · {problem.name}: "
                f"{problem.finished_on} → {finished_on}; {problem.outcome!r} → "
                f"{outcome.strip()!r}" + (f" ({reason.strip()})" if reason.strip() else ""),
            )
        )
    problem.finished_on, problem.outcome = finished_on, outcome.strip()
    return problem


# --------------------------------------------------------------------------- the month


@dataclass
class EnterpriseMonth:
    """One line of the liaison's month: only what the list shows (a liaison may hold
    hundreds of enterprises; whole rows would be loaded for three columns)."""

    id: int
    name: str
    contact_phone: str | None
    contacts: int
    last_contact: date | None


def my_month(
    session, user: User, year: int, month: int, *, only: str | None = None
) -> list[EnterpriseMonth]:
    """The liaison's enterprises with this month's contacts, not yet contacted first:
    two statements whatever the number of enterprises."""
    first, last = month_range(year, month)
    counts = (
        sa.select(
            ContactRecord.enterprise_id,
            sa.func.count(ContactRecord.id).label("n"),
            sa.func.max(ContactRecord.contacted_on).label("last"),
        )
        .where(ContactRecord.contacted_on.between(first, last))
        .group_by(ContactRecord.enterprise_id)
        .subquery()
    )
    query = (
        sa.select(
            Enterprise.id, Enterprise.name, Enterprise.contact_phone, counts.c.n, counts.c.last
        )
        .join(LiaisonAssignment, LiaisonAssignment.enterprise_id == Enterprise.id)
        .outerjoin(counts, counts.c.enterprise_id == Enterprise.id)
        .where(LiaisonAssignment.user_id == user.id)
    )
    if only == "todo":
        query = query.where(counts.c.n.is_(None))
    elif only == "done":
        query = query.where(counts.c.n.is_not(None))
    rows = session.execute(query.order_by(counts.c.n.is_not(None), Enterprise.name)).all()
    return [EnterpriseMonth(id_, name, phone, n or 0, last) for id_, name, phone, n, last in rows]


@dataclass
class Coverage:
    unit: OrgUnit
    assigned: int
    contacted: int
    submitted: LedgerSubmission | None
    year: int
    month: int

    def standing(self, today: date) -> str:
        return ledger_standing(
            self.year,
            self.month,
            self.submitted,
            today,
            due_day_of(self.unit.jurisdiction if self.unit is not None else None),
        )

    def needs_reminder(self, today: date) -> bool:
        """From the 20th, a unit not all of whose enterprises were contacted is reminded."""
        return self.standing(today) in ("due_soon", "overdue") and self.contacted < self.assigned

    @property
    def percent(self) -> float | None:
        """None when nothing is assigned (shown as "—", never a division by zero)."""
        return 100.0 * self.contacted / self.assigned if self.assigned else None


def coverage(session, unit_ids: list[int], year: int, month: int) -> list[Coverage]:
    """Per unit: enterprises assigned, those contacted in the month, and the submission —
    grouped in SQL, three statements whatever the number of units."""
    first, last = month_range(year, month)
    assigned = dict(
        session.execute(
            sa.select(LiaisonAssignment.unit_id, sa.func.count())
            .where(LiaisonAssignment.unit_id.in_(unit_ids))
            .group_by(LiaisonAssignment.unit_id)
        ).all()
    )
    contacted = dict(
        session.execute(
            sa.select(
                LiaisonAssignment.unit_id, sa.func.count(sa.distinct(ContactRecord.enterprise_id))
            )
            .join(ContactRecord, ContactRecord.enterprise_id == LiaisonAssignment.enterprise_id)
            .where(
                LiaisonAssignment.unit_id.in_(unit_ids),
                ContactRecord.contacted_on.between(first, last),
            )
            .group_by(LiaisonAssignment.unit_id)
        ).all()
    )
    submitted = {
        s.unit_id: s
        for s in session.scalars(
            sa.select(LedgerSubmission).where(
                LedgerSubmission.unit_id.in_(unit_ids),
                LedgerSubmission.year == year,
                LedgerSubmission.month == month,
            )
        )
    }
    units = session.scalars(
        sa.select(OrgUnit).where(OrgUnit.id.in_(unit_ids)).order_by(OrgUnit.name)
    ).all()
    return [
        Coverage(u, assigned.get(u.id, 0), contacted.get(u.id, 0), submitted.get(u.id), year, month)
        for u in units
    ]


def not_contacted(session, unit_id: int, year: int, month: int) -> list[Enterprise]:
    first, last = month_range(year, month)
    seen = sa.select(ContactRecord.enterprise_id).where(
        ContactRecord.contacted_on.between(first, last)
    )
    return list(
        session.scalars(
            sa.select(Enterprise)
            .join(LiaisonAssignment)
            .where(LiaisonAssignment.unit_id == unit_id, Enterprise.id.not_in(seen))
            .order_by(Enterprise.name)
        )
    )


def submit_month(
    session, *, by: User, unit: OrgUnit, year: int, month: int, at: datetime
) -> LedgerSubmission:
    """报送: the unit's month is locked from now on."""
    if by.unit_id != unit.id:
        raise RuleViolation(N_("Only the unit's own staff submit its ledger."))
    today = local_date(at)
    if (year, month) > (today.year, today.month):
        raise RuleViolation(N_("A month can be submitted once it has begun."), field="month")
    if submission(session, unit.id, year, month) is not None:
        raise RuleViolation(
            N_("The ledger of %(month)s was already submitted."),
            field="month",
            month=f"{year}-{month:02d}",
        )
    done = LedgerSubmission(unit=unit, year=year, month=month, submitted_by=by, submitted_at=at)
    session.add(done)
    return done
