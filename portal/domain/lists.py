"""The office's working lists, each from a seed's rule: the overdue review of the 25th, the
weekly progress owed on Thursdays, and the candidates for the city meeting with the rule
that put each one there.

Each list is read in a fixed number of statements whatever its length.
"""

from __future__ import annotations

import calendar as month_calendar
from dataclasses import dataclass, field
from datetime import date, timedelta

import sqlalchemy as sa

from portal.domain import workflow
from portal.domain.figures import Period, places
from portal.domain.models import (
    Case,
    CaseEvent,
    CaseState,
    CaseType,
    EventAction,
    Rating,
    RatingLevel,
    case_co_handler,
)
from portal.domain.queues import day_start, due_column

S = CaseState


def _scope(session, jurisdiction_id: int) -> sa.ColumnElement[bool]:
    return Case.jurisdiction_id.in_(places(session, jurisdiction_id))


@dataclass(frozen=True)
class ReviewRow:
    case: Case
    due: date | None
    overdue: bool


@dataclass
class Review:
    day: date
    unfinished: int
    overdue: int
    rows: list[ReviewRow]


REVIEW_DAY = 25  # Shantou 三(五) "每月25日"


def review_day_of(jurisdiction) -> int:
    """The day of the month of the jurisdiction's overdue review: its profile's
    `overdue_review_day` (Shantou 三(五) "每月25日"), Shantou's 25th where it sets none."""
    policy = jurisdiction.effective_policy
    day = policy.overdue_review_day if policy is not None else None
    return day or REVIEW_DAY


def overdue_review(
    session,
    jurisdiction_id: int,
    period: Period,
    today: date,
    *,
    limit: int,
    offset: int = 0,
    day_of_month: int = REVIEW_DAY,
) -> Review:
    """Shantou 三(五) "市工作专班每月25日将梳理未办结诉求情况，对进展严重滞后的诉求事项，按程序
    报批后可列入市委、市政府重点督办事项": every case still unfinished, received by the 25th
    of the month, as it stands on the review day (the profile's `day_of_month`, the 25th,
    or today before it): how many, how many overdue, and one page of them, the longest
    overdue at the top."""
    last = month_calendar.monthrange(period.year, period.month)[1]
    day = min(date(period.year, period.month, min(day_of_month, last)), today)
    due = due_column()
    where = (
        _scope(session, jurisdiction_id),
        Case.state.in_(S.UNFINISHED),
        Case.received_at < day_start(day + timedelta(days=1)),
    )
    unfinished, overdue = session.execute(
        sa.select(sa.func.count(), sa.func.count().filter(due < day))
        .select_from(Case)
        .where(*where)
    ).one()
    rows = session.execute(
        sa.select(Case, due)
        .where(*where)
        .order_by(due.is_(None), due, Case.received_at, Case.id)
        .limit(limit)
        .offset(offset)
    ).all()
    return Review(
        day, unfinished, overdue, [ReviewRow(c, d, d is not None and d < day) for c, d in rows]
    )


def weekly_progress_owed(session, jurisdiction_id: int, today: date) -> list[tuple[Case, date]]:
    """Shantou 三(四) "承办单位需对于未办结事项每周四需向工作专班反馈一次进展情况": the cases
    being handled that owe this week's report (none since the report day), with that day."""
    cases = session.scalars(
        sa.select(Case)
        .where(_scope(session, jurisdiction_id), Case.state.in_(S.HANDLING))
        .order_by(Case.lead_unit_id, Case.received_at)
    ).all()
    ids = [c.id for c in cases]
    last = dict(
        session.execute(
            sa.select(CaseEvent.case_id, sa.func.max(CaseEvent.at))
            .where(CaseEvent.case_id.in_(ids or [0]), CaseEvent.action == "progress")
            .group_by(CaseEvent.case_id)
        ).all()
    )
    owed = []
    for case in cases:
        day = workflow.progress_report_day(case, today)
        if day is not None and workflow.progress_due(case, today, last.get(case.id)):
            owed.append((case, day))
    return owed


# --------------------------------------------------------------------------- the meeting

# Shantou 四(一) "上会诉求清单及建议名单按照以下原则确定" and 四(二) "不予上会": every rule
# and exclusion (`workflow.MEETING_RULES`, `MEETING_EXCLUSIONS`), and those the record can
# tell; the others are the office's judgement, put on the record by hand with a reason.
MEETING_RULES = workflow.MEETING_RULES
MEETING_EXCLUSIONS = workflow.MEETING_EXCLUSIONS
RULES_READ = (1, 2, 4)
EXCLUSIONS_READ = (1, 2, 3)
SATISFIED = (RatingLevel.SATISFIED, RatingLevel.BASICALLY)


@dataclass
class Candidate:
    case: Case
    rules: list[int] = field(default_factory=list)
    # The office's decision by hand that put it there (its rule in `data`, why in `note`).
    by_hand: CaseEvent | None = None
    # Finished but no callback has confirmed the enterprise satisfied: 四(二)2 would leave
    # it off once one does, so the list asks for the callback first.
    callback_first: bool = False


