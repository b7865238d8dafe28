"""Signing in and out: login by username or mobile, one message for every failure, lockout,
rate limits, revocation, timeouts, CSRF (forms and htmx) and safe redirects."""

from __future__ import annotations

from datetime import timedelta

import pytest
import redis
import sqlalchemy as sa
import time_machine
from bs4 import BeautifulSoup

from portal.domain.models import AuditLog, User
from tests import factories
from tests.conftest import csrf_from

FAILURE = "手机号码、用户名或密码不正确"


def _post_login(client, login, password, **extra):
    token = csrf_from(client.get("/auth/login").text)
    return client.post("/auth/login", data={"login": login, "password": password,
                                            "csrf_token": token, **extra})


def test_staff_sign_in_by_username(client, world):
    response = _post_login(client, "office", factories.PASSWORD)
    assert response.status_code == 303
    assert response.headers["Location"] == "/office/"
    assert client.get("/office/").status_code == 200


def test_enterprise_users_sign_in_by_mobile_number(client, world):
    response = _post_login(client, "13800000001", factories.PASSWORD)
    assert response.headers["Location"] == "/cases"


def test_a_wrong_password_and_an_unknown_login_get_the_same_answer(client, world):
    wrong = _post_login(client, "office", "nope")
    unknown = _post_login(client, "nobody", "nope")
    for response in (wrong, unknown):
        assert response.status_code == 200
        page = BeautifulSoup(response.text, "html.parser")
        summary = page.select_one(".error-summary[role=alert]")
        assert FAILURE in summary.text
        assert summary.h2.text == "请修改以下问题"
    assert BeautifulSoup(wrong.text, "html.parser").select_one("#login")["value"] == "office"
    assert not BeautifulSoup(wrong.text, "html.parser").select_one("#password").get("value")


def test_empty_fields_are_named_beside_each_field(client, world):
    response = _post_login(client, "", "")
    page = BeautifulSoup(response.text, "html.parser")
    assert page.select_one("#login-error").text.strip().endswith("请填写手机号码或用户名。")
    assert "login-error" in page.select_one("#login")["aria-describedby"]
    assert page.select_one("#login")["aria-invalid"] == "true"
    assert page.select_one("#password-error") is not None
    assert [a["href"] for a in page.select(".error-summary a")] == ["#login", "#password"]
    assert page.title.text.startswith("错误：")


def test_five_failures_lock_the_account_even_for_the_right_password(client, db, world):
    """SECURITY.md checklist 1: lockout after 5 failures; each failure audited."""
    for _ in range(5):
        _post_login(client, "office", "wrong")
    response = _post_login(client, "office", factories.PASSWORD)
    assert response.status_code == 200
    assert FAILURE in response.text
    results = db.session.scalars(sa.select(AuditLog.result).where(
        AuditLog.action == "login").order_by(AuditLog.id)).all()
    assert results == ["failure"] * 5 + ["locked"]


def test_the_lock_lifts_after_fifteen_minutes(client, db, world):
    for _ in range(5):
        _post_login(client, "office", "wrong")
    user = db.session.scalar(sa.select(User).where(User.username == "office"))
    assert user.locked_until is not None
    with time_machine.travel(user.locked_until + timedelta(seconds=1)):
        assert _post_login(client, "office", factories.PASSWORD).status_code == 303


def test_passwords_are_stored_as_scrypt_hashes(db, world):
    for user in db.session.scalars(sa.select(User)):
        assert user.password_hash.startswith("scrypt:")
        assert factories.PASSWORD not in user.password_hash


def test_a_cookie_replayed_after_logout_is_dead(client, world, login_as):
    login_as("office")
    stolen = client.get_cookie("session").value
    token = csrf_from(client.get("/office/").text)
    assert client.post("/auth/logout", data={"csrf_token": token}).status_code == 303
    client.set_cookie("session", stolen)
    response = client.get("/office/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/login")


def test_disabling_an_account_ends_its_sessions(client, db, world, login_as):
    user = login_as("handler")
    assert client.get("/workbench/").status_code == 200
    db.session.get(User, user.id).active = False
    db.session.commit()
    assert client.get("/workbench/").status_code == 302


