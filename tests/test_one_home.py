"""One home per rule (issue 19 item 2): the groups of states are named once on the model,
templates ask the model and the guards instead of comparing state or role strings, and the
navigation asks the guard its route enforces (`can_reach`)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask_login import login_user

from portal.domain.models import CaseState, Role
from tests import factories

S = CaseState
TEMPLATES = Path(__file__).resolve().parent.parent / "portal" / "templates"
# `x.state.value == "…"`, `x.role.value in (…)`, `x.state == "…"`: a rule spelled in a page.
COMPARISON = re.compile(r"\.(state|role)(\.value)?\s*(==|!=|\bin\b|\bnot in\b)\s*[\"'(]")


def test_no_template_compares_state_or_role_strings():
    found = [
        f"{path.relative_to(TEMPLATES)}:{n}"
        for path in TEMPLATES.rglob("*.html")
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if COMPARISON.search(line)
    ]
    assert found == []


def test_the_state_groups_nest_as_their_names_say():
    assert S.OPEN | S.FINISHED == set(S) and not S.OPEN & S.FINISHED
    assert S.HANDLING < S.WITH_UNIT < S.IN_PROGRESS < S.UNFINISHED < S.OPEN
    assert S.UNIT_ON_CLOCK < S.WITH_UNIT
    assert S.CLOSED_OFF < S.FINISHED and S.FINISHED - S.CLOSED_OFF == {S.RATED}
    assert S.REPLY_OUT.isdisjoint(S.UNFINISHED)


def test_case_questions_follow_the_groups(db, world):
    case = factories.case(db.session, world.city)
    for state in S:
        case.state = state
        assert case.is_open is (state in S.OPEN)
        assert case.with_unit is (state in S.WITH_UNIT)
        assert case.awaiting_reply_review is (state is S.REPLIED)
        assert case.awaiting_rating is (state is S.AWAITING_RATING)


@pytest.mark.parametrize("role", [None, *Role])
def test_can_reach_asks_the_guard_of_the_route(app, db, world, role):
    """Every endpoint: reachable exactly when the route's own guard lets the user in."""
    from portal.web.guards import can_reach

    user = world.users[role.value] if role is not None else None
    with app.test_request_context("/"):
        if user is not None:
            login_user(user)
        for endpoint, view in app.view_functions.items():
            roles = getattr(view, "access", None)
            expected = roles is None or (user is not None and user.role in roles)
            assert can_reach(endpoint) is expected, endpoint
    with app.test_request_context("/"), pytest.raises(LookupError):
        can_reach("no.such_endpoint")
