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

# Shantou 四(一) "上会诉求清单及建议名单按照以下原则确定" — the rules the record can tell.
MEETING_RULES = {
    1: "企业诉求经有关单位办理后，相关诉求仍然未能解决或企业仍不满意的",
    2: "企业诉求涉及多个部门，无法由牵头部门协调解决需要市级层面进行统筹协调、研究解决措施的",
    4: "上级领导批示或指示要求，需要予以重点跟进的",
}
# Shantou 四(二) "有下列情况之一的，不予上会" — the exclusions the record can tell.
MEETING_EXCLUSIONS = {
    1: "一般性的意见建议类",
    2: "经承办单位已办结诉求，并经市工作专班回访确认诉求人满意的",
    3: "正在办理且相办理工作推进正常的诉求事项",
}


@dataclass
class Candidate:
    case: Case
    rules: list[int] = field(default_factory=list)


def meeting_candidates(
    session, jurisdiction_id: int, today: date, *, limit: int = 200
) -> tuple[int, list[Candidate]]:
    """Shantou 四(一) minus 四(二): open cases that (1) stayed unsolved or unsatisfied after
    handling, (2) involve several departments and went up for coordination, or (4) carry a
    leaders' instruction — unless (一) a general suggestion, (二) settled and confirmed
    satisfied, or (三) being handled on time. Rules 3 and 5 (typical for the business
    climate; other rules) and exclusion 4 (the enterprise asked not to) are the office's
    judgement: the record cannot tell them. Returns how many, and the first `limit`, oldest
    first (a meeting takes a short list)."""
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
    due = due_column()
    excluded = sa.or_(
        Case.type == CaseType.SUGGESTION,
        sa.func.coalesce(
            Case.rating_level.in_([RatingLevel.SATISFIED, RatingLevel.BASICALLY]), False
        ),
        sa.and_(Case.state == S.IN_HAND, sa.or_(due.is_(None), due >= today)),
    )
    where = (
        _scope(session, jurisdiction_id),
        Case.state.not_in(S.CLOSED_OFF),
        sa.or_(unsatisfied, several, instructed),
        ~excluded,
    )
    total = session.scalar(sa.select(sa.func.count()).select_from(Case).where(*where))
    rows = session.execute(
        sa.select(Case, unsatisfied, several, instructed)
        .where(*where)
        .order_by(Case.received_at, Case.id)
        .limit(limit)
    ).all()
    return total or 0, [
        Candidate(case, [n for n, hit in zip((1, 2, 4), flags) if hit]) for case, *flags in rows
    ]