def test_signing_in_starts_a_new_session(client, world):
    client.get("/auth/login")
    before = client.get_cookie("session").value
    _post_login(client, "office", factories.PASSWORD)
    assert client.get_cookie("session").value != before


def test_htmx_requests_without_a_session_are_sent_to_login(client, world):
    response = client.get("/office/", headers={"HX-Request": "true"})
    assert response.status_code == 401
    assert response.headers["HX-Redirect"].startswith("/auth/login")


def test_login_without_a_csrf_token_is_refused(client, world):
    response = client.post("/auth/login", data={"login": "office",
                                                 "password": factories.PASSWORD})
    assert response.status_code == 400
    assert "表单已失效" in response.text
    assert client.get("/office/").status_code == 302


def test_htmx_posts_carry_the_token_in_a_header(client, world):
    token = csrf_from(client.get("/auth/login").text)
    response = client.post("/auth/login", headers={"HX-Request": "true", "X-CSRFToken": token},
                           data={"login": "office", "password": factories.PASSWORD})
    assert response.status_code == 303
    wrong = client.post("/auth/logout", headers={"HX-Request": "true", "X-CSRFToken": "x"})
    assert wrong.status_code == 400


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/",
                                    "/\\evil.example", "javascript:alert(1)"])
def test_next_never_leaves_the_site(client, world, target):
    response = _post_login(client, "office", factories.PASSWORD, next=target)
    assert response.headers["Location"] == "/office/"


def test_next_returns_to_the_page_asked_for(client, world):
    first = client.get("/admin/calendar")
    assert first.headers["Location"] == "/auth/login?next=/admin/calendar"
    response = _post_login(client, "admin", factories.PASSWORD, next="/admin/calendar")
    assert response.headers["Location"] == "/admin/calendar"


def test_idle_sessions_end(client, world, login_as):
    login_as("office")
    with time_machine.travel(timedelta(minutes=31)):
        assert client.get("/office/").status_code == 302


def test_active_sessions_end_after_the_absolute_limit(client, world, login_as):
    login_as("office")
    for minutes in range(25, 12 * 60, 25):
        with time_machine.travel(timedelta(minutes=minutes)):
            assert client.get("/office/").status_code == 200
    with time_machine.travel(timedelta(hours=12, minutes=10)):
        assert client.get("/office/").status_code == 302


def test_session_cookie_is_httponly_and_lax(client, world):
    response = _post_login(client, "office", factories.PASSWORD)
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


class TestSecureDeployment:
    @pytest.fixture
    def app_config(self):
        return {"SECURE_COOKIES": True}

    def test_cookies_are_secure_and_host_only(self, client, world):
        client.get("/auth/login", base_url="https://localhost")
        response = _post_login_https(client)
        cookie = response.headers["Set-Cookie"]
        assert cookie.startswith("__Host-session=")
        assert "Secure" in cookie and "HttpOnly" in cookie

    def test_plain_http_is_redirected_to_https(self, client, world):
        response = client.get("/auth/login")
        assert response.status_code in (301, 302)
        assert response.headers["Location"].startswith("https://")


def _post_login_https(client):
    page = client.get("/auth/login", base_url="https://localhost")
    return client.post("/auth/login", base_url="https://localhost",
                       headers={"Referer": "https://localhost/auth/login"},
                       data={"login": "office", "password": factories.PASSWORD,
                             "csrf_token": csrf_from(page.text)})


class TestRateLimit:
    @pytest.fixture
    def app_config(self):
        return {"LOGIN_RATE_LIMIT": "3 per minute"}

    def test_too_many_login_attempts_get_429_with_retry_after(self, client, world):
        for _ in range(3):
            assert _post_login(client, "nobody", "x").status_code == 200
        response = _post_login(client, "nobody", "x")
        assert response.status_code == 429
        assert int(response.headers["Retry-After"]) > 0
        assert "尝试次数过多" in response.text


