"""Demo data: the world `make run` shows, and the `demo` command that loads it."""

from __future__ import annotations

import sqlalchemy as sa

from portal import demo
from portal.domain import credit_code
from portal.domain.calendar import WorkCalendar
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
from tests.conftest import csrf_from


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
    assert levels.count(JurisdictionLevel.CITY) == 2  # 潮州市 and 汕头市
    assert levels.count(JurisdictionLevel.COUNTY) == 3  # 潮安区, 饶平县; 龙湖区
    assert levels.count(JurisdictionLevel.ZONE) == 1
    city, shantou = s.scalars(
        sa.select(Jurisdiction)
        .where(Jurisdiction.level == JurisdictionLevel.CITY)
        .order_by(Jurisdiction.id)
    ).all()
    chaozhou_places = {city.id} | {
        j.id for j in s.scalars(sa.select(Jurisdiction)) if city in j.ancestors
    }
    everyone = s.scalars(sa.select(Enterprise)).all()
    enterprises = [e for e in everyone if e.jurisdiction_id in chaozhou_places]
    assert len(enterprises) == 30
    assert {e.kind for e in enterprises} == set(EnterpriseKind)
    assert all(credit_code.is_valid(e.credit_code) for e in everyone if e.credit_code)
    assert any(e.credit_code is None for e in enterprises)  # individual businesses
    assert s.scalar(sa.select(sa.func.count()).select_from(LiaisonAssignment)) == 30
    categories = s.scalars(sa.select(Category).where(Category.jurisdiction_id == city.id)).all()
    assert len(categories) == 11
    by_number = {c.number: c for c in categories}
    assert [u.name for u in by_number[4].lead_units] == ["市人力资源和社会保障局"]
    assert {u.name for u in by_number[5].lead_units} == {"市工业和信息化局", "市科学技术局"}
    assert {u.role for u in s.scalars(sa.select(User))} == set(Role)
    states = s.scalars(sa.select(Case.state).order_by(Case.id)).all()
    assert [state.value for state in states][:5] == [
        "in_hand",
        "awaiting_rating",
        "submitted",
        "submitted",
        "awaiting_approval",
    ]


def test_the_demo_has_a_second_city_on_shantous_profile(runner, db, app, client):
    """A newcomer sees two policies side by side: 潮州市 on Chaozhou's preset, 汕头市 on
    Shantou's with 龙湖区 inheriting it, its own office, departments, staff, enterprises and
    cases at different steps, each with Shantou's clocks (三(二) confirm, 三(三) by type)."""
    runner.invoke(args=["demo", "--quiet"])
    s = db.session
    chaozhou, shantou = (
        s.scalar(sa.select(Jurisdiction).where(Jurisdiction.code == code))
        for code in ("445100", "440500")
    )
    longhu = s.scalar(sa.select(Jurisdiction).where(Jurisdiction.code == "440507"))
    assert (chaozhou.policy.key, shantou.policy.key) == ("chaozhou", "shantou")
    assert longhu.parent is shantou and longhu.policy is None
    assert longhu.effective_policy.key == "shantou"
    names = {u.name for j in (shantou, longhu) for u in j.units}
    assert {"市政企直通车工作专班", "市市场监督管理局", "龙湖区工作专班"} <= names
    categories = s.scalars(sa.select(Category).where(Category.jurisdiction_id == shantou.id))
    assert [c.name for c in categories][-1] == "涉企服务投诉"
    theirs = s.scalars(
        sa.select(Case).where(Case.jurisdiction_id.in_([shantou.id, longhu.id])).order_by(Case.id)
    ).all()
    assert [c.state.value for c in theirs] == [
        "in_hand",
        "dispatched",
        "awaiting_rating",
        "submitted",
        "submitted",
    ]
    fees, land, licence, _new, local = theirs
    # 三(二): the unit confirms within 1 working day of the dispatch; 三(三): a complaint
    # finishes in 3 working days and a consultation in 1, counted from the 转办函, which issues
    # on confirmation; nothing runs to the finish before it.
    calendar = WorkCalendar()
    for case, days in ((fees, 3), (land, 2), (licence, 1)):
        dispatched = next(e.at for e in case.events if e.action == "dispatch")
        assert case.sign_due == calendar.due_date(dispatched, 1)
        signed = next((e.at for e in case.events if e.action == "sign"), None)
        if signed is None:
            assert case.finish_due is None
        else:
            assert case.finish_due == calendar.due_date(signed, days)
    assert local.office.name == "龙湖区工作专班"
    # Each of its accounts reaches its own city's cases and not the other's.
    logins = {login for login, _role, _what in demo.DEMO_ACCOUNTS}
    assert {"st-office", "st-handler", "st-head", "longhu-office", "13800000031"} <= logins
    token = csrf_from(client.get("/auth/login").text)
    client.post(
        "/auth/login",
        data={"login": "st-handler", "password": app.config["DEMO_PASSWORD"], "csrf_token": token},
    )
    desk = client.get("/workbench/").text
    assert fees.number in desk
    assert not any(
        c.number in desk for c in s.scalars(sa.select(Case)) if c.jurisdiction is chaozhou
    )


def test_demo_accounts_sign_in_with_the_demo_password(runner, client, app):
    runner.invoke(args=["demo", "--quiet"])
    for login, _role, _what in demo.DEMO_ACCOUNTS:
        token = csrf_from(client.get("/auth/login").text)
        response = client.post(
            "/auth/login",
            data={"login": login, "password": app.config["DEMO_PASSWORD"], "csrf_token": token},
        )
        assert response.status_code == 303, login
        token = csrf_from(client.get(response.headers["Location"]).text)
        client.post("/auth/logout", data={"csrf_token": token})
