"""Demo data: the world `make run` shows, and the `demo` command that loads it."""

from __future__ import annotations

import sqlalchemy as sa

from portal import demo
from portal.domain import credit_code
from portal.domain.models import (
    Case,
    Category,
    Enterprise,
    EnterpriseKind,
    Jurisdiction,
    JurisdictionLevel,
    LiaisonAssignment,
    Role,
    User,
)


def test_demo_command_loads_once_and_lists_the_accounts(runner, db, app):
    first = runner.invoke(args=["demo"])
    assert first.exit_code == 0, first.output
    assert "Demo data loaded." in first.output
    for login, _role, _what in demo.DEMO_ACCOUNTS:
        assert login in first.output
    users = db.session.scalar(sa.select(sa.func.count()).select_from(User))
    second = runner.invoke(args=["demo"])
    assert "already has data" in second.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == users


def test_demo_world(runner, db, app, client):
    runner.invoke(args=["demo", "--quiet"])
    s = db.session
    levels = s.scalars(sa.select(Jurisdiction.level)).all()
    assert levels.count(JurisdictionLevel.CITY) == 1
    assert levels.count(JurisdictionLevel.COUNTY) == 2
    assert levels.count(JurisdictionLevel.ZONE) == 1
    enterprises = s.scalars(sa.select(Enterprise)).all()
    assert len(enterprises) == 30
    assert {e.kind for e in enterprises} == set(EnterpriseKind)
    assert all(credit_code.is_valid(e.credit_code) for e in enterprises if e.credit_code)
    assert any(e.credit_code is None for e in enterprises)  # individual businesses
    assert s.scalar(sa.select(sa.func.count()).select_from(LiaisonAssignment)) == 30
    city = s.scalar(sa.select(Jurisdiction).where(Jurisdiction.level == JurisdictionLevel.CITY))
    categories = s.scalars(sa.select(Category).where(Category.jurisdiction_id == city.id)).all()
    assert len(categories) == 11
    by_number = {c.number: c for c in categories}
    assert [u.name for u in by_number[4].lead_units] == ["市人力资源和社会保障局"]
    assert {u.name for u in by_number[5].lead_units} == {"市工业和信息化局", "市科学技术局"}
    assert {u.role for u in s.scalars(sa.select(User))} == set(Role)
    states = s.scalars(sa.select(Case.state).order_by(Case.id)).all()
    assert [state.value for state in states] == [
        "in_hand",
        "awaiting_rating",
        "submitted",
        "submitted",
        "awaiting_approval",
    ]


def test_demo_accounts_sign_in_with_the_demo_password(runner, client, app):
    runner.invoke(args=["demo", "--quiet"])
    from tests.conftest import csrf_from

    for login, _role, _what in demo.DEMO_ACCOUNTS:
        token = csrf_from(client.get("/auth/login").text)
        response = client.post(
            "/auth/login",
            data={"login": login, "password": app.config["DEMO_PASSWORD"], "csrf_token": token},
        )
        assert response.status_code == 303, login
        token = csrf_from(client.get(response.headers["Location"]).text)
        client.post("/auth/logout", data={"csrf_token": token})
