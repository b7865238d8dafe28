"""Sessions and accounts: SECURITY.md checklist 1-9 (issue 9, item 3), and the audit, access
and CSRF checks of the administrator's account pages (28, 11, 21).

| check | tests | skips (and why) |
|---|---|---|
| 1 lockout | test_c01_* (5 failures lock even the right password; each audited; an unknown login gets the same answer; the lock lifts) | none |
| 2 password policy | test_c02_* (staff: length, 3 of 4 classes, common list, not the username; enterprise: length and common list; messages beside the field in Chinese and English; the current password is needed; rotation forces a change; production defaults) | none |
| 3 hash storage | test_c03_* (every row, one-time passwords included, is `scrypt:`) | none |
| 4 session fixation | test_c04_* (the cookie changes at sign-in, the old one stays anonymous) | none |
| 5 revocation | test_c05_* (replay after logout, after disabling, after a password change; page and htmx) | none |
| 6 timeouts | test_c06_* (idle and absolute limits, page and htmx, with time-machine) | none |
| 7 cookies | test_c07_* (the exact production Set-Cookie; no session id in any URL) | none |
| 8 bootstrap | test_c08_* (`accounts create-admin` prints a one-time password; `demo` refused in production; first sign-in forces the change; admin-made accounts too; demo accounts keep the demo password) | none |
| 9 MFA | test_c09_* (enrolment with inline-SVG QR; the password alone is no session; wrong code denied; right code admitted; replay refused; failures lock; REQUIRE_STAFF_MFA forces enrolment) | none |
| 11 (admin pages) | test_c11_only_the_admin_reaches_user_management | none |
| 21 (admin posts) | test_c21_every_user_management_post_needs_a_csrf_token | none |
| 28 (role change) | test_c28_a_role_change_is_audited | none |
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pyotp
import pytest
import sqlalchemy as sa
import time_machine
from bs4 import BeautifulSoup

from portal.domain import accounts
from portal.domain.errors import RuleViolation
from portal.domain.models import AuditLog, Role, User
from tests import factories
from tests.conftest import csrf_from

FAILURE = "手机号码、用户名或密码不正确"
ROOT = Path(__file__).resolve().parents[2]


def _post_login(client, login, password, **extra):
    token = csrf_from(client.get("/auth/login").text)
    return client.post(
        "/auth/login", data={"login": login, "password": password, "csrf_token": token, **extra}
    )


def _post(client, path, data=None, page=None, **kwargs):
    """POST with the CSRF token of `page` (default: the same path)."""
    token = csrf_from(client.get(page or path).text)
    return client.post(path, data={"csrf_token": token, **(data or {})}, **kwargs)


def _get(client, path, htmx):
    return client.get(path, headers={"HX-Request": "true"} if htmx else {})


def _sent_to_login(response, htmx) -> bool:
    if htmx:
        return response.status_code == 401 and response.headers["HX-Redirect"].startswith(
            "/auth/login"
        )
    return response.status_code == 302 and response.headers["Location"].startswith("/auth/login")


def _sent_to(response, path, htmx) -> bool:
    if htmx:
        return response.headers.get("HX-Redirect") == path
    return response.status_code in (302, 303) and response.headers["Location"] == path


def _error(response, field) -> str:
    found = BeautifulSoup(response.text, "html.parser").select_one(f"#{field}-error")
    return found.text if found is not None else ""


def _user(db, login) -> User:
    return db.session.scalar(
        sa.select(User).where(sa.or_(User.username == login, User.mobile == login))
    )


HTMX = pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx"])


# --------------------------------------------------------------------------- 1. lockout


def test_c01_five_failures_lock_the_account_even_for_the_right_password(client, db, world):
    """Lockout after 5 failures; each failure audited."""
    for _ in range(5):
        _post_login(client, "office", "wrong")
    response = _post_login(client, "office", factories.PASSWORD)
    assert response.status_code == 200
    assert FAILURE in response.text
    assert client.get("/office/").status_code == 302
    results = db.session.scalars(
        sa.select(AuditLog.result).where(AuditLog.action == "login").order_by(AuditLog.id)
    ).all()
    assert results == ["failure"] * 5 + ["locked"]


def test_c01_a_wrong_password_and_an_unknown_login_get_the_same_answer(client, world):
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


def test_c01_the_lock_lifts_after_fifteen_minutes(client, db, world):
    for _ in range(5):
        _post_login(client, "office", "wrong")
    user = _user(db, "office")
    assert user.locked_until is not None
    with time_machine.travel(user.locked_until + timedelta(seconds=1)):
        assert _post_login(client, "office", factories.PASSWORD).status_code == 303


# --------------------------------------------------------------------------- 2. password policy

STAFF = accounts.PasswordPolicy.for_role(Role.OFFICE, {})
ENTERPRISE = accounts.PasswordPolicy.for_role(Role.ENTERPRISE, {})


@pytest.mark.parametrize(
    "password,message",
    [
        ("Ab1-xyz", "Use at least %(num)d characters for the password."),
        ("alllowercaseletters", "Use at least %(num)d of these"),
        ("lowercase and spaces", "Use at least %(num)d of these"),  # 2 classes
        ("12345678", "too common"),
        ("123456", "Use at least"),
        ("a123456", "Use at least"),
        ("woaini1314", "too common"),
        ("qq123456", "too common"),
        ("Password", "too common"),
        ("P@ssw0rd", "too common"),
        ("aaaaaaaaaaaa", "too common"),
        ("office-Pass-9", "must not contain your username"),
    ],
)
def test_c02_staff_passwords_need_length_composition_and_no_common_or_own_name(password, message):
    """等保 测评: 8 characters and 3 of the 4 classes for staff, not on the common list, not
    the username or mobile."""
    with pytest.raises(RuleViolation) as refused:
        STAFF.check(password, names=("office", "13900000000"))
    assert message in refused.value.message
    assert refused.value.field == "password"


@pytest.mark.parametrize("password", ["correct horse 42", "Ab3-xyzw", "Qx7!mv9#Lk"])
def test_c02_good_staff_passwords_pass(password):
    STAFF.check(password, names=("office", "13900000000"))


def test_c02_enterprise_users_get_length_and_the_common_list_only():
    ENTERPRISE.check("justlowercase", names=("13800000001",))  # one class is enough
    ENTERPRISE.check("13800000001x", names=("13800000001",))  # names are a staff rule
    for weak in ("short", "qq123456", "woaini1314", "password", "11111111"):
        with pytest.raises(RuleViolation):
            ENTERPRISE.check(weak)


def test_c02_the_common_list_holds_the_chinese_favourites():
    common = accounts.common_passwords()
    assert {"123456", "a123456", "woaini1314", "qq123456", "password", "5201314"} <= common
    assert len(common) >= 100


@pytest.mark.parametrize(
    "lang,new,field,message",
    [
        ("zh_Hans_CN", "woaini1314", "password", "太常见"),
        ("en", "woaini1314", "password", "too common"),
        ("zh_Hans_CN", "alllowercase", "password", "大写字母、小写字母、数字、符号中的3类"),
        ("en", "alllowercase", "password", "capital letters, small letters, digits and symbols"),
        ("zh_Hans_CN", "Short1!", "password", "至少8个字符"),
        ("zh_Hans_CN", "office-Pass-9", "password", "不得包含您的用户名"),
        ("en", "office-Pass-9", "password", "must not contain your username"),
    ],
)
def test_c02_weak_passwords_are_refused_beside_the_field(
    client, db, world, login_as, lang, new, field, message
):
    login_as("office")
    _post(client, "/auth/language", {"lang": lang, "next": "/auth/password"}, page="/auth/password")
    response = _post(client, "/auth/password", {"current": factories.PASSWORD, "password": new})
    assert response.status_code == 200
    assert message in _error(response, field)
    assert (
        "password-error"
        in BeautifulSoup(response.text, "html.parser").select_one("#password")["aria-describedby"]
    )
    assert accounts.verify_password(_user(db, "office"), factories.PASSWORD)


def test_c02_changing_the_password_needs_the_current_one(client, db, world, login_as):
    login_as("office")
    wrong = _post(client, "/auth/password", {"current": "nope", "password": "brand new 9"})
    assert "当前密码不正确" in _error(wrong, "current")
    short = _post(client, "/auth/password", {"current": factories.PASSWORD, "password": "short"})
    assert _error(short, "password")
    ok = _post(client, "/auth/password", {"current": factories.PASSWORD, "password": "brand new 9"})
    assert ok.status_code == 303
    assert client.get("/office/").status_code == 200  # this session carries on
    assert _post_login(client.application.test_client(), "office", "brand new 9").status_code == 303


def test_c02_the_staff_hint_states_the_rules(client, world, login_as):
    login_as("office")
    hint = (
        BeautifulSoup(client.get("/auth/password").text, "html.parser")
        .select_one("#password-hint")
        .text
    )
    assert "至少8个字符" in hint and "3类" in hint


class TestRotation:
    """A staff password older than STAFF_PASSWORD_MAX_AGE_DAYS must be changed at the next
    sign-in; enterprise users have no rotation."""

    @pytest.fixture
    def app_config(self):
        return {"STAFF_PASSWORD_MAX_AGE_DAYS": 90}

    def test_c02_an_old_staff_password_forces_a_change(self, client, db, world):
        office, enterprise = _user(db, "office"), _user(db, "13800000001")
        office.password_changed_at = factories.now() - timedelta(days=91)
        enterprise.password_changed_at = factories.now() - timedelta(days=400)
        db.session.commit()
        with time_machine.travel(factories.now(), tick=False):
            assert _post_login(client, "office", factories.PASSWORD).status_code == 303
            assert _sent_to(client.get("/office/"), "/auth/password", htmx=False)
            _post(
                client,
                "/auth/password",
                {"current": factories.PASSWORD, "password": "Fresh-Pass-7"},
            )
            assert client.get("/office/").status_code == 200
            assert _user(db, "office").password_changed_at == factories.now()
            other = client.application.test_client()
            assert _post_login(other, "13800000001", factories.PASSWORD).status_code == 303
            assert other.get("/cases").status_code == 200

    def test_c02_a_recent_staff_password_is_kept(self, client, db, world):
        _user(db, "office").password_changed_at = factories.now() - timedelta(days=89)
        db.session.commit()
        with time_machine.travel(factories.now(), tick=False):
            _post_login(client, "office", factories.PASSWORD)
            assert client.get("/office/").status_code == 200


def test_c02_production_defaults_turn_the_staff_rules_on():
    """Config read in a fresh interpreter with PRODUCTION=1: 8 characters, 3 classes and a
    90-day rotation; without it rotation is off."""
    code = (
        "from portal.config import Config as C; print(C.STAFF_PASSWORD_MIN_LENGTH, "
        "C.STAFF_PASSWORD_CLASSES, C.STAFF_PASSWORD_MAX_AGE_DAYS)"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("STAFF_PASSWORD")}

    def read(production):
        out = subprocess.run(
            [sys.executable, "-c", code],
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
            env={**env, "PRODUCTION": production},
        )
        return out.stdout.split()

    assert read("1") == ["8", "3", "90"]
    assert read("0") == ["8", "3", "0"]


# --------------------------------------------------------------------------- 3. hash storage


def test_c03_passwords_are_stored_as_scrypt_hashes(db, world, runner):
    result = runner.invoke(args=["accounts", "create-admin", "root"])
    one_time = result.output.strip().splitlines()[-1]
    for user in db.session.scalars(sa.select(User)):
        assert user.password_hash.startswith("scrypt:")
        assert factories.PASSWORD not in user.password_hash
        assert one_time not in user.password_hash
    root = _user(db, "root")
    assert accounts.verify_password(root, one_time)


# --------------------------------------------------------------------------- 4. fixation


def test_c04_signing_in_starts_a_new_session_and_the_old_cookie_stays_anonymous(client, world):
    client.get("/auth/login")
    before = client.get_cookie("session").value
    _post_login(client, "office", factories.PASSWORD)
    after = client.get_cookie("session").value
    assert after != before
    assert client.get("/office/").status_code == 200
    client.set_cookie("session", before)
    assert _sent_to_login(client.get("/office/"), htmx=False)


# --------------------------------------------------------------------------- 5. revocation


@HTMX
def test_c05_a_cookie_replayed_after_logout_is_dead(client, world, login_as, htmx):
    login_as("office")
    stolen = client.get_cookie("session").value
    assert _post(client, "/auth/logout", page="/office/").status_code == 303
    client.set_cookie("session", stolen)
    assert _sent_to_login(_get(client, "/office/", htmx), htmx)


@HTMX
def test_c05_disabling_an_account_ends_its_sessions(client, db, world, login_as, app, htmx):
    user = login_as("handler")
    assert client.get("/workbench/").status_code == 200
    stolen = client.get_cookie("session").value
    admin = app.test_client()
    assert _post_login(admin, "admin", factories.PASSWORD).status_code == 303
    assert (
        _post(
            admin, f"/admin/users/{user.id}/active", {"active": "0"}, page=f"/admin/users/{user.id}"
        ).status_code
        == 303
    )
    assert _sent_to_login(_get(client, "/workbench/", htmx), htmx)
    client.set_cookie("session", stolen)
    assert _sent_to_login(_get(client, "/workbench/", htmx), htmx)
    assert _post_login(app.test_client(), "handler", factories.PASSWORD).status_code == 200


@HTMX
def test_c05_disabling_in_the_database_ends_sessions_too(client, db, world, login_as, htmx):
    user = login_as("handler")
    db.session.get(User, user.id).active = False
    db.session.commit()
    assert _sent_to_login(_get(client, "/workbench/", htmx), htmx)


@HTMX
def test_c05_a_password_change_ends_other_sessions(client, db, world, login_as, app, htmx):
    login_as("office")
    old_cookie = client.get_cookie("session").value
    elsewhere = app.test_client()
    _post_login(elsewhere, "office", factories.PASSWORD)
    assert elsewhere.get("/office/").status_code == 200
    _post(client, "/auth/password", {"current": factories.PASSWORD, "password": "brand new 9"})
    assert client.get("/office/").status_code == 200
    assert _sent_to_login(_get(elsewhere, "/office/", htmx), htmx)
    client.set_cookie("session", old_cookie)
    assert _sent_to_login(_get(client, "/office/", htmx), htmx)


@HTMX
def test_c05_requests_without_a_session_are_sent_to_login(client, world, htmx):
    """htmx gets HX-Redirect (a 302 would swap the login page into the fragment)."""
    assert _sent_to_login(_get(client, "/office/", htmx), htmx)


# --------------------------------------------------------------------------- 6. timeouts


@HTMX
def test_c06_idle_sessions_end(client, world, login_as, htmx):
    login_as("office")
    with time_machine.travel(timedelta(minutes=31)):
        assert _sent_to_login(_get(client, "/office/", htmx), htmx)


def test_c06_active_sessions_end_after_the_absolute_limit(client, world, login_as):
    login_as("office")
    for minutes in range(25, 12 * 60, 25):
        with time_machine.travel(timedelta(minutes=minutes)):
            assert client.get("/office/").status_code == 200
    with time_machine.travel(timedelta(hours=12, minutes=10)):
        assert _sent_to_login(client.get("/office/"), htmx=False)


# --------------------------------------------------------------------------- 7. cookies


def test_c07_session_cookie_is_httponly_and_lax_over_plain_http(client, world):
    cookie = _post_login(client, "office", factories.PASSWORD).headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


HTTPS = "https://localhost"


def _attributes(set_cookie: str) -> tuple[str, dict]:
    name_value, *attrs = [part.strip() for part in set_cookie.split(";")]
    parsed = {}
    for attr in attrs:
        key, _, value = attr.partition("=")
        parsed[key.lower()] = value or True
    return name_value.split("=", 1)[0], parsed


class TestProductionCookies:
    @pytest.fixture
    def app_config(self):
        return {"SECURE_COOKIES": True}

    def _sign_in(self, client):
        page = client.get("/auth/login", base_url=HTTPS)
        return client.post(
            "/auth/login",
            base_url=HTTPS,
            headers={"Referer": f"{HTTPS}/auth/login"},
            data={
                "login": "office",
                "password": factories.PASSWORD,
                "csrf_token": csrf_from(page.text),
            },
        )

    def test_c07_the_exact_production_set_cookie(self, client, world):
        response = self._sign_in(client)
        cookies = response.headers.getlist("Set-Cookie")
        assert len(cookies) == 1
        name, attrs = _attributes(cookies[0])
        assert name == "__Host-session"
        assert attrs == {"secure": True, "httponly": True, "path": "/", "samesite": "Lax"}
        assert "domain" not in attrs and "expires" not in attrs and "max-age" not in attrs

    def test_c07_plain_http_is_redirected_to_https(self, client, world):
        response = client.get("/auth/login")
        assert response.status_code in (301, 302)
        assert response.headers["Location"].startswith("https://")

    def test_c07_no_session_id_in_any_url(self, client, world):
        """Walk the pages a signed-in user reaches from home: no address (link, form,
        redirect, htmx attribute) carries the cookie's value or a session parameter; and a
        session passed in the query string signs nobody in."""
        response = self._sign_in(client)
        value = client.get_cookie("__Host-session").value
        addresses = [response.headers["Location"]]
        queue, seen = [response.headers["Location"]], set()
        while queue and len(seen) < 25:
            path = queue.pop(0)
            if path in seen:
                continue
            seen.add(path)
            page = client.get(path, base_url=HTTPS)
            addresses += [page.headers.get("Location", "")]
            if page.mimetype != "text/html":
                continue
            soup = BeautifulSoup(page.text, "html.parser")
            for tag in soup.find_all(True):
                for attr in ("href", "action", "src", "hx-get", "hx-post"):
                    if tag.get(attr):
                        addresses.append(tag[attr])
                        target = urlsplit(tag[attr])
                        if (
                            attr == "href"
                            and not target.netloc
                            and target.path.startswith("/")
                            and not target.path.startswith("/static/")
                        ):
                            queue.append(tag[attr])
        assert len(seen) > 5
        for address in addresses:
            assert value not in address and value[:20] not in address
            assert "session" not in urlsplit(address).query.lower()
        stranger = client.application.test_client()
        replay = stranger.get(f"/office/?session={value}", base_url=HTTPS)
        assert replay.status_code == 302
        assert replay.headers["Location"].startswith("/auth/login")


# --------------------------------------------------------------------------- 8. bootstrap

KNOWN_PASSWORDS = (
    "admin",
    "admin123",
    "123456",
    "password",
    "root",
    "demo12345",
    factories.PASSWORD,
)


def _one_time_password(result) -> str:
    assert result.exit_code == 0, result.output
    return result.output.strip().splitlines()[-1].strip()


@pytest.mark.slow
def test_c08_production_bootstrap_leaves_no_account_with_a_known_password(app, db, runner):
    """A production-shaped start: `demo` is refused, `accounts create-admin` is the way in,
    and its password is random, shown once, and must be changed."""
    app.config["PRODUCTION"] = True  # the command reads it at run time
    refused = runner.invoke(args=["demo"])
    assert refused.exit_code != 0 and "production" in refused.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 0
    first = _one_time_password(runner.invoke(args=["accounts", "create-admin", "root"]))
    second = _one_time_password(runner.invoke(args=["accounts", "create-admin", "ops"]))
    assert first != second and len(first) >= 16
    assert accounts.character_classes(first) >= 3
    users = db.session.scalars(sa.select(User)).all()
    assert [u.username for u in users] == ["root", "ops"]
    for user in users:
        assert user.role is Role.ADMIN and user.must_change_password
        for known in (*KNOWN_PASSWORDS, app.config["DEMO_PASSWORD"], *accounts.common_passwords()):
            assert not accounts.verify_password(user, known)
    taken = runner.invoke(args=["accounts", "create-admin", "root"])
    assert taken.exit_code != 0 and "taken" in taken.output
    rows = db.session.scalars(sa.select(AuditLog).where(AuditLog.action == "user_create")).all()
    assert [(r.user_id, r.object_id) for r in rows] == [(None, str(u.id)) for u in users]


@HTMX
def test_c08_first_login_forces_a_password_change(client, db, runner, app, htmx):
    password = _one_time_password(runner.invoke(args=["accounts", "create-admin", "root"]))
    response = _post_login(client, "root", password)
    assert response.status_code == 303
    for path in ("/admin/", "/admin/users", "/", "/notifications/"):
        assert _sent_to(_get(client, path, htmx), "/auth/password", htmx), path
    page = BeautifulSoup(client.get("/auth/password").text, "html.parser")
    assert page.select_one(".notice[role=status]") is not None
    assert page.select_one("a[href='/admin/']") is None  # no way round but signing out
    same = _post(client, "/auth/password", {"current": password, "password": password})
    assert _error(same, "password")
    done = _post(client, "/auth/password", {"current": password, "password": "Strong-Admin-26"})
    assert done.status_code == 303
    assert client.get("/admin/").status_code == 200
    assert not _user(db, "root").must_change_password


def test_c08_an_account_made_by_the_admin_must_change_at_first_login(
    client, db, world, login_as, app
):
    login_as("admin")
    response = _post(
        client,
        "/admin/users/new",
        {
            "name": "新同事",
            "username": "newbie",
            "role": "handler",
            "unit": str(world.department.id),
        },
    )
    assert response.status_code == 200
    shown = BeautifulSoup(response.text, "html.parser").select_one("code.secret").text
    user = _user(db, "newbie")
    assert user.must_change_password and accounts.verify_password(user, shown)
    assert user.unit_id == world.department.id and user.role is Role.HANDLER
    assert shown not in client.get(f"/admin/users/{user.id}").text  # shown once
    newbie = app.test_client()
    assert _post_login(newbie, "newbie", shown).status_code == 303
    assert _sent_to(newbie.get("/workbench/"), "/auth/password", htmx=False)


def test_c08_an_admin_reset_gives_a_new_one_time_password(client, db, world, login_as, app):
    handler = world.users["handler"]
    victim = app.test_client()
    _post_login(victim, "handler", factories.PASSWORD)
    login_as("admin")
    response = _post(
        client, f"/admin/users/{handler.id}/password", page=f"/admin/users/{handler.id}"
    )
    shown = BeautifulSoup(response.text, "html.parser").select_one("code.secret").text
    assert _sent_to_login(victim.get("/workbench/"), htmx=False)
    assert _post_login(victim, "handler", factories.PASSWORD).status_code == 200
    assert _post_login(victim, "handler", shown).status_code == 303
    assert _sent_to(victim.get("/workbench/"), "/auth/password", htmx=False)


def test_c08_demo_accounts_keep_the_demo_password_without_the_flag(runner, db, app, client):
    runner.invoke(args=["demo", "--quiet"])
    assert not any(u.must_change_password for u in db.session.scalars(sa.select(User)))
    assert _post_login(client, "office", app.config["DEMO_PASSWORD"]).status_code == 303
    assert client.get("/office/").status_code == 200


# --------------------------------------------------------------------------- 9. MFA


@pytest.fixture
def frozen():
    """The test clock stands still at factories.now(): TOTP codes are those of that time."""
    with time_machine.travel(factories.now(), tick=False) as traveller:
        yield traveller


@pytest.fixture
def enrolled(db, world):
    """The office user with a second factor; returns its TOTP."""
    secret = pyotp.random_base32()
    user = _user(db, "office")
    user.totp_secret = secret
    db.session.commit()
    return pyotp.TOTP(secret)


def _code(client, code):
    return _post(client, "/auth/second-factor", {"code": code})


def _wrong(totp) -> str:
    """A code that is not the frozen time's, nor its neighbours' (the drift allowed)."""
    near = {totp.at(factories.now(), counter_offset=k) for k in (-1, 0, 1)}
    return next(c for c in ("123456", "654321", "111111", "222222") if c not in near)


def test_c09_staff_enrol_with_a_secret_shown_as_text_and_an_inline_qr(
    client, db, world, login_as, frozen
):
    login_as("office")
    page = BeautifulSoup(client.get("/auth/second-factor/enrol").text, "html.parser")
    svg = page.select_one("figure.qr svg[role=img]")
    assert svg is not None and svg.title.text
    assert page.select("img") == []  # drawn inline, nothing fetched
    secret = page.select_one("code.secret").text.replace(" ", "")
    wrong = _post(client, "/auth/second-factor/enrol", {"code": _wrong(pyotp.TOTP(secret))})
    assert "验证码不正确" in _error(wrong, "code")
    assert _user(db, "office").totp_secret is None
    right = _post(client, "/auth/second-factor/enrol", {"code": pyotp.TOTP(secret).now()})
    assert right.status_code == 303
    user = _user(db, "office")
    assert user.totp_secret == secret
    assert db.session.scalar(
        sa.select(AuditLog.object_id).where(AuditLog.action == "second_factor_enrol")
    ) == str(user.id)
    assert "已开启" in client.get("/auth/second-factor/enrol").text


def test_c09_enterprise_users_have_no_enrolment_page(client, world, login_as):
    login_as("enterprise")
    assert client.get("/auth/second-factor/enrol").status_code == 403


@HTMX
def test_c09_login_without_the_second_factor_is_denied(client, db, world, enrolled, frozen, htmx):
    """The right password alone leaves a note for the code step, not a session."""
    response = _post_login(client, "office", factories.PASSWORD)
    assert response.headers["Location"] == "/auth/second-factor"
    for path in ("/office/", "/auth/password", "/notifications/", "/admin/"):
        assert _sent_to_login(_get(client, path, htmx), htmx), path
    assert _user(db, "office").last_login_at is None
    assert client.get("/auth/second-factor").status_code == 200


def test_c09_a_wrong_code_is_denied(client, db, world, enrolled, frozen):
    _post_login(client, "office", factories.PASSWORD)
    wrong = _code(client, _wrong(enrolled))
    assert wrong.status_code == 200
    assert "验证码不正确" in _error(wrong, "code")
    assert _sent_to_login(client.get("/office/"), htmx=False)
    results = db.session.scalars(
        sa.select(AuditLog.result).where(AuditLog.action == "login").order_by(AuditLog.id)
    ).all()
    assert results == ["second_factor", "failure"]


def test_c09_the_right_code_admits(client, db, world, enrolled, frozen):
    _post_login(client, "office", factories.PASSWORD, next="/office/")
    response = _code(client, enrolled.now())
    assert response.status_code == 303 and response.headers["Location"] == "/office/"
    assert client.get("/office/").status_code == 200
    assert _user(db, "office").last_login_at == factories.now()


def test_c09_a_code_is_used_once(client, db, world, enrolled, frozen, app):
    code = enrolled.now()
    _post_login(client, "office", factories.PASSWORD)
    assert _code(client, code).status_code == 303
    thief = app.test_client()
    _post_login(thief, "office", factories.PASSWORD)
    replay = _code(thief, code)
    assert replay.status_code == 200 and "已使用" in _error(replay, "code")
    assert _sent_to_login(thief.get("/office/"), htmx=False)
    frozen.shift(timedelta(seconds=30))  # the next step's code works
    assert _code(thief, enrolled.now()).status_code == 303


def test_c09_wrong_codes_count_toward_the_lockout(client, db, world, enrolled, frozen):
    _post_login(client, "office", factories.PASSWORD)
    wrong = _wrong(enrolled)
    for _ in range(4):
        assert _code(client, wrong).status_code == 200
    locked = _code(client, wrong)
    assert locked.status_code == 303 and locked.headers["Location"] == "/auth/login"
    assert _user(db, "office").is_locked(factories.now())
    again = _post_login(client, "office", factories.PASSWORD)
    assert again.status_code == 200 and FAILURE in again.text


def test_c09_a_right_password_does_not_reset_the_failures(client, db, world, enrolled, frozen):
    """Password, 4 wrong codes, password again, 1 wrong code: locked (the count is kept
    until a right code)."""
    wrong = _wrong(enrolled)
    _post_login(client, "office", factories.PASSWORD)
    for _ in range(4):
        _code(client, wrong)
    _post_login(client, "office", factories.PASSWORD)
    _code(client, wrong)
    assert _user(db, "office").is_locked(factories.now())


def test_c09_the_code_step_expires(client, world, enrolled, frozen):
    _post_login(client, "office", factories.PASSWORD)
    frozen.shift(timedelta(minutes=6))
    response = client.get("/auth/second-factor")
    assert response.status_code == 303 and response.headers["Location"] == "/auth/login"


def test_c09_without_a_password_the_code_step_is_closed(client, world, enrolled, frozen):
    response = client.get("/auth/second-factor")
    assert response.headers["Location"] == "/auth/login"
    token = csrf_from(client.get("/auth/login").text)
    posted = client.post("/auth/second-factor", data={"csrf_token": token, "code": enrolled.now()})
    assert posted.headers["Location"] == "/auth/login"
    assert _sent_to_login(client.get("/office/"), htmx=False)


def test_c09_an_admin_resets_a_lost_second_factor(
    client, db, world, enrolled, frozen, app, login_as
):
    office = app.test_client()
    _post_login(office, "office", factories.PASSWORD)
    _code(office, enrolled.now())
    login_as("admin")
    user = _user(db, "office")
    assert (
        _post(
            client, f"/admin/users/{user.id}/second-factor", page=f"/admin/users/{user.id}"
        ).status_code
        == 303
    )
    assert _user(db, "office").totp_secret is None
    assert _sent_to_login(office.get("/office/"), htmx=False)
    assert _post_login(office, "office", factories.PASSWORD).headers["Location"] == "/office/"
    assert (
        db.session.scalar(
            sa.select(AuditLog.user_id).where(AuditLog.action == "second_factor_reset")
        )
        == world.users["admin"].id
    )


class TestRequiredForStaff:
    """REQUIRE_STAFF_MFA (等保 level 3): staff without a second factor enrol right after the
    password, before any other page; enterprise users are not asked."""

    @pytest.fixture
    def app_config(self):
        return {"REQUIRE_STAFF_MFA": True}

    @HTMX
    def test_c09_staff_without_a_factor_must_enrol_first(self, client, db, world, frozen, htmx):
        assert _post_login(client, "handler", factories.PASSWORD).status_code == 303
        for path in ("/workbench/", "/auth/password", "/notifications/", "/"):
            assert _sent_to(_get(client, path, htmx), "/auth/second-factor/enrol", htmx)
        page = BeautifulSoup(client.get("/auth/second-factor/enrol").text, "html.parser")
        secret = page.select_one("code.secret").text.replace(" ", "")
        _post(client, "/auth/second-factor/enrol", {"code": pyotp.TOTP(secret).now()})
        assert client.get("/workbench/").status_code == 200

    def test_c09_enterprise_users_are_not_asked(self, client, world):
        _post_login(client, "13800000001", factories.PASSWORD)
        assert client.get("/cases").status_code == 200


# --------------------------------------------------------------------------- admin pages


def _admin_posts(user_id):
    return {
        f"/admin/users/{user_id}/role": {"role": "head", "unit": ""},
        f"/admin/users/{user_id}/active": {"active": "0"},
        f"/admin/users/{user_id}/password": {},
        f"/admin/users/{user_id}/second-factor": {},
        "/admin/users/new": {"name": "x", "username": "xx", "role": "office", "unit": ""},
    }


def test_c28_a_role_change_is_audited(client, db, world, login_as):
    """One audit row: who (the admin), whom (the user), old → new role, UTC time, IP."""
    admin = login_as("admin")
    handler = world.users["handler"]
    response = _post(
        client,
        f"/admin/users/{handler.id}/role",
        {"role": "head", "unit": str(world.department.id)},
        page=f"/admin/users/{handler.id}",
    )
    assert response.status_code == 303
    assert _user(db, "handler").role is Role.HEAD
    rows = db.session.scalars(sa.select(AuditLog).where(AuditLog.action == "role_change")).all()
    assert len(rows) == 1
    row = rows[0]
    assert (row.user_id, row.object_type, row.object_id, row.result, row.ip) == (
        admin.id,
        "user",
        str(handler.id),
        "success",
        "127.0.0.1",
    )
    assert "handler\u2192head" in row.detail
    assert row.at.tzinfo is not None
    assert factories.PASSWORD not in row.detail


def test_c28_every_account_change_is_audited(client, db, world, login_as):
    login_as("admin")
    handler = world.users["handler"]
    for path, data in _admin_posts(handler.id).items():
        if path.endswith("/role"):
            data = {"role": "head", "unit": str(world.department.id)}
        if path.endswith("/new"):
            data = {**data, "unit": str(world.office.id)}
        _post(
            client,
            path,
            data,
            page="/admin/users/new" if path.endswith("/new") else f"/admin/users/{handler.id}",
        )
    actions = db.session.scalars(
        sa.select(AuditLog.action).where(AuditLog.object_type == "user", AuditLog.action != "login")
    ).all()
    assert sorted(actions) == [
        "password_reset",
        "role_change",
        "second_factor_reset",
        "user_create",
        "user_disable",
    ]


@pytest.mark.parametrize("role", [r.value for r in Role if r is not Role.ADMIN])
def test_c11_only_the_admin_reaches_user_management(client, db, world, login_as, role):
    login_as(role)
    target = world.users["handler"].id
    for path in ("/admin/users", "/admin/users/new", f"/admin/users/{target}"):
        assert client.get(path).status_code == 403, path
    token = csrf_from(client.get("/auth/password").text)
    for path, data in _admin_posts(target).items():
        assert client.post(path, data={"csrf_token": token, **data}).status_code == 403, path
    assert _user(db, "handler").role is Role.HANDLER and _user(db, "handler").active


def test_c11_a_user_that_does_not_exist_is_404(client, world, login_as):
    login_as("admin")
    assert client.get("/admin/users/999999").status_code == 404
    token = csrf_from(client.get("/admin/users").text)
    for path, data in _admin_posts(999999).items():
        if not path.endswith("/new"):
            assert client.post(path, data={"csrf_token": token, **data}).status_code == 404


def test_c11_anonymous_users_are_sent_to_login(client, world):
    target = world.users["handler"].id
    for path in ("/admin/users", "/admin/users/new", f"/admin/users/{target}"):
        assert _sent_to_login(client.get(path), htmx=False)


@pytest.mark.parametrize("token", [None, "wrong"], ids=["no-token", "wrong-token"])
def test_c21_every_user_management_post_needs_a_csrf_token(client, db, world, login_as, token):
    login_as("admin")
    handler = world.users["handler"]
    before = db.session.scalar(sa.select(sa.func.count()).select_from(AuditLog))
    for path, data in _admin_posts(handler.id).items():
        form = dict(data) if token is None else {"csrf_token": token, **data}
        assert client.post(path, data=form).status_code == 400, path
        htmx = client.post(
            path, data=data, headers={"HX-Request": "true", "X-CSRFToken": token or ""}
        )
        assert htmx.status_code == 400, path
    user = _user(db, "handler")
    assert (user.role, user.active, user.session_version) == (Role.HANDLER, True, 1)
    assert _user(db, "xx") is None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditLog)) == before