def _decisions():
    """Each case's latest decision by hand about the list (a subquery: case_id, id)."""
    return (
        sa.select(CaseEvent.case_id, sa.func.max(CaseEvent.id).label("id"))
        .where(CaseEvent.action.in_([str(a) for a in workflow.MEETING_ACTIONS]))
        .group_by(CaseEvent.case_id)
        .subquery()
    )


def _confirmed_by_callback() -> sa.ColumnElement[bool]:
    """Shantou 四(二)2 "经市工作专班回访确认诉求人满意的": a callback that reached the
    enterprise and found it satisfied, made after its latest rating (or, unrated, after
    the reply reached it)."""
    call = sa.orm.aliased(CaseEvent)
    last_rating = (
        sa.select(sa.func.max(Rating.at)).where(Rating.case_id == Case.id).scalar_subquery()
    )
    return (
        sa.select(call.id)
        .where(
            call.case_id == Case.id,
            call.action == str(EventAction.CALLBACK),
            call.data["outcome"].as_string() == "reached",
            call.data["level"].as_string().in_([lv.value for lv in SATISFIED]),
            call.at >= sa.func.coalesce(last_rating, Case.replied_at),
        )
        .exists()
    )


def meeting_candidates(
    session, jurisdiction_id: int, today: date, *, limit: int = 200
) -> tuple[int, list[Candidate]]:
    """Shantou 四(一) minus 四(二): cases taken on and not closed off that (1) stayed unsolved
    or unsatisfied after handling, (2) involve several departments and went up for
    coordination, or (4) carry a leaders' instruction — unless (一) a general suggestion,
    (二) finished and confirmed satisfied by the office's callback, or (三) being handled on
    time; and every case the office put on the list by hand (rule 3, a typical suggestion,
    among them), never one it took off. A finished case not yet confirmed by a callback
    stays, flagged: the callback comes before exclusion 2. Returns how many, and the first
    `limit`, oldest first (a meeting takes a short list)."""
    unsatisfied = sa.or_(
        Case.rating_level == RatingLevel.UNSATISFIED, Case.rating_solved.is_(False)
    )
    several = sa.and_(
        Case.id.in_(sa.select(case_co_handler.c.case_id)),
        Case.id.in_(
            sa.select(CaseEvent.case_id).where(
                CaseEvent.action.in_(["escalate", "refer_to_leaders", "refer_up"])
            )
        ),
    )
    instructed = Case.id.in_(sa.select(CaseEvent.case_id).where(CaseEvent.action == "instruct"))
    finished = Case.state.in_(S.REPLY_OUT)
    confirmed = _confirmed_by_callback()
    due = due_column()
    excluded = sa.or_(
        Case.type == CaseType.SUGGESTION,
        sa.and_(finished, confirmed),
        sa.and_(Case.state == S.IN_HAND, sa.or_(due.is_(None), due >= today)),
    )
    latest = _decisions()
    decision = sa.orm.aliased(CaseEvent)
    chosen = sa.func.coalesce(decision.action, "")
    added = chosen == str(EventAction.MEETING_ADD)
    removed = chosen == str(EventAction.MEETING_REMOVE)
    where = (
        _scope(session, jurisdiction_id),
        Case.state.in_(workflow.MEETING_STATES),
        sa.or_(added, sa.and_(~removed, sa.or_(unsatisfied, several, instructed), ~excluded)),
    )

    def joined(select):
        return select.outerjoin(latest, latest.c.case_id == Case.id).outerjoin(
            decision, decision.id == latest.c.id
        )

    total = session.scalar(joined(sa.select(sa.func.count()).select_from(Case)).where(*where))
    rows = session.execute(
        joined(sa.select(Case, decision, unsatisfied, several, instructed, finished, confirmed))
        .where(*where)
        .order_by(Case.received_at, Case.id)
        .limit(limit)
        .options(sa.orm.selectinload(decision.actor))  # the page names who decided
    ).all()
    found = []
    for case, by_hand, *flags, is_finished, is_confirmed in rows:
        rules = [n for n, hit in zip(RULES_READ, flags) if hit]
        if by_hand is not None and by_hand.action != EventAction.MEETING_ADD:
            by_hand = None
        if by_hand is not None and (by_hand.data or {}).get("rule") not in rules:
            rules.append(by_hand.data["rule"])
        found.append(
            Candidate(case, sorted(rules), by_hand, bool(is_finished and not is_confirmed))
        )
    return total or 0, found


def taken_off_meeting_list(
    session, jurisdiction_id: int, *, limit: int = 200
) -> list[tuple[Case, CaseEvent]]:
    """The cases the office took off the list by hand (Shantou 四(二)), with that decision,
    latest first: what the office may put back."""
    latest = _decisions()
    decision = sa.orm.aliased(CaseEvent)
    rows = session.execute(
        sa.select(Case, decision)
        .join(latest, latest.c.case_id == Case.id)
        .join(decision, decision.id == latest.c.id)
        .where(
            _scope(session, jurisdiction_id),
            Case.state.in_(workflow.MEETING_STATES),
            decision.action == str(EventAction.MEETING_REMOVE),
        )
        .order_by(decision.id.desc())
        .limit(limit)
        .options(sa.orm.selectinload(decision.actor))
    ).all()
    return [(case, event) for case, event in rows]
