"""The database away (issue 18 item 1; SECURITY.md "nothing lost" 8, checklist 32 and 36):
while it cannot be reached, every page, signed in or not, whole or as an htmx fragment,
answers the portal's own 503 in the user's language, with Retry-After, the security headers
and an error id; a POSTed form comes back with what was typed under "系统繁忙，请稍后再次提交",
and sending it again makes one case. The answer is drawn without the database.

Here the database goes away as a restarting server looks to the app: the pool's
connections are gone and every new connection is refused by the driver (psycopg's or
sqlite3's OperationalError), on SQLite and PostgreSQL alike; or the server drops the
connection in the middle of a request, after the user was loaded. The same with a real
PostgreSQL stopped under gunicorn: tests/security/test_faults.py
(test_c36_postgresql_stopped_every_page_is_the_503_and_a_resent_form_makes_one_case).
"""

from __future__ import annotations

import io
import re
from contextlib import contextmanager

import pytest
import sqlalchemy as sa
from bs4 import BeautifulSoup

from portal.domain.models import Case
from tests.conftest import csrf_from
from tests.security.test_csrf_headers import _check_headers, _whistle_data

BUSY = "系统繁忙，请稍后再次提交"


@contextmanager
def away(db):
    """The database refuses every new connection (a server down or restarting); yields the
    list of connection attempts made meanwhile."""
    db.session.remove()
    db.engine.dispose()
    attempts = []

    def refuse(dialect, _record, _cargs, _cparams):
        attempts.append(1)
        raise dialect.loaded_dbapi.OperationalError(
            "unable to open database file"
            if dialect.name == "sqlite"
            else "connection refused: the database system is shutting down"
        )

    sa.event.listen(db.engine, "do_connect", refuse)
    try:
        yield attempts
    finally:
        sa.event.remove(db.engine, "do_connect", refuse)
        db.session.remove()


def check_503(response, *, fragment: bool = False, english: bool = False) -> BeautifulSoup:
    """The portal's 503: Retry-After, the security headers, an error id, the user's
    language; a whole page, or only the swapped part for htmx."""
    assert response.status_code == 503, response.text[:300]
    assert int(response.headers["Retry-After"]) > 0
    _check_headers(response, response.request.path)
    page = BeautifulSoup(response.text, "html.parser")
    assert re.fullmatch(r"[0-9a-f]{8}", page.select_one("code").text.strip())
    assert ("<html" in response.text) is (not fragment)
    title = page.select_one("#unavailable-title").text
    assert title == ("Service unavailable" if english else "服务暂不可用")
    for leak in ("OperationalError", "Traceback", "shutting down", "unable to open"):
        assert leak not in response.text
    return page


@pytest.mark.parametrize("htmx", [False, True], ids=["page", "fragment"])
@pytest.mark.parametrize(
    "role,path",
    [
        (None, "/"),
        (None, "/auth/register"),
        ("enterprise", "/cases"),
        ("enterprise", "/whistle"),
        ("office", "/office/"),
        ("handler", "/workbench/"),
        ("admin", "/admin/"),
    ],
)
def test_c36_every_page_is_the_503_without_touching_the_database(
    client, db, world, login_as, role, path, htmx
):
    if role:
        login_as(role)
    headers = {"HX-Request": "true"} if htmx else {}
    with away(db) as attempts:
        response = client.get(path, headers=headers)
    check_503(response, fragment=htmx)
    # One try to reach the database (loading the user, or the page's own query); drawing
    # the 503 tried nothing more.
    assert len(attempts) == 1
    # Nobody is shown as signed in, and nobody is signed out: the page works again after.
    assert "退出" not in response.text
    if role:
        assert client.get(path).status_code == 200


def test_c36_the_503_speaks_the_users_language(client, db, world):
    token = csrf_from(client.get("/").text)
    client.post("/auth/language", data={"lang": "en", "csrf_token": token, "next": "/"})
    with away(db):
        response = client.get("/")
    page = check_503(response, english=True)
    assert "The system is busy" in page.text and page.html["lang"] == "en"


def test_c36_the_database_lost_mid_request_is_the_503(client, db, world, login_as):
    """The server drops the connection after the user was loaded: the 503 still draws the
    header without the user (no unread count, no name)."""
    login_as("office")
    statements = []

    def drop(_conn, _cursor, statement, _params, _context, _many):
        statements.append(statement)
        if len(statements) == 2:
            raise sa.exc.OperationalError(
                statement, {}, Exception("server closed the connection unexpectedly")
            )

    sa.event.listen(db.engine, "before_cursor_execute", drop)
    try:
        response = client.get("/office/")
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", drop)
    check_503(response)
    assert len(statements) == 2  # the user's row, then the page's query; nothing after
    assert world.users["office"].name not in response.text


def _whistle_form(client) -> dict:
    page = client.get("/whistle")
    key = BeautifulSoup(page.text, "html.parser").select_one("#submission_key")["value"]
    return _whistle_data(
        csrf_from(page.text),
        submission_key=key,
        content="春节后一线工人缺口约30人，\n已在网上发布招聘，仍招不到人。",
        confirm_new="1",
    )


