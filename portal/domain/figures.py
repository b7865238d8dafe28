"""The figures the offices report, each defined once: a numerator and a denominator over the
cases (or enterprises) of a jurisdiction and a period, computed in SQL.

A case belongs to the period in which it was received; duplicates (重复件) are never counted
("不作为新诉求", Shantou 三(一)). Ratings count as the case's latest one (a re-handled case is
judged on its last reply), kept on the case (`Case.rating_level`, `rating_solved`). Overdue
is as of `today`. Every figure is a pair of counts, the
numerator a subset of the denominator, so the rate is never above 100 % and a figure with no
cases has no rate (pages print "—"), never a division error.

`figure_counts` computes every case figure of one period in one statement (conditional
counts); `department_counts` and `category_area_counts` group in SQL; `members` gives the
cases (or enterprises) behind either count, for the lists a figure links to.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa

from portal.domain.access import jurisdiction_subtree
from portal.domain.calendar import BEIJING
from portal.domain.models import (
    Case,
    CaseState,
    ContactRecord,
    Enterprise,
    Rating,
    RatingLevel,
    Supervision,
    User,
)
from portal.domain.queues import due_column

S = CaseState


# --------------------------------------------------------------------------- periods


@dataclass(frozen=True)
class Period:
    """A calendar month in Beijing time: [start, end)."""

    year: int
    month: int

    @classmethod
    def of(cls, day: date) -> Period:
        return cls(day.year, day.month)

    @classmethod
    def parse(cls, text: str) -> Period | None:
        """'2026-11' → the period; anything else → None."""
        try:
            year, month = (int(part) for part in text.split("-"))
        except (AttributeError, ValueError):
            return None
        return cls(year, month) if 2000 <= year <= 2100 and 1 <= month <= 12 else None

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def next_first_day(self) -> date:
        return date(self.year + self.month // 12, self.month % 12 + 1, 1)

    def previous(self) -> Period:
        return Period.of(self.first_day - timedelta(days=1))

    def bounds(self) -> tuple[datetime, datetime]:
        """The period's first and past-the-last instants, as the UTC the database holds."""
        return (
            datetime.combine(self.first_day, time(), BEIJING),
            datetime.combine(self.next_first_day, time(), BEIJING),
        )

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


# --------------------------------------------------------------------------- the case figures


def supervised_cases() -> sa.Subquery:
    return sa.select(Supervision.case_id).distinct().subquery("supervised")


@dataclass(frozen=True)
class Terms:
    """What the predicates refer to: the cases that ever had a 督办单 (outer-joined once, so
    that the statement stays one parallel scan of the cases), and today."""

    supervised: sa.Subquery
    today: date

    @classmethod
    def of(cls, today: date) -> Terms:
        return cls(supervised_cases(), today)


Predicate = Callable[[Terms], sa.ColumnElement[bool]]


def _received(t: Terms):
    return sa.true()


def _triaged(t: Terms):
    return Case.state != S.SUBMITTED


def _taken_on(t: Terms):
    """Accepted for handling: not waiting for triage, not refused."""
    return Case.state.not_in([S.SUBMITTED, S.REFUSED])


def _disposed(t: Terms):
    """Dispatched to a unit, or settled by the office itself (an answer on the spot)."""
    return sa.or_(Case.dispatched_at.is_not(None), Case.replied_at.is_not(None))


def _replied(t: Terms):
    """The reply reached the enterprise (after the office's review)."""
    return Case.replied_at.is_not(None)


def _rated(t: Terms):
    return Case.rating_level.is_not(None)


def _answered(t: Terms):
    """The enterprise heard back: contacted, refused with the reason, or replied."""
    return sa.or_(
        Case.contacted_at.is_not(None), Case.state == S.REFUSED, Case.replied_at.is_not(None)
    )


def _solved(t: Terms):
    return Case.rating_solved.is_(True)


