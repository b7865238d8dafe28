"""Typed work survives an ended session (issue 17 item 1): a form posted after the idle
timeout, or with the session cookie gone, is kept; sign-in says so and leads back to the
same form filled in as typed. The header's poll neither extends the idle timeout nor sends
the page away; it warns two minutes before the end."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import sqlalchemy as sa
import time_machine
from bs4 import BeautifulSoup

from portal.domain.models import Case, KeptForm, Role
from tests import factories
from tests.conftest import csrf_from

SAME_SITE = {"Origin": "http://localhost"}
TIMED_OUT = "登录已超时，请重新登录，您填写的内容已保留"
TITLE = "厂区道路破损影响货车进出"
CONTENT = "厂区门口道路破损严重，雨天积水，货车无法进出，请协调修复。"


def _whistle_data(client) -> dict:
    page = BeautifulSoup(client.get("/whistle").text, "html.parser")
    return {
        "csrf_token": csrf_from(str(page)),
        "submission_key": page.select_one("#submission_key")["value"],
        "level": "local",
        "case_type": "business",
        "category": "4",
        "title": TITLE,
        "content": CONTENT,
        "contact_name": "王经理",
        "contact_phone": "13800000001",
    }


def _sign_in(client, user, password=factories.PASSWORD, next_url=""):
    page = client.get("/auth/login" + (f"?next={next_url}" if next_url else ""))
    assert TIMED_OUT in page.text
    return client.post(
        "/auth/login",
        data={
            "csrf_token": csrf_from(page.text),
            "login": user.mobile or user.username,
            "password": password,
            "next": next_url,
        },
    )


def _login_target(response) -> str:
    assert response.status_code == 302, response.status_code
    location = urlsplit(response.headers["Location"])
    assert location.path == "/auth/login"
    return parse_qs(location.query)["next"][0]


def _restored(client, path: str) -> BeautifulSoup:
    page = client.get(path)
    assert page.status_code == 200
    return BeautifulSoup(page.text, "html.parser")


class TestWhistleAfterIdleTimeout:
    def test_the_form_comes_back_as_typed_after_sign_in(self, client, db, world, login_as):
        user = login_as("enterprise")
        data = _whistle_data(client)
        with time_machine.travel(timedelta(minutes=31)):
            response = client.post("/whistle", data=data, headers=SAME_SITE)
            assert _login_target(response) == "/whistle"
            assert db.session.scalar(sa.select(sa.func.count(Case.id))) == 0
            signed_in = _sign_in(client, user, next_url="/whistle")
            assert signed_in.headers["Location"] == "/whistle"
            page = _restored(client, "/whistle")
        assert page.select_one("#title")["value"] == TITLE
        assert page.select_one("#content").get_text().strip() == CONTENT
        assert page.select_one("#submission_key")["value"] == data["submission_key"]
        assert "您填写的内容已恢复" in page.get_text()
        kept = db.session.scalar(sa.select(sa.func.count(KeptForm.id)))
        assert kept == 0  # used once
        # Ready to submit: the restored page's token and values make a case.
        with time_machine.travel(timedelta(minutes=32)):
            form = {
                i["name"]: i.get("value", "")
                for i in page.select("form[action='/whistle'] input")
                if i.get("name") and i.get("type") not in ("radio", "checkbox", "file")
            }
            form.update(level="local", case_type="business", category="4", content=CONTENT)
            done = client.post("/whistle", data=form)
        assert done.status_code == 303, done.text[:300]
        assert db.session.scalar(sa.select(Case.title)) == TITLE

    def test_passwords_and_tokens_are_never_kept(self, client, db, world, login_as):
        login_as("enterprise")
        data = _whistle_data(client) | {"password": "secret-123", "code": "123456"}
        with time_machine.travel(timedelta(minutes=31)):
            client.post("/whistle", data=data, headers=SAME_SITE)
        row = db.session.scalar(sa.select(KeptForm))
        names = {name for name, _ in row.fields}
        assert {"title", "content", "submission_key"} <= names
        assert not names & {"csrf_token", "password", "code"}
        assert "whistle" not in row.path or row.path == "/whistle"

    def test_another_account_does_not_get_it(self, client, db, world, login_as):
        login_as("enterprise")
        data = _whistle_data(client)
        other = factories.user(
            db.session, Role.ENTERPRISE, enterprise=world.enterprise, mobile="13800000077"
        )
        db.session.commit()
        with time_machine.travel(timedelta(minutes=31)):
            client.post("/whistle", data=data, headers=SAME_SITE)
            _sign_in(client, other, next_url="/whistle")
            page = _restored(client, "/whistle")
        assert page.select_one("#title").get("value", "") == ""
        assert db.session.scalar(sa.select(sa.func.count(KeptForm.id))) == 0

    def test_a_post_from_another_site_is_not_kept(self, client, db, world, login_as):
        login_as("enterprise")
        data = _whistle_data(client)
        with time_machine.travel(timedelta(minutes=31)):
            response = client.post("/whistle", data=data, headers={"Origin": "https://evil.test"})
        assert response.status_code == 302
        assert "next" not in response.headers["Location"]
        assert db.session.scalar(sa.select(sa.func.count(KeptForm.id))) == 0


def test_a_form_posted_without_its_session_cookie_is_kept(app, db, world, login_as, client):
    user = login_as("enterprise")
    data = _whistle_data(client)
    fresh = app.test_client()  # the cookie is gone: no session, no CSRF token in it
    response = fresh.post("/whistle", data=data, headers=SAME_SITE)
    assert _login_target(response) == "/whistle"
    _sign_in(fresh, user, next_url="/whistle")
    page = _restored(fresh, "/whistle")
    assert page.select_one("#title")["value"] == TITLE


def test_a_csrf_refusal_names_listed_fields_by_their_labels(client, db, world, login_as):
    """A refused token (session alive): what was typed is shown under the fields' labels,
    "问题诉求名称（第1项）", never `problems-0-name`."""
    login_as("liaison")
    enterprise = world.enterprise
    response = client.post(
        f"/contacts/enterprises/{enterprise.id}/contact",
        data={
            "csrf_token": "wrong",
            "contacted_on": "2026-12-01",
            "method": "visit",
            "problems-0-name": "道路破损",
            "problems-0-content": "门口道路需要修复",
        },
    )
    assert response.status_code == 400
    page = BeautifulSoup(response.text, "html.parser")
    labels = [label.get_text() for label in page.select(".csrf-refused label")]
    assert "问题诉求名称（第1项）" in labels
    assert not any("problems-" in label for label in labels)


class TestIdleClock:
    def test_the_poll_does_not_extend_the_idle_timeout(self, client, world, login_as):
        login_as("office")
        for minutes in (10, 20, 29):
            with time_machine.travel(timedelta(minutes=minutes)):
                assert (
                    client.get("/notifications/count", headers={"HX-Request": "true"}).status_code
                    == 200
                )
        with time_machine.travel(timedelta(minutes=31)):
            assert client.get("/office/").status_code == 302

    def test_a_warning_comes_two_minutes_before_the_end(self, client, world, login_as):
        login_as("office")
        poll = {"HX-Request": "true"}
        with time_machine.travel(timedelta(minutes=20)):
            assert "session-notice" not in client.get("/notifications/count", headers=poll).text
        with time_machine.travel(timedelta(minutes=27, seconds=30)):
            warned = BeautifulSoup(
                client.get("/notifications/count", headers=poll).text, "html.parser"
            )
        notice = warned.select_one("#session-notice[hx-swap-oob]")
        assert "3 分钟" in notice.get_text() or "3分钟" in notice.get_text()
        assert notice.select_one("form[action='/auth/keep-alive'] button")

    def test_staying_signed_in_restarts_the_clock(self, client, world, login_as):
        login_as("office")
        with time_machine.travel(timedelta(minutes=28)):
            token = csrf_from(
                client.get("/notifications/count", headers={"HX-Request": "true"}).text
            )
            kept = client.post(
                "/auth/keep-alive", data={"csrf_token": token}, headers={"HX-Request": "true"}
            )
            assert kept.status_code == 200 and 'id="session-notice"' in kept.text
        with time_machine.travel(timedelta(minutes=50)):
            assert client.get("/office/").status_code == 200

    def test_after_the_end_the_poll_stays_on_the_page(self, client, world, login_as):
        login_as("office")
        with time_machine.travel(timedelta(minutes=31)):
            response = client.get("/notifications/count", headers={"HX-Request": "true"})
        assert response.status_code == 286  # htmx stops polling
        assert "HX-Redirect" not in response.headers
        assert "您填写的内容" in response.text
