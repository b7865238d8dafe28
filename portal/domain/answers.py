"""知识库: the office's published answers to frequent consultations (issue 10 item 3). Many
whistles are questions about policy (Chaozhou 四(一)1 "咨询类"; Shantou: consultations are
answered within 1 working day) that a good answer settles at once: while an enterprise types
one, up to three matching answers are shown, and if one settles it, that is counted.

Matching is by character bigrams (as `duplicates` does for open cases): each answer's
question and keywords are indexed as `AnswerTerm` rows, and a hint counts, per answer, the
typed text's bigrams it holds — one indexed lookup, the same on PostgreSQL and SQLite.
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa

from portal.domain.duplicates import bigrams
from portal.domain.errors import N_, RuleViolation
from portal.domain.models import (
    Answer,
    AnswerTerm,
    Case,
    Category,
    Deflection,
    Enterprise,
    Jurisdiction,
    OrgUnit,
    User,
)

MAX_TERMS = 80  # the typed text's bigrams looked up (a long text: its first ones)
MIN_MATCHES = 3
CANDIDATES = 30  # the best-ranked answers of any place, of which `limit` are shown


def places_for(jurisdiction: Jurisdiction) -> list[int]:
    """Whose answers apply: the enterprise's jurisdiction's and those above it (a city's
    policy answers hold in its counties)."""
    return [jurisdiction.id, *(j.id for j in jurisdiction.ancestors)]


def _terms(question: str, keywords: str) -> set[str]:
    return {t for t in bigrams(f"{question} {keywords}") if len(t) == 2}


def _unit_of(user: User) -> OrgUnit:
    """The office user's unit (office staff always have one)."""
    assert user.unit is not None, "office staff belong to a unit"
    return user.unit


def save(
    session,
    *,
    by: User,
    at: datetime,
    question: str,
    text: str,
    source: str = "",
    source_date: date | None = None,
    category: Category | None = None,
    keywords: str = "",
    published: bool = True,
    answer: Answer | None = None,
    from_case: Case | None = None,
    jurisdiction: Jurisdiction | None = None,
) -> Answer:
    """Add or change an answer of the office's jurisdiction, and index its terms."""
    question, text = question.strip(), text.strip()
    if not question:
        raise RuleViolation(N_("Write the question as enterprises ask it."), field="question")
    if not text:
        raise RuleViolation(N_("Write the answer."), field="answer")
    if answer is None:
        answer = Answer(
            jurisdiction=jurisdiction or _unit_of(by).jurisdiction,
            created_at=at,
            created_by_id=by.id,
            from_case_id=from_case.id if from_case else None,
        )
        session.add(answer)
    answer.question, answer.answer, answer.source = question, text, source.strip()
    answer.source_date, answer.category, answer.keywords = source_date, category, keywords.strip()
    answer.published, answer.updated_at = published, at
    session.flush()
    session.execute(sa.delete(AnswerTerm).where(AnswerTerm.answer_id == answer.id))
    terms = _terms(question, answer.keywords)
    if terms:
        session.execute(
            sa.insert(AnswerTerm), [{"answer_id": answer.id, "term": t} for t in sorted(terms)]
        )
    return answer


def hints(session, places: list[int], text: str, *, limit: int = 3) -> list[Answer]:
    """The published answers of `places` that share the most bigrams with `text`, best
    first; none for a text too short to judge."""
    typed = sorted(bigrams(text))[:MAX_TERMS] if text else []
    if len(typed) < MIN_MATCHES:
        return []
    need = max(MIN_MATCHES, len(typed) // 6)
    matches = sa.func.count(AnswerTerm.term)
    # Ranked from the term index alone (its covering index), then the best few read whole
    # and kept if published and of `places`: joining every matching term to its answer
    # costs more than the ranking itself.
    ranked = session.execute(
        sa.select(AnswerTerm.answer_id, matches)
        .where(AnswerTerm.term.in_(typed))
        .group_by(AnswerTerm.answer_id)
        .having(matches >= need)
        .order_by(matches.desc(), AnswerTerm.answer_id.desc())
        .limit(CANDIDATES)
    ).all()
    if not ranked:
        return []
    found = {
        a.id: a
        for a in session.scalars(
            sa.select(Answer).where(
                Answer.id.in_([r[0] for r in ranked]),
                Answer.published,
                Answer.jurisdiction_id.in_(places),
            )
        )
    }
    return [found[answer_id] for answer_id, _n in ranked if answer_id in found][:limit]


def settled(session, answer: Answer, *, by: User, at: datetime) -> Deflection:
    """The enterprise says `answer` settled its consultation: counted, nothing registered.

    Counted once per enterprise and answer (issue 18 item 4): a second click, or the same
    click by a colleague's account, returns the row already counted (and the UNIQUE
    constraint on (enterprise_id, answer_id) refuses a second one sent at the same moment)."""
    enterprise: Enterprise | None = by.enterprise
    if enterprise is not None:
        counted = session.scalar(
            sa.select(Deflection).where(
                Deflection.enterprise_id == enterprise.id, Deflection.answer_id == answer.id
            )
        )
        if counted is not None:
            return counted
    row = Deflection(
        answer_id=answer.id,
        jurisdiction_id=enterprise.jurisdiction_id if enterprise else answer.jurisdiction_id,
        enterprise_id=enterprise.id if enterprise else None,
        user_id=by.id,
        at=at,
    )
    session.add(row)
    return row


def deflected(session, places: list[int], start: datetime, end: datetime) -> int:
    """How many consultations an answer settled in [start, end) in `places`."""
    return (
        session.scalar(
            sa.select(sa.func.count(Deflection.id)).where(
                Deflection.jurisdiction_id.in_(places), Deflection.at >= start, Deflection.at < end
            )
        )
        or 0
    )
