"""Duplicate hints (重复件, Shantou 二): "承办单位已经受理或正在办理，诉求人再次反映同样问题的或
提交补充材料的，不作为新增诉求，作重复件处理". Before a new whistle is submitted, the enterprise
sees its open cases that read alike and may add to one of them instead.

Similarity is the Jaccard index of character bigrams: Chinese has no spaces to split words
on, and two descriptions of one problem share most of their two-character runs.
"""

from __future__ import annotations

import re
import unicodedata

import sqlalchemy as sa

from portal.domain.models import Case, CaseState, Enterprise

THRESHOLD = 0.2
CANDIDATES = 50  # the newest open cases of the enterprise that are compared
_NOISE = re.compile(r"[\W_]+", re.UNICODE)


def bigrams(text: str) -> set[str]:
    plain = _NOISE.sub("", unicodedata.normalize("NFKC", text).lower())
    return {plain[i : i + 2] for i in range(len(plain) - 1)}


def must_ask(similar: list[Case], *, seen: set[str], confirmed_new: bool) -> bool:
    """Ask before registering a new case when open cases read alike, unless the enterprise
    already saw exactly these (the live hint) or said it is a new problem."""
    return bool(similar) and not confirmed_new and not {c.number for c in similar} <= seen


def similar_open_cases(
    session, enterprise: Enterprise, text: str, *, limit: int = 3, threshold: float = THRESHOLD
) -> list[Case]:
    """The enterprise's open cases that read most like `text`, best first."""
    mine = bigrams(text)
    if len(mine) < 4:
        return []
    # Only the texts of the newest open cases are read; whole cases only for the matches.
    rows = session.execute(
        sa.select(Case.id, Case.title, Case.content)
        .where(Case.enterprise_id == enterprise.id, Case.state.not_in(CaseState.FINISHED))
        .order_by(Case.received_at.desc())
        .limit(CANDIDATES)
    ).all()
    scored = []
    for case_id, title, content in rows:
        theirs = bigrams(f"{title} {content}")
        score = len(mine & theirs) / len(mine | theirs) if theirs else 0.0
        if score >= threshold:
            scored.append((score, case_id))
    scored.sort(reverse=True)
    best = [case_id for _score, case_id in scored[:limit]]
    if not best:
        return []
    found = {c.id: c for c in session.scalars(sa.select(Case).where(Case.id.in_(best)))}
    return [found[case_id] for case_id in best]