def form_of(page: BeautifulSoup) -> tuple[str, dict[str, list[str]], list[str]]:
    """The form the 503 gives back: its action, the fields it would send, its file inputs."""
    form = page.select_one("form.replay")
    data: dict[str, list[str]] = {}
    for field in form.select("input, textarea"):
        if field.get("type") == "file":
            continue
        value = field.text if field.name == "textarea" else field.get("value", "")
        data.setdefault(field["name"], []).append(value)
    files = [f["name"] for f in form.select("input[type=file]")]
    return form["action"], data, files


def _cases() -> int:
    from portal.extensions import db

    return db.session.scalar(sa.select(sa.func.count()).select_from(Case))


@pytest.mark.parametrize("htmx", [False, True], ids=["page", "boosted"])
def test_c36_a_posted_whistle_comes_back_typed_and_resent_makes_one_case(
    client, db, world, login_as, htmx
):
    login_as("enterprise")
    sent = _whistle_form(client)
    headers = {"HX-Request": "true", "HX-Boosted": "true"} if htmx else {}
    with away(db):
        response = client.post("/whistle", data=sent, headers=headers)
    page = check_503(response)
    assert BUSY in page.text
    action, again, files = form_of(page)
    assert action == "/whistle" and files == []
    # What was typed is there to edit; the hidden parts (the submission key) as they were;
    # a fresh CSRF token.
    assert page.select_one("textarea[name=content]").text == sent["content"]
    assert page.select_one("input[name=title]")["type"] == "text"
    assert page.select_one("input[name=submission_key]")["type"] == "hidden"
    for name in ("submission_key", "title", "content", "contact_name", "category", "level"):
        assert again[name] == [sent[name]], name
    assert again["csrf_token"][0]
    assert _cases() == 0

    # The database is back: the form sent again makes the case, and once more, no other.
    first = client.post("/whistle", data=again, headers=headers)
    assert first.status_code == 303 and first.headers["Location"].startswith("/cases/")
    second = client.post("/whistle", data=again, headers=headers)
    assert (second.status_code, second.headers["Location"]) == (303, first.headers["Location"])
    assert _cases() == 1
    case = db.session.scalar(sa.select(Case))
    assert case.submission_key == sent["submission_key"] and case.content == sent["content"]


def test_c36_files_are_asked_for_again(client, db, world, login_as):
    login_as("enterprise")
    data = _whistle_form(client)
    data["attachments"] = [(io.BytesIO(b"%PDF-1.4 x"), "证明.pdf")]
    with away(db):
        response = client.post("/whistle", data=data, content_type="multipart/form-data")
    page = check_503(response)
    _action, _again, files = form_of(page)
    assert files == ["attachments"]
    assert page.select_one("form.replay")["enctype"] == "multipart/form-data"


def test_c36_no_password_comes_back(client, db, world):
    token = csrf_from(client.get("/auth/login").text)
    with away(db):
        response = client.post(
            "/auth/login",
            data={"login": "office", "password": "hunter2-secret", "csrf_token": token},
        )
    page = check_503(response)
    assert "hunter2-secret" not in response.text
    assert page.select_one("input[name=password]")["type"] == "password"
    assert page.select_one("input[name=login]")["value"] == "office"


def test_c36_a_staff_step_comes_back_with_its_version(client, db, world, login_as):
    """An htmx step on a case page: the fragment gives the step back with the case's
    version, so a resend cannot overwrite what someone else did meanwhile."""
    from tests import factories

    case = factories.case(db.session, world.city, enterprise=world.enterprise)
    db.session.commit()
    login_as("office")
    page = client.get(f"/office/cases/{case.number}")
    version = BeautifulSoup(page.text, "html.parser").select_one('input[name="refuse-version"]')[
        "value"
    ]
    with away(db):
        response = client.post(
            f"/office/cases/{case.number}/refuse",
            data={
                "csrf_token": csrf_from(page.text),
                "refuse-version": version,
                "refuse-reason": "7",
                "refuse-message": "联系不上，请重新提交联系方式。",
            },
            headers={"HX-Request": "true"},
        )
    soup = check_503(response, fragment=True)
    assert BUSY in soup.text
    _action, again, _files = form_of(soup)
    assert again["refuse-version"] == [version]
    assert again["refuse-message"] == ["联系不上，请重新提交联系方式。"]


def test_c36_the_api_answers_problem_json(client, db, world):
    with away(db):
        response = client.post(
            "/api/v1/work-orders", json={}, headers={"Authorization": "Bearer nothing"}
        )
    assert response.status_code == 503
    assert response.mimetype == "application/problem+json"
    assert int(response.headers["Retry-After"]) > 0
    body = response.get_json()
    assert body["status"] == 503 and re.fullmatch(r"[0-9a-f]{8}", body["error_id"])


def test_c36_healthz_says_unavailable(client, db):
    with away(db):
        response = client.get("/healthz")
    assert response.status_code == 503 and response.get_json()["database"] == "unreachable"


def test_c32_a_bug_stays_a_500(app, client, db, world):
    """Only "cannot reach the database" is a 503: a wrong query is still the 500 with its
    id (checklist 32), not hidden as busy."""
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.get("/broken-query")
    def broken_query():
        db.session.execute(sa.text("SELECT no_such_column FROM no_such_table"))

    response = client.get("/broken-query")
    assert response.status_code == 500 and "Retry-After" not in response.headers