class TestRedis:
    """Rate limits in Redis as in production; when Redis is unreachable the portal keeps
    serving and the limits go on in memory (SECURITY.md checklist 27)."""

    @pytest.fixture
    def app_config(self, request):
        if request.param.endswith(":6379/15"):
            redis.Redis.from_url(request.param).flushdb()  # a test database of its own
        return {"RATELIMIT_STORAGE_URI": request.param, "LOGIN_RATE_LIMIT": "3 per minute"}

    @pytest.mark.parametrize("app_config", ["redis://127.0.0.1:6379/15",
                                            "redis://127.0.0.1:1/0"], indirect=True,
                             ids=["redis-up", "redis-down"])
    def test_login_limit_holds(self, client, world, app_config):
        for _ in range(3):
            assert _post_login(client, "nobody", "x").status_code == 200
        assert _post_login(client, "nobody", "x").status_code == 429
        assert client.get("/").status_code == 200


class TestRegistration:
    """An enterprise registers with mobile, password, name and credit code (issue: accounts)."""

    def _post(self, client, world, **overrides):
        page = client.get("/auth/register")
        assert page.status_code == 200
        data = {"csrf_token": csrf_from(page.text), "name": "李老板", "mobile": "13912345678",
                "password": "good pass 8", "enterprise_name": "新开陶瓷有限公司",
                "kind": "sme", "credit_code": "91440300708461136T",
                "jurisdiction": str(world.county.id)}
        data.update(overrides)
        return client.post("/auth/register", data=data)

    def test_registering_creates_the_enterprise_and_signs_in(self, client, db, world):
        response = self._post(client, world)
        assert response.status_code == 303
        assert response.headers["Location"] == "/whistle"
        user = db.session.scalar(sa.select(User).where(User.mobile == "13912345678"))
        assert user.enterprise.name == "新开陶瓷有限公司"
        assert user.enterprise.jurisdiction_id == world.county.id
        assert client.get("/whistle").status_code == 200

    def test_an_individual_business_may_have_no_code(self, client, db, world):
        response = self._post(client, world, kind="individual", credit_code="")
        assert response.status_code == 303

    @pytest.mark.parametrize("overrides,field,message", [
        ({"credit_code": "91440300708461136A"}, "credit_code", "不是有效的统一社会信用代码"),
        ({"credit_code": ""}, "credit_code", "请填写营业执照上18位的统一社会信用代码"),
        ({"mobile": "12345"}, "mobile", "11位手机号码"),
        ({"mobile": "13800000001"}, "mobile", "已注册"),
        ({"password": "short"}, "password", "至少8个字符"),
        ({"jurisdiction": ""}, "jurisdiction", "请选择"),
    ])
    def test_bad_input_is_named_beside_its_field_and_kept(self, client, db, world, overrides,
                                                          field, message):
        response = self._post(client, world, **overrides)
        assert response.status_code == 200
        page = BeautifulSoup(response.text, "html.parser")
        assert message in page.select_one(f"#{field}-error").text
        assert page.select_one("#enterprise_name")["value"] == "新开陶瓷有限公司"
        assert not page.select_one("#password").get("value")
        assert db.session.scalar(sa.select(sa.func.count()).select_from(User).where(
            User.mobile == "13912345678")) == 0

    def test_knowing_a_credit_code_does_not_join_an_enterprise(self, client, db, world):
        """The code is public: an enterprise that has an account is not joined by it."""
        code = world.enterprise.credit_code
        response = self._post(client, world, credit_code=code)
        page = BeautifulSoup(response.text, "html.parser")
        assert "已登记" in page.select_one("#credit_code-error").text

    def test_a_registry_entry_is_never_claimed_by_registering(self, client, db, world):
        """Code and phone of a registered company are public and the mobile is not verified:
        even the registry's own contact number does not link an account to it."""
        registered = factories.enterprise(db.session, world.county)
        registered.contact_phone = "13912345678"
        db.session.commit()
        refused = self._post(client, world, credit_code=registered.credit_code)
        assert "已登记" in BeautifulSoup(refused.text, "html.parser").select_one(
            "#credit_code-error").text
        assert db.session.scalar(sa.select(User).where(User.mobile == "13912345678")) is None