def _satisfied(t: Terms):
    return Case.rating_level.in_([RatingLevel.SATISFIED, RatingLevel.BASICALLY])


def _supervised(t: Terms):
    return sa.or_(t.supervised.c.case_id.is_not(None), Case.accountability)


def _failed(t: Terms):
    """A lapse of process responsibility: a step overdue now, an unsatisfied rating, or one
    that led to supervision or accountability already."""
    return sa.or_(
        due_column() < t.today, Case.rating_level == RatingLevel.UNSATISFIED, _supervised(t)
    )


def _open(t: Terms):
    return Case.state.not_in(S.FINISHED)


def _overdue(t: Terms):
    return due_column() < t.today


@dataclass(frozen=True)
class Figure:
    """A rate: numerator / denominator, both predicates on one case (or one enterprise)."""

    key: str
    numerator: Predicate | None  # None: counted over the registry's enterprises instead
    denominator: Predicate | None
    over: str = "cases"  # cases | enterprises
    source: str = ""


# Chengkou 六(二) "“吹哨”事项办理工作力争做到“七个百分之百”，即企业知晓率百分之百，上线率百分
# 之百，接哨率百分之百，处置率百分之百，过程责任不落实查处率百分之百，办结回复率百分之百，满意度
# 调查率百分之百" — the first two over the registry's enterprises, the rest over the cases.
SEVEN = (
    Figure("awareness", None, None, over="enterprises", source="城口 六(二) 企业知晓率"),
    Figure("online", None, None, over="enterprises", source="城口 六(二) 上线率"),
    Figure("received", _triaged, _received, source="城口 六(二) 接哨率"),
    Figure("disposed", _disposed, _taken_on, source="城口 六(二) 处置率"),
    Figure("investigated", _supervised, _failed, source="城口 六(二) 过程责任不落实查处率"),
    Figure("replied", _replied, _taken_on, source="城口 六(二) 办结回复率"),
    Figure("surveyed", _rated, _replied, source="城口 六(二) 满意度调查率"),
)
# The mechanism's own: response (Chaozhou 四(四)1 "与企业取得对接联系"), resolution and
# satisfaction (Chaozhou 附件3; Haimen 附件1 "是否解决", "满意度"), overdue (Shantou 三(五)).
OTHERS = (
    Figure("response", _answered, _received, source="潮州 四(四)1"),
    Figure("resolution", _solved, _rated, source="潮州 附件3 / 海门 附件1"),
    Figure("satisfaction", _satisfied, _rated, source="潮州 附件3 / 海门 三(五)"),
    Figure("overdue", _overdue, _open, source="汕头 三(五)"),
)
FIGURES = {f.key: f for f in SEVEN + OTHERS}
CASE_FIGURES = tuple(f for f in SEVEN + OTHERS if f.over == "cases")


@dataclass(frozen=True)
class Count:
    """One figure's counts; `rate` is None when nothing is counted."""

    key: str
    numerator: int
    denominator: int

    @property
    def rate(self) -> float | None:
        return self.numerator / self.denominator if self.denominator else None


