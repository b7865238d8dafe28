"""Counts one user cannot inflate (issue 18 item 4): "this answers my question" counts once
per enterprise and answer, whoever of its accounts clicks and however often; an individual
business cannot register under the exact name of a registered company and whistle in its
name until the office confirms it (a page of its own, each decision audited).

Double submit (checklist 33) for the answer count; audit coverage (28) and the permission
matrix (11, tests/security/permissions.yaml) for the office's confirmation.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from bs4 import BeautifulSoup
from sqlalchemy.exc import IntegrityError

from portal.domain import accounts, answers
from portal.domain.models import AuditLog, Case, Deflection, Enterprise, Role, User
from tests import factories
from tests.conftest import csrf_from
from tests.security.test_csrf_headers import sign_out
from tests.security.test_faults import _signed_in
from tests.test_answers import add
from tests.test_auth import TestRegistration

# ------------------------------------------------------------------ "this answers my question"


def _settle(client, answer_id: int) -> int:
    token = csrf_from(client.get("/cases").text)
    return client.post(f"/answers/{answer_id}/settled", data={"csrf_token": token}).status_code


def test_c33_this_answers_my_question_counts_once_per_enterprise_and_answer(
    app, client, db, world, login_as
):
    found = add(db, world)
    second = add(db, world, "高新技术企业认定的条件是什么？", "研发费用占比…", keywords="高企 认定")
    colleague = factories.user(
        db.session, Role.ENTERPRISE, enterprise=world.enterprise, username="colleague"
    )
    neighbour = factories.enterprise(db.session, world.city, name="邻家食品厂")
    stranger = factories.user(
        db.session, Role.ENTERPRISE, enterprise=neighbour, username="stranger"
    )
    db.session.commit()

    login_as("enterprise")
    assert [_settle(client, found.id) for _ in range(3)] == [303, 303, 303]
    assert _settle(_signed_in(app, colleague), found.id) == 303
    assert _settle(client, second.id) == 303
    assert _settle(_signed_in(app, stranger), found.id) == 303

    rows = db.session.execute(
        sa.select(Deflection.enterprise_id, Deflection.answer_id).order_by(Deflection.id)
    ).all()
    assert rows == [
        (world.enterprise.id, found.id),
        (world.enterprise.id, second.id),
        (neighbour.id, found.id),
    ]
    start, end = factories.now().replace(year=2000), factories.now().replace(year=2100)
    assert answers.deflected(db.session, [world.city.id], start, end) == 3


def test_c33_two_clicks_at_the_same_moment_cannot_both_count(db, world):
    """The check in `answers.settled` and the UNIQUE constraint behind it: a row that slips
    past the check (two requests at once) is refused by the database."""
    found = add(db, world)
    user = world.users["enterprise"]
    first = answers.settled(db.session, found, by=user, at=factories.now())
    db.session.commit()
    assert answers.settled(db.session, found, by=user, at=factories.now()) is first
    db.session.add(
        Deflection(
            answer_id=found.id,
            jurisdiction_id=world.city.id,
            enterprise_id=world.enterprise.id,
            user_id=user.id,
            at=factories.now(),
        )
    )
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Deflection)) == 1


# ------------------------------------------------------------------ a company's exact name

MOBILE = "13912345678"


def _register(client, world, **overrides):
    data = {
        "kind": "individual",
        "credit_code": "",
        "enterprise_name": world.enterprise.name,  # 测试陶瓷有限公司, a registered company
        **overrides,
    }
    return TestRegistration()._post(client, world, **data)


def _newcomer(db) -> Enterprise:
    db.session.expire_all()
    return db.session.scalar(sa.select(User).where(User.mobile == MOBILE)).enterprise


def _audited(db, result: str) -> list[AuditLog]:
    return db.session.scalars(
        sa.select(AuditLog).where(AuditLog.action == "registration", AuditLog.result == result)
    ).all()


def test_c28_an_individual_business_under_a_companys_name_waits_for_the_office(client, db, world):
    response = _register(client, world)
    assert response.status_code == 303 and response.headers["Location"] == "/cases"
    newcomer = _newcomer(db)
    assert newcomer.name_check == accounts.NAME_PENDING
    [row] = _audited(db, "pending")
    assert row.object_id == str(newcomer.id)

    # Signed in, but the whistle form says why it is not there; a forged POST makes nothing.
    page = client.get("/whistle")
    assert page.status_code == 200 and "等待工作专班确认" in page.text
    assert 'name="submission_key"' not in page.text
    token = csrf_from(page.text)
    client.post(
        "/whistle",
        data={"csrf_token": token, "title": "冒名", "content": "冒名吹哨", "case_type": "business"},
    )
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Case)) == 0


@pytest.mark.parametrize(
    "overrides",
    [
        {"enterprise_name": "测试陶瓷店"},  # another name: nothing to confirm
        {"enterprise_name": "别家五金厂"},  # the county's company: confirmed too
    ],
    ids=["other-name", "county-company"],
)
def test_only_a_registered_companys_exact_name_waits(client, db, world, overrides):
    _register(client, world, **overrides)
    expected = accounts.NAME_PENDING if overrides["enterprise_name"] == "别家五金厂" else None
    assert _newcomer(db).name_check == expected


def test_a_company_with_its_own_code_needs_no_confirmation(client, db, world):
    """The rule is for individual businesses, which need no credit code; a company under the
    same name registers with a code of its own (unique, checked)."""
    _register(client, world, kind="sme", credit_code="91440300708461136T")
    assert _newcomer(db).name_check is None


def _decide(client, enterprise_id: int, decision: str | None):
    page = client.get("/office/registrations")
    data = {"csrf_token": csrf_from(page.text)}
    if decision:
        data[f"e{enterprise_id}-decision"] = decision
    return client.post(f"/office/registrations/{enterprise_id}", data=data)


def test_c28_the_office_confirms_and_the_business_may_whistle(app, client, db, world, login_as):
    _register(client, world)
    newcomer = _newcomer(db)
    sign_out(client)
    office = login_as("office")
    page = client.get("/office/registrations")
    card = BeautifulSoup(page.text, "html.parser").select_one(f"#registration-{newcomer.id}")
    assert card is not None and "测试陶瓷有限公司" in card.text
    assert "139****5678" in card.text  # the contact is masked
    assert page.status_code == 200

    refused = _decide(client, newcomer.id, None)  # no decision: the error beside the field
    assert refused.status_code == 422
    soup = BeautifulSoup(refused.text, "html.parser")
    assert soup.select_one(f"#e{newcomer.id}-decision-error") is not None

    assert _decide(client, newcomer.id, "confirm").status_code == 303
    db.session.expire_all()
    assert db.session.get(Enterprise, newcomer.id).name_check is None
    [row] = _audited(db, "confirmed")
    assert (row.user_id, row.object_id) == (office.id, str(newcomer.id))
    # Decided once: a second decision finds nothing waiting.
    assert _decide(client, newcomer.id, "refuse").status_code == 404

    user = db.session.scalar(sa.select(User).where(User.mobile == MOBILE))
    other = app.test_client()
    token = csrf_from(other.get("/auth/login").text)
    other.post(
        "/auth/login", data={"login": MOBILE, "password": "good pass 8", "csrf_token": token}
    )
    form = other.get("/whistle")
    assert form.status_code == 200 and 'name="submission_key"' in form.text
    assert user.active


def test_c28_a_refusal_disables_the_accounts(app, client, db, world, login_as):
    _register(client, world)
    newcomer = _newcomer(db)
    sign_out(client)
    login_as("office")
    assert _decide(client, newcomer.id, "refuse").status_code == 303
    db.session.expire_all()
    assert db.session.get(Enterprise, newcomer.id).name_check == accounts.NAME_REFUSED
    user = db.session.scalar(sa.select(User).where(User.mobile == MOBILE))
    assert not user.active
    assert len(_audited(db, "refused")) == 1
    other = app.test_client()
    token = csrf_from(other.get("/auth/login").text)
    signed = other.post(
        "/auth/login", data={"login": MOBILE, "password": "good pass 8", "csrf_token": token}
    )
    assert signed.status_code == 200  # the sign-in page again: the account is disabled


def test_c11_only_the_offices_above_it_see_and_decide(app, client, db, world):
    """The county's registration is the city office's and the county office's; an office of
    another city gets 404 for it and does not see it."""
    _register(client, world)
    newcomer = _newcomer(db)
    far = factories.jurisdiction(db.session, name="外市")
    factories.user(
        db.session,
        Role.OFFICE,
        unit=factories.unit(db.session, far, kind=factories.UnitKind.OFFICE),
        username="far-office",
    )
    db.session.commit()
    browser = app.test_client()
    token = csrf_from(browser.get("/auth/login").text)
    browser.post(
        "/auth/login",
        data={"login": "far-office", "password": factories.PASSWORD, "csrf_token": token},
    )
    page = browser.get("/office/registrations")
    assert page.status_code == 200 and "测试陶瓷有限公司" not in page.text
    assert _decide(browser, newcomer.id, "confirm").status_code == 404
    db.session.expire_all()
    assert db.session.get(Enterprise, newcomer.id).name_check == accounts.NAME_PENDING
