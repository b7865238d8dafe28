"""Rate limits (SECURITY.md checklist 26 and "Flask-Limiter with Redis": "limit per IP
(after `ProxyFix`) and per account"), with the limiter on as in production, counting in
memory (TestConfig's `memory://`; Redis itself is checked in tests/test_auth.py TestRedis
and tests/security/test_faults.py, check 27).

| check | tests (skips and why) |
|-------|-----------------------|
| 26 rate limits | test_c26_login_is_limited_per_address, test_c26_login_is_limited_per_account_from_many_addresses, test_c26_the_tracking_lookup_is_limited_per_address_and_per_case, test_c26_the_whistle_post_is_limited_per_account, test_c26_a_forged_forwarded_for_is_ignored_without_proxy_hops, test_c26_with_proxy_hops_the_forwarded_address_is_counted, test_c26_the_api_is_limited_per_client_token (problem+json 429 with Retry-After, issue 18 item 5); also tests/test_auth.py test_too_many_login_attempts_get_429_with_retry_after, test_the_client_address_comes_from_the_proxy, test_without_hops_a_forged_header_is_ignored and tests/test_enterprise.py test_guessing_is_rate_limited |
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from bs4 import BeautifulSoup

from portal import create_app
from portal.domain.models import Case
from tests import factories
from tests.conftest import _config, csrf_from

LIMIT = 3


@pytest.fixture
def app_config():
    return {"LOGIN_RATE_LIMIT": f"{LIMIT} per minute", "API_RATE_LIMIT": f"{LIMIT} per minute"}


def _at(ip: str) -> dict:
    return {"environ_base": {"REMOTE_ADDR": ip}}


def _login(client, login, password="wrong-password", ip="192.0.2.1", headers=None):
    token = csrf_from(client.get("/auth/login", **_at(ip)).text)
    return client.post(
        "/auth/login",
        data={"login": login, "password": password, "csrf_token": token},
        headers=headers or {},
        **_at(ip),
    )


def _limited(response) -> None:
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) > 0
    assert "尝试次数过多" in response.text


def test_c26_login_is_limited_per_address(client, world):
    for _ in range(LIMIT):
        assert _login(client, "nobody").status_code == 200
    _limited(_login(client, "someone-else"))  # the address is spent, whatever the name
    assert _login(client, "someone-else", ip="192.0.2.2").status_code == 200


def test_c26_login_is_limited_per_account_from_many_addresses(client, world):
    """Guesses at one account spread over many addresses add up; other accounts and the
    right password from a fresh address are refused only for that account."""
    for n in range(LIMIT):
        assert _login(client, "office", ip=f"198.51.100.{n}").status_code == 200
    _limited(_login(client, "office", ip="198.51.100.99"))
    _limited(_login(client, " OFFICE ", ip="198.51.100.98"))  # the same account, normalised
    assert _login(client, "handler", ip="198.51.100.97").status_code == 200


def _track(client, number, mobile="13900000009", ip="192.0.2.1"):
    token = csrf_from(client.get("/track", **_at(ip)).text)
    return client.post(
        "/track", data={"csrf_token": token, "number": number, "mobile": mobile}, **_at(ip)
    )


def test_c26_the_tracking_lookup_is_limited_per_address_and_per_case(client, db, world):
    """/track: 10 a minute per address; 10 an hour per case number, from any address (a
    case number and a guessed mobile number must not be tried from a botnet)."""
    case = factories.case(db.session, world.city, by=world.users["office"])
    db.session.commit()
    for n in range(10):
        assert _track(client, f"445100-2025-{n:05d}").status_code == 200
    _limited(_track(client, "445100-2025-00099"))
    for n in range(10):
        assert _track(client, case.number, ip=f"203.0.113.{n}").status_code == 200
    _limited(_track(client, case.number, ip="203.0.113.200"))
    _limited(_track(client, case.number, "13900000000", ip="203.0.113.201"))  # even right


def test_c26_the_whistle_post_is_limited_per_account(client, db, world, login_as):
    """30 whistle POSTs an hour per enterprise account (here each refused by the form, so
    no case is made), then 429; another account is not affected."""
    login_as("enterprise")
    page = client.get("/whistle")
    token = csrf_from(page.text)
    for _ in range(30):
        assert client.post("/whistle", data={"csrf_token": token}).status_code == 200
    _limited(client.post("/whistle", data={"csrf_token": token}))
    assert client.get("/whistle").status_code == 200  # reading the form is not limited
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Case)) == 0


def test_c26_a_forged_forwarded_for_is_ignored_without_proxy_hops(client, world, app):
    """PROXY_HOPS=0 (no proxy configured): X-Forwarded-For is the client's own claim, so
    a new value per request does not buy new attempts."""
    assert app.config["PROXY_HOPS"] == 0
    for n in range(LIMIT):
        assert (
            _login(client, f"nobody{n}", headers={"X-Forwarded-For": f"10.0.0.{n}"}).status_code
            == 200
        )
    _limited(_login(client, "nobody9", headers={"X-Forwarded-For": "10.0.0.99"}))


@pytest.fixture
def behind_a_proxy(database):
    app = create_app(
        _config(database.fresh(), PROXY_HOPS=1, LOGIN_RATE_LIMIT=f"{LIMIT} per minute")
    )
    with app.app_context():
        from portal.extensions import db

        factories.build_world(db.session)
        db.session.commit()
        yield app
        db.session.remove()
        db.engine.dispose()


def test_c26_with_proxy_hops_the_forwarded_address_is_counted(behind_a_proxy):
    """PROXY_HOPS=1: the address nginx puts last in X-Forwarded-For is the client's; each
    client is counted on its own, and a client is limited whatever the proxy's address."""
    client = behind_a_proxy.test_client()
    for n in range(LIMIT + 2):  # five clients behind one proxy: none is limited
        assert (
            _login(
                client, f"nobody{n}", ip="10.1.1.1", headers={"X-Forwarded-For": f"203.0.113.{n}"}
            ).status_code
            == 200
        )
    for n in range(LIMIT - 1):
        _login(client, f"other{n}", ip="10.1.1.1", headers={"X-Forwarded-For": "203.0.113.0"})
    _limited(
        _login(
            client,
            "other9",
            ip="10.1.1.1",
            headers={"X-Forwarded-For": "198.51.100.1, 203.0.113.0"},
        )
    )
    page = BeautifulSoup(client.get("/auth/login", **_at("10.1.1.1")).text, "html.parser")
    assert page.select_one('input[name="csrf_token"]') is not None