def places(session, jurisdiction_id: int) -> list[int]:
    """The jurisdiction and everything below it, as ids: a literal list in the figures'
    statements (a CTE would keep PostgreSQL from scanning the cases in parallel). On
    PostgreSQL the rest of the transaction runs without JIT compilation, which costs more
    than it saves on one scan (bench/figures.py: about 0.15 s of 0.9 s)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(sa.text("SET LOCAL jit = off"))
    return list(session.scalars(jurisdiction_subtree(jurisdiction_id))) or [0]


def _case_base(where: list[int], period: Period, terms: Terms | None = None) -> sa.Select:
    """The period's cases of the jurisdictions `where`, with the supervised ones joined when
    the predicates need them (`terms`)."""
    start, end = period.bounds()
    base = sa.select().select_from(Case)
    if terms is not None:
        base = base.outerjoin(terms.supervised, terms.supervised.c.case_id == Case.id)
    return base.where(
        Case.jurisdiction_id.in_(where),
        Case.received_at >= start,
        Case.received_at < end,
        Case.state != S.MERGED,
    )


def case_figures_statement(where: list[int], period: Period, today: date) -> sa.Select:
    """One row: each case figure's numerator and denominator, in `CASE_FIGURES` order, over
    the cases of the jurisdictions `where`."""
    terms = Terms.of(today)
    columns = []
    for f in CASE_FIGURES:
        assert f.numerator is not None and f.denominator is not None  # a case figure
        den = f.denominator(terms)
        columns += [
            sa.func.count().filter(sa.and_(f.numerator(terms), den)),
            sa.func.count().filter(den),
        ]
    return _case_base(where, period, terms).add_columns(*columns)


def figure_counts(session, jurisdiction_id: int, period: Period, today: date) -> dict[str, Count]:
    """Every figure of the jurisdiction (and below) for the period: the case figures in one
    statement, the enterprise figures in another."""
    row = session.execute(
        case_figures_statement(places(session, jurisdiction_id), period, today)
    ).one()
    counts = {f.key: Count(f.key, row[2 * i], row[2 * i + 1]) for i, f in enumerate(CASE_FIGURES)}
    counts.update(_enterprise_counts(session, jurisdiction_id, period))
    return counts


def _enterprise_terms(period: Period):
    """Known: the liaison has been in touch (Dalu's monthly contact carries the service
    card), or it has an account, or it has whistled. Online: it has an account."""
    start, end = period.bounds()
    contacted = sa.select(ContactRecord.enterprise_id).where(
        ContactRecord.contacted_on < period.next_first_day
    )
    account = sa.select(User.enterprise_id).where(
        User.enterprise_id.is_not(None), User.created_at < end
    )
    whistled = sa.select(Case.enterprise_id).where(
        Case.enterprise_id.is_not(None), Case.received_at < end
    )
    online = Enterprise.id.in_(account)
    known = sa.or_(Enterprise.id.in_(contacted), online, Enterprise.id.in_(whistled))
    return {"awareness": known, "online": online}, Enterprise.created_at < end


def _enterprise_counts(session, jurisdiction_id: int, period: Period) -> dict[str, Count]:
    terms, registered = _enterprise_terms(period)
    row = session.execute(
        sa.select(*(sa.func.count().filter(t) for t in terms.values()), sa.func.count()).where(
            Enterprise.jurisdiction_id.in_(jurisdiction_subtree(jurisdiction_id)), registered
        )
    ).one()
    return {key: Count(key, row[i], row[-1]) for i, key in enumerate(terms)}


# --------------------------------------------------------------------------- the cases behind


def members(
    session,
    figure: Figure,
    part: str,
    jurisdiction_id: int,
    period: Period,
    today: date,
    *,
    limit: int,
    offset: int = 0,
) -> tuple[int, list]:
    """The cases (or enterprises) counted in the figure's `part` ('numerator' or
    'denominator'): (how many, one page of them, newest first)."""
    if figure.over == "enterprises":
        terms, registered = _enterprise_terms(period)
        where = [Enterprise.jurisdiction_id.in_(jurisdiction_subtree(jurisdiction_id)), registered]
        if part == "numerator":
            where.append(terms[figure.key])
        total = session.scalar(sa.select(sa.func.count()).select_from(Enterprise).where(*where))
        rows = session.scalars(
            sa.select(Enterprise)
            .where(*where)
            .order_by(Enterprise.name)
            .limit(limit)
            .offset(offset)
        )
        return total or 0, list(rows)
    terms = Terms.of(today)
    assert figure.numerator is not None and figure.denominator is not None  # a case figure
    base = _case_base(places(session, jurisdiction_id), period, terms).where(
        figure.denominator(terms)
    )
    if part == "numerator":
        base = base.where(figure.numerator(terms))
    total = session.scalar(base.add_columns(sa.func.count()))
    ids = list(
        session.scalars(
            base.add_columns(Case.id)
            .order_by(Case.received_at.desc(), Case.id.desc())
            .limit(limit)
            .offset(offset)
        )
    )
    found = {c.id: c for c in session.scalars(sa.select(Case).where(Case.id.in_(ids or [0])))}
    return total or 0, [found[i] for i in ids]


# --------------------------------------------------------------------------- grouped


@dataclass(frozen=True)
class DepartmentRow:
    """Haimen 三(五) "每月将部门完成率（解决问题）和企业满意度的结果……予以通报": a lead
    unit's dispatched cases of the month, how many it finished (the reply reached the
    enterprise), how many were rated and how many of those satisfied."""

    unit_id: int
    dispatched: int
    finished: int
    rated: int
    satisfied: int

    @property
    def completion(self) -> float | None:
        return self.finished / self.dispatched if self.dispatched else None

    @property
    def satisfaction(self) -> float | None:
        return self.satisfied / self.rated if self.rated else None


def department_counts(session, jurisdiction_id: int, period: Period) -> list[DepartmentRow]:
    """Per lead unit with cases dispatched in the period, ranked by completion rate, then
    satisfaction (a unit with nothing rated after those with a rate)."""
    terms = Terms.of(date.min)  # the predicates below read the case row only
    rows = session.execute(
        _case_base(places(session, jurisdiction_id), period)
        .add_columns(
            Case.lead_unit_id,
            sa.func.count().filter(Case.dispatched_at.is_not(None)),
            sa.func.count().filter(Case.dispatched_at.is_not(None), _replied(terms)),
            sa.func.count().filter(Case.dispatched_at.is_not(None), _rated(terms)),
            sa.func.count().filter(Case.dispatched_at.is_not(None), _satisfied(terms)),
        )
        .where(Case.lead_unit_id.is_not(None))
        .group_by(Case.lead_unit_id)
    ).all()
    found = [DepartmentRow(*row) for row in rows if row[1]]
    return sorted(
        found,
        key=lambda r: (
            r.completion is None,
            -(r.completion or 0),
            r.satisfaction is None,
            -(r.satisfaction or 0),
            r.unit_id,
        ),
    )


def unsatisfied_deductions(
    session, jurisdiction_id: int, period: Period, points: int | None
) -> dict[int, tuple[int, int]]:
    """Chengkou 五(三)3 "对‘不满意’等次事项按规定给予扣分并责成重新办理": per lead unit, the
    不满意 ratings given in the period on the jurisdiction's cases and the points deducted
    for them (`points` a rating, the profile's `unsatisfied_deduction`). Each rating counts:
    a case rated 不满意 twice is deducted twice. Empty when the profile deducts nothing."""
    if not points:
        return {}
    start, end = period.bounds()
    rows = session.execute(
        sa.select(Case.lead_unit_id, sa.func.count())
        .select_from(Rating)
        .join(Case, Case.id == Rating.case_id)
        .where(
            Case.jurisdiction_id.in_(places(session, jurisdiction_id)),
            Case.lead_unit_id.is_not(None),
            Rating.level == RatingLevel.UNSATISFIED,
            Rating.at >= start,
            Rating.at < end,
        )
        .group_by(Case.lead_unit_id)
    ).all()
    return {unit_id: (count, count * points) for unit_id, count in rows}


def category_area_counts(
    session, jurisdiction_id: int, period: Period
) -> dict[tuple[int | None, int], int]:
    """Shantou 一(一)4 "对反复出现的区域性、部门性诉求问题，及时梳理总结": cases received per
    (category, jurisdiction) in the period."""
    rows = session.execute(
        _case_base(places(session, jurisdiction_id), period)
        .add_columns(Case.category_id, Case.jurisdiction_id, sa.func.count())
        .group_by(Case.category_id, Case.jurisdiction_id)
    ).all()
    return {(category, area): n for category, area, n in rows}