class TestColleaguesAndPasswords:
    def test_an_enterprise_adds_a_colleague_who_sees_the_same_cases(self, client, db, world,
                                                                    login_as, app):
        case = factories.case(db.session, world.city, enterprise=world.enterprise)
        db.session.commit()
        login_as("enterprise")
        token = csrf_from(client.get("/auth/colleagues").text)
        response = client.post("/auth/colleagues", data={
            "csrf_token": token, "name": "小张", "mobile": "13700001111",
            "password": "colleague 8"})
        assert response.status_code == 303
        page = client.get("/auth/colleagues").text
        assert "137****1111" in page and "13700001111" not in page
        other = app.test_client()
        token = csrf_from(other.get("/auth/login").text)
        assert other.post("/auth/login", data={"csrf_token": token, "login": "13700001111",
                                               "password": "colleague 8"}).status_code == 303
        assert case.number in other.get("/cases").text

    def test_a_taken_mobile_is_named_beside_the_field(self, client, db, world, login_as):
        login_as("enterprise")
        token = csrf_from(client.get("/auth/colleagues").text)
        response = client.post("/auth/colleagues", data={
            "csrf_token": token, "name": "小张", "mobile": "13800000001",
            "password": "colleague 8"})
        page = BeautifulSoup(response.text, "html.parser")
        assert "已注册" in page.select_one("#mobile-error").text
        assert page.select_one("#name")["value"] == "小张"

    def test_staff_cannot_use_the_colleague_page(self, client, world, login_as):
        login_as("office")
        assert client.get("/auth/colleagues").status_code == 403

    def test_changing_the_password_needs_the_current_one(self, client, db, world, login_as):
        """SECURITY.md checklist 2."""
        login_as("office")
        token = csrf_from(client.get("/auth/password").text)
        wrong = client.post("/auth/password", data={"csrf_token": token, "current": "nope",
                                                    "password": "brand new 9"})
        assert "当前密码不正确" in BeautifulSoup(wrong.text, "html.parser").select_one(
            "#current-error").text
        short = client.post("/auth/password", data={"csrf_token": token,
                                                    "current": factories.PASSWORD,
                                                    "password": "short"})
        assert BeautifulSoup(short.text, "html.parser").select_one("#password-error")
        ok = client.post("/auth/password", data={"csrf_token": token,
                                                 "current": factories.PASSWORD,
                                                 "password": "brand new 9"})
        assert ok.status_code == 303
        assert client.get("/office/").status_code == 200  # this session carries on
        assert _post_login(client.application.test_client(), "office",
                           "brand new 9").status_code == 303

    def test_a_password_change_ends_other_sessions(self, client, db, world, login_as, app):
        login_as("office")
        elsewhere = app.test_client()
        token = csrf_from(elsewhere.get("/auth/login").text)
        elsewhere.post("/auth/login", data={"csrf_token": token, "login": "office",
                                            "password": factories.PASSWORD})
        assert elsewhere.get("/office/").status_code == 200
        token = csrf_from(client.get("/auth/password").text)
        client.post("/auth/password", data={"csrf_token": token, "current": factories.PASSWORD,
                                            "password": "brand new 9"})
        assert elsewhere.get("/office/").status_code == 302


class TestBehindAProxy:
    @pytest.fixture
    def app_config(self):
        return {"PROXY_HOPS": 1}

    def test_the_client_address_comes_from_the_proxy(self, client, db, world):
        token = csrf_from(client.get("/auth/login").text)
        client.post("/auth/login", headers={"X-Forwarded-For": "203.0.113.7"},
                    data={"csrf_token": token, "login": "office", "password": "wrong"})
        assert db.session.scalar(sa.select(AuditLog.ip).where(AuditLog.action == "login")) \
            == "203.0.113.7"

    def test_without_hops_a_forged_header_is_ignored(self, client, db, world, app):
        app.config["PROXY_HOPS"] = 0  # read at start-up: this app has ProxyFix, so new app
        from portal import create_app
        from tests.conftest import _config
        plain = create_app(_config(app.config["SQLALCHEMY_DATABASE_URI"]))
        other = plain.test_client()
        token = csrf_from(other.get("/auth/login").text)
        other.post("/auth/login", headers={"X-Forwarded-For": "203.0.113.7"},
                   data={"csrf_token": token, "login": "office", "password": "wrong"})
        assert db.session.scalar(sa.select(AuditLog.ip).where(AuditLog.action == "login")) \
            == "127.0.0.1"