def test_c26_the_api_is_limited_per_client_token(client, db, world):
    """Issue 18 item 5: each client token has its budget for both API routes together;
    over it the answer is a problem (429, application/problem+json, as the OpenAPI document
    says) with Retry-After, while another client calling from the same address goes on."""
    import jsonschema

    from portal.domain import work_orders

    tokens = []
    for name in ("潮州12345平台", "县12345平台"):
        _client, token = work_orders.add_client(
            db.session, name=name, jurisdiction=world.city, at=factories.now()
        )
        tokens.append({"Authorization": f"Bearer {token}"})
    db.session.commit()
    first, second = tokens
    url = "/api/v1/work-orders/12345-2026-0000001"
    assert [client.get(url, headers=first).status_code for _ in range(LIMIT)] == [404] * LIMIT
    for refused in (
        client.get(url, headers=first),
        client.post("/api/v1/work-orders", json={}, headers=first),
    ):
        assert refused.status_code == 429
        assert int(refused.headers["Retry-After"]) > 0
        assert refused.mimetype == "application/problem+json"
        assert refused.get_json()["status"] == 429
        spec = client.get("/api/v1/openapi.json").get_json()
        method = refused.request.method.lower()
        path = "/work-orders" if method == "post" else "/work-orders/{external_id}"
        schema = spec["paths"][path][method]["responses"]["429"]["content"][
            "application/problem+json"
        ]["schema"]
        jsonschema.validate(refused.get_json(), {**schema, "components": spec["components"]})
    assert client.get(url, headers=second).status_code == 404
