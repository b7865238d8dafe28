"""Faults, done for real (issue 9 item 7; SECURITY.md "What nothing lost means" and
checklist 27, 32-36): gunicorn instances of their own, a Redis of their own that is stopped
mid-run, a PostgreSQL cluster of their own that is restarted under load.

Check -> tests (skips and why):

- 27 Redis stopped: test_c27_redis_stopped_the_site_serves_the_login_limit_holds_and_is_logged
- 32 errors: test_c32_an_exception_in_production_config_shows_an_id_and_no_trace (a page and
  an htmx fragment); also tests/test_pages.py::test_an_unexpected_error_shows_an_id_and_no_trace
- 33 double submit: test_c33_concurrent_duplicate_posts_and_a_retry_make_one_case (real HTTP,
  two workers); also tests/test_enterprise.py::TestWhistle::test_a_resend_creates_no_second_case
- 34 concurrent edit: test_c34_two_sessions_save_the_same_case_the_second_gets_the_conflict_page,
  test_c34_two_instances_share_sessions_limits_and_cases; also
  tests/test_casework.py::test_no_lost_update_when_two_staff_act_at_once
- 35 atomicity: test_c35_a_failed_insert_mid_step_leaves_nothing (the event's insert, the
  outbox's insert)
- 36 DB restart: test_c36_postgresql_restarted_under_load (a private cluster, on SQLite and
  PostgreSQL runs alike; skipped only where initdb or runuser is missing)

Skips: the gunicorn tests need the venv's gunicorn, the Redis ones redis-server.

Check 36 counts the failures among requests sent once the restarted server accepts
connections again (at most one per worker); requests that arrive while the server is down
cannot be served and must fail cleanly (the error page, never a dropped connection), and
leave no partial rows.
"""

from __future__ import annotations

import glob
import http.cookiejar
import logging
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa
from bs4 import BeautifulSoup

from portal import create_app
from portal.config import Config
from portal.domain import workflow
from portal.domain.calendar import WorkCalendar
from portal.domain.models import AuditLog, Case, CaseEvent, CaseState, Notification
from tests import factories
from tests.conftest import IS_POSTGRES, csrf_from
from tests.test_casework import post_step

# Fault drills: gunicorn instances, Redis stopped, PostgreSQL restarted (make test-fast skips).
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent.parent
GUNICORN = Path(sys.executable).with_name("gunicorn")
needs_gunicorn = pytest.mark.skipif(not GUNICORN.exists(), reason="needs the venv's gunicorn")
needs_cluster = pytest.mark.skipif(
    not sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb")) or shutil.which("runuser") is None,
    reason="needs PostgreSQL's initdb (/usr/lib/postgresql/*/bin) and runuser to run a "
    "private cluster",
)
needs_redis = pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server")
SECRET = "two-instances-share-this-secret-" + "x" * 32


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(port: int, path: str = "/healthz", timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=2):
                return
        except (urllib.error.URLError, ConnectionError, OSError):
            time.sleep(0.2)
    raise TimeoutError(f"nothing answers on {port}")


@contextmanager
def gunicorns(database_url: str, log_dir: Path, *, count: int = 1, workers: int = 1, **env_extra):
    """`count` gunicorn instances of `workers` workers each on the same database; yields
    their ports; their error logs go to log_dir/gunicorn-<port>.log."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "SECRET_KEY": SECRET,
        "REDIS_URL": "memory://",
        "JOBS_BACKEND": "immediate",
        **env_extra,
    }
    ports, processes = [free_port() for _ in range(count)], []
    for port in ports:
        processes.append(
            subprocess.Popen(
                [
                    str(GUNICORN),
                    "--bind",
                    f"127.0.0.1:{port}",
                    "--workers",
                    str(workers),
                    "--timeout",
                    "60",
                    "--chdir",
                    str(ROOT),
                    "wsgi:app",
                ],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=open(log_dir / f"gunicorn-{port}.log", "w"),
            )
        )
    try:
        for port in ports:
            wait_for(port)
        yield ports
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            process.wait(20)


@pytest.fixture()
def redis_port():
    """A Redis of this test's own, so that stopping it touches nobody else."""
    port = free_port()
    server = subprocess.Popen(
        [
            "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                break
        time.sleep(0.1)
    yield port, server
    if server.poll() is None:
        server.terminate()
        server.wait(10)


@pytest.fixture()
def instances(app, world, redis_port, tmp_path):
    """Two gunicorn instances that share only the database and Redis, as behind nginx."""
    port_redis, _server = redis_port
    with gunicorns(
        app.config["SQLALCHEMY_DATABASE_URI"],
        tmp_path,
        count=2,
        REDIS_URL=f"redis://127.0.0.1:{port_redis}/0",
        LOGIN_RATE_LIMIT="4 per minute",
        LOGIN_FALLBACK_RATE_LIMIT="2 per minute",
    ) as ports:
        yield ports


class Browser:
    """One person's cookies, whichever instance answers (cookies do not depend on the port)."""

    def __init__(self):
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), NoRedirect
        )

    def get(self, port: int, path: str) -> tuple[int, str]:
        return self._open(urllib.request.Request(f"http://127.0.0.1:{port}{path}"))

    def post(self, port: int, path: str, data: dict) -> tuple[int, str]:
        body = urllib.parse.urlencode(data).encode()
        return self._open(urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=body))

    def post_for_location(self, port: int, path: str, data: dict) -> tuple[int, str]:
        """POST; the status and the Location answered (a redirect is not followed)."""
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}{path}", data=urllib.parse.urlencode(data).encode()
        )
        try:
            with self.opener.open(request, timeout=30) as response:
                return response.status, response.headers.get("Location", "")
        except urllib.error.HTTPError as error:
            return error.code, error.headers.get("Location", "")

    def _open(self, request) -> tuple[int, str]:
        try:
            with self.opener.open(request, timeout=20) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def token(self, port: int, path: str) -> str:
        _status, html = self.get(port, path)
        return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)[1]

    def sign_in(self, port: int, login: str, password: str) -> int:
        token = self.token(port, "/auth/login")
        status, _html = self.post(
            port, "/auth/login", {"login": login, "password": password, "csrf_token": token}
        )
        return status

    def cookie_header(self) -> str:
        return "; ".join(f"{c.name}={c.value}" for c in self.jar)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def whistle_form(browser: Browser, port: int, **overrides) -> dict:
    """The whistle form as the page gives it (CSRF token, a fresh submission_key), filled."""
    status, html = browser.get(port, "/whistle")
    soup = BeautifulSoup(html, "html.parser")
    # While the database is away the page is the 503 (with a CSRF token, but no form).
    assert soup.select_one("#submission_key") is not None, f"no whistle form ({status})"
    data = {
        "csrf_token": csrf_from(html),
        "submission_key": soup.select_one("#submission_key")["value"],
        "level": "local",
        "case_type": "business",
        "category": "4",
        "title": "春节后缺工30人",
        "content": "春节后一线工人缺口约30人，已在网上发布招聘，仍招不到人。",
        "contact_name": "王经理",
        "contact_phone": "13800000001",
        "confirm_new": "1",
    }
    data.update(overrides)
    return data


# ------------------------------------------------------------------ 34 (and 26): two instances


def _office_on_a(instances, db, world):
    """The two ports, a new case, and the office's browser signed in on the first."""
    a, b = instances
    case = factories.case(db.session, world.city, enterprise=world.enterprise)
    db.session.commit()
    browser = Browser()
    assert browser.sign_in(a, world.users["office"].username, factories.PASSWORD) == 303
    return a, b, case, browser


@needs_gunicorn
@needs_redis
def test_c34_two_instances_share_sessions_limits_and_cases(instances, db, world):
    """A login made on one instance holds on the other, a rate limit counts across both,
    and a case edited on one refuses the other's stale form (409)."""
    a, b, case, browser = _office_on_a(instances, db, world)
    status, page = browser.get(b, "/office/")
    assert status == 200 and case.number in page

    # Both forms read on the case as it is; the step taken on A makes B's form stale.
    _s, on_a = browser.get(a, f"/office/cases/{case.number}")
    _s, on_b = browser.get(b, f"/office/cases/{case.number}")
    version = re.search(r'name="accept-version"[^>]*value="(\d+)"', on_a)[1]
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', on_b)[1]
    status, _html = browser.post(
        a, f"/office/cases/{case.number}/accept", {"csrf_token": token, "accept-version": version}
    )
    assert status == 303
    status, html = browser.post(
        b, f"/office/cases/{case.number}/accept", {"csrf_token": token, "accept-version": version}
    )
    assert status == 409

    # The login limit (4 a minute from one address here) counts the attempts made on either
    # instance: the sign-in above on A, then three wrong guesses on B, A, B; the next is
    # refused wherever it lands.
    guesser = Browser()
    answers = [guesser.sign_in((b, a)[n % 2], "office", "wrong-password") for n in range(5)]
    assert answers == [200, 200, 200, 429, 429]


@needs_gunicorn
@needs_redis
def test_a_case_registered_on_one_is_handled_on_the_other(instances, db, world):
    """No state in the processes: what A wrote, B reads at once."""
    a, b = instances
    handler = Browser()
    assert handler.sign_in(b, world.users["handler"].username, factories.PASSWORD) == 303
    case = factories.case(db.session, world.city, enterprise=world.enterprise, title="跨实例")
    workflow.accept(db.session, WorkCalendar(), case, by=world.users["office"], at=factories.now())
    workflow.dispatch(
        db.session,
        WorkCalendar(),
        case,
        by=world.users["office"],
        at=factories.now(),
        lead=world.department,
    )
    db.session.commit()
    for port in (a, b):
        status, page = handler.get(port, "/workbench/")
        assert status == 200 and "跨实例" in page


# ------------------------------------------------------------------ 27


@needs_gunicorn
@needs_redis
def test_c27_redis_stopped_the_site_serves_the_login_limit_holds_and_is_logged(
    instances, db, world, redis_port, tmp_path
):
    """SECURITY.md: "Rate limits use Redis in production with an in-memory fallback when
    Redis is down (stricter for login), never a 500"; "alert on storage errors"."""
    a, b, case, browser = _office_on_a(instances, db, world)
    office = world.users["office"]

    _port, server = redis_port
    server.terminate()
    server.wait(10)

    # The site still serves, signed-in pages and sign-ins alike.
    for port in (a, b):
        status, page = browser.get(port, "/office/")
        assert status == 200 and case.number in page
    assert Browser().sign_in(b, office.username, factories.PASSWORD) == 303
    # The whistle form (limited too) still takes a submission.
    enterprise = Browser()
    assert enterprise.sign_in(a, world.users["enterprise"].mobile, factories.PASSWORD) == 303
    status, location = enterprise.post_for_location(a, "/whistle", whistle_form(enterprise, a))
    assert status == 303 and location.startswith("/cases/")

    # The login limit holds, stricter: 2 a minute per worker (4 with Redis). On B one
    # sign-in above; on A the enterprise's above; each takes one more, then 429.
    guesser = Browser()
    assert guesser.sign_in(b, "office", "wrong-password") == 200
    assert guesser.sign_in(b, "office", "wrong-password") == 429
    assert guesser.sign_in(a, "office", "wrong-password") == 200
    assert guesser.sign_in(a, "office", "wrong-password") == 429

    # Each instance logged the storage failure as an error.
    for port in (a, b):
        log = (tmp_path / f"gunicorn-{port}.log").read_text()
        assert re.search(r"ERROR.*rate-limit storage \(Redis\) unreachable", log), log[-2000:]


# ------------------------------------------------------------------ 32


def _production_app(database):
    """The app as production configures it: Config (not TestConfig), DEBUG and
    PROPAGATE_EXCEPTIONS off, secure cookies; on PostgreSQL with PRODUCTION=1."""
    config = {k: getattr(Config, k) for k in dir(Config) if k.isupper()}
    config.update(
        SQLALCHEMY_DATABASE_URI=database.fresh(),
        SECRET_KEY=SECRET,
        DEBUG=False,
        TESTING=False,
        PROPAGATE_EXCEPTIONS=False,
        SECURE_COOKIES=True,
        RATELIMIT_STORAGE_URI="memory://",
    )
    if IS_POSTGRES:
        config.update(PRODUCTION=True, JOBS_BACKEND="redis")
    return create_app(config)


@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx"])
def test_c32_an_exception_in_production_config_shows_an_id_and_no_trace(
    database, tmp_path, caplog, htmx
):
    app = _production_app(database)
    assert not app.debug and not app.testing and app.config["PROPAGATE_EXCEPTIONS"] is False

    @app.get("/boom")
    def boom():
        raise RuntimeError("secret detail: password=hunter2 at /srv/portal/x.py")

    headers = {"HX-Request": "true"} if htmx else {}
    with caplog.at_level(logging.ERROR):
        response = app.test_client().get(
            "/boom", headers=headers, base_url="https://portal.example"
        )
    assert response.status_code == 500
    for leak in ("secret detail", "hunter2", "RuntimeError", "Traceback", 'File "', "/srv/"):
        assert leak not in response.text
    page = BeautifulSoup(response.text, "html.parser")
    error_id = page.code.text.strip()
    assert re.fullmatch(r"[0-9a-f]{8}", error_id)
    assert "系统出错" in page.text
    assert ("<html" in response.text) is (not htmx)
    # The id leads from the page to the log, where the trace is.
    logged = [r for r in caplog.records if error_id in r.getMessage()]
    assert logged and logged[0].exc_info is not None
    with app.app_context():
        from portal.extensions import db

        db.engine.dispose()


# ------------------------------------------------------------------ 33


@needs_gunicorn
def test_c33_concurrent_duplicate_posts_and_a_retry_make_one_case(app, db, world, tmp_path):
    """SECURITY.md "nothing lost" 2: a hidden submission_key with a UNIQUE constraint; a
    duplicate returns the original receipt. Six copies of one form at once (two workers),
    then the same form sent again by a client that gave up waiting: one case, one receipt."""
    with gunicorns(app.config["SQLALCHEMY_DATABASE_URI"], tmp_path, workers=2) as [port]:
        browser = Browser()
        assert browser.sign_in(port, world.users["enterprise"].mobile, factories.PASSWORD) == 303
        form = whistle_form(browser, port)
        start, answers = threading.Barrier(6), []

        def send():
            start.wait()
            answers.append(browser.post_for_location(port, "/whistle", form))

        threads = [threading.Thread(target=send) for _ in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert len(answers) == 6 and {status for status, _ in answers} == {303}, answers
        [receipt] = {location for _, location in answers}
        assert receipt.startswith("/cases/")

        # A second form, sent by a client that gives up before any answer (it closes the
        # connection at once), then resent.
        retry = whistle_form(browser, port, title="节后返岗")
        body = urllib.parse.urlencode(retry).encode()
        with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
            raw.sendall(
                b"POST /whistle HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                b"Content-Type: application/x-www-form-urlencoded\r\n"
                + f"Content-Length: {len(body)}\r\nCookie: {browser.cookie_header()}"
                "\r\n\r\n".encode()
                + body
            )
        status, again = browser.post_for_location(port, "/whistle", retry)
        assert status == 303 and again.startswith("/cases/") and again != receipt
        status, second = browser.post_for_location(port, "/whistle", retry)
        assert (status, second) == (303, again)
    db.session.expire_all()
    cases = db.session.scalars(sa.select(Case).order_by(Case.id)).all()
    assert [f"/cases/{c.number}" for c in cases] == [receipt, again]
    assert [len(c.events) for c in cases] == [1, 1]


# ------------------------------------------------------------------ 34


def _signed_in(app, user):
    client = app.test_client()
    token = csrf_from(client.get("/auth/login").text)
    response = client.post(
        "/auth/login",
        data={"login": user.username, "password": factories.PASSWORD, "csrf_token": token},
    )
    assert response.status_code == 303
    return client


def test_c34_two_sessions_save_the_same_case_the_second_gets_the_conflict_page(app, db, world):
    """Two office sessions open one case; the first accepts it; the second's refusal,
    made on the page it loaded before, gets the conflict page (409) with the case as it is
    now and what was typed kept; nothing of it is saved."""
    case = factories.case(db.session, world.city, enterprise=world.enterprise)
    db.session.commit()
    first, second = _signed_in(app, world.users["office"]), _signed_in(app, world.users["office"])
    pages = [c.get(f"/office/cases/{case.number}") for c in (first, second)]
    versions = [
        BeautifulSoup(p.text, "html.parser").select_one('input[name="accept-version"]')["value"]
        for p in pages
    ]
    assert versions[0] == versions[1]
    assert (
        first.post(
            f"/office/cases/{case.number}/accept",
            data={"csrf_token": csrf_from(pages[0].text), "accept-version": versions[0]},
        ).status_code
        == 303
    )
    response = second.post(
        f"/office/cases/{case.number}/refuse",
        data={
            "csrf_token": csrf_from(pages[1].text),
            "refuse-version": versions[1],
            "refuse-reason": "7",
            "refuse-message": "联系不上，请重新提交联系方式。",
        },
    )
    assert response.status_code == 409
    soup = BeautifulSoup(response.text, "html.parser")
    assert "有人修改了该诉求" in soup.text
    assert "联系不上，请重新提交联系方式。" in soup.select_one("#refuse-message").text
    assert "已受理" in soup.select_one("#status-title").text
    db.session.expire_all()
    assert case.state is CaseState.ACCEPTED
    assert [e.action for e in case.events] == ["register", "accept"]


# ------------------------------------------------------------------ 35


@pytest.mark.parametrize(
    "failing", ["case_event", "notification", "audit_log"], ids=["event", "outbox", "audit"]
)
def test_c35_a_failed_insert_mid_step_leaves_nothing(app, db, world, client, login_as, failing):
    """SECURITY.md "nothing lost" 4: status change, history, audit and outbox are one
    transaction. The office dispatches a case through the page; the database refuses the
    INSERT of its event (or of the lead unit's notifications, or of the step's audit row,
    written last before the commit) after the case's UPDATE was
    executed: the user gets the error page, and neither the new status nor the event nor
    any notification is kept."""
    app.config["PROPAGATE_EXCEPTIONS"] = False
    case = factories.case(db.session, world.city, enterprise=world.enterprise)
    workflow.accept(db.session, WorkCalendar(), case, by=world.users["office"], at=factories.now())
    db.session.commit()
    number, case_id = case.number, case.id
    login_as("office")
    audited_before = db.session.scalar(sa.select(sa.func.max(AuditLog.id))) or 0
    seen_in_transaction = []

    def fail(conn, _cursor, statement, params, _context, _many):
        # The step's audit row, not the view of the page the form is read from.
        step = failing != "audit_log" or "step" in str(params)
        if step and re.match(rf'\s*INSERT INTO "?{failing}"?\s', statement):
            seen_in_transaction.append(
                conn.exec_driver_sql(f'SELECT state FROM "case" WHERE id = {case_id}').scalar()
            )
            raise RuntimeError("disk full")

    sa.event.listen(db.engine, "before_cursor_execute", fail)
    try:
        response = post_step(
            client,
            "/office",
            case,
            "dispatch",
            lead=str(world.department.id),
            note="请尽快联系企业",
        )
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", fail)
    assert response.status_code == 500
    assert re.fullmatch(
        r"[0-9a-f]{8}", BeautifulSoup(response.text, "html.parser").code.text.strip()
    )
    assert "disk full" not in response.text
    # The UPDATE had been sent in the step's transaction, then the insert failed.
    assert seen_in_transaction == ["dispatched"]
    db.session.expire_all()
    with db.engine.connect() as conn:
        assert conn.scalar(sa.select(Case.state).where(Case.number == number)) is CaseState.ACCEPTED
        assert conn.scalars(
            sa.select(CaseEvent.action).where(CaseEvent.case_id == case_id).order_by(CaseEvent.id)
        ).all() == ["register", "accept"]
        assert conn.scalar(sa.select(sa.func.count()).select_from(Notification)) == 0
        assert conn.scalar(sa.select(Case.lead_unit_id).where(Case.id == case_id)) is None
    # The looks at the case are recorded on their own; the failed step left no record.
    assert set(
        db.session.scalars(sa.select(AuditLog.action).where(AuditLog.id > audited_before))
    ) <= {"view"}


# ------------------------------------------------------------------ 36


def _pg_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(found[-1]).parent if found else None


def as_postgres(*command, check=True) -> subprocess.CompletedProcess:
    """Run a PostgreSQL tool as the `postgres` OS user (initdb refuses root)."""
    return subprocess.run(
        ["runuser", "-u", "postgres", "--", *map(str, command)],
        capture_output=True,
        text=True,
        check=check,
        timeout=120,
    )


@dataclass
class Cluster:
    """A PostgreSQL cluster of a test's own: its folder (owned by `postgres`), port and
    server options; `pg_ctl(...)` drives it."""

    folder: Path
    data: Path
    port: int
    options: str
    bin_dir: Path

    def pg_ctl(self, *args):
        return as_postgres(self.bin_dir / "pg_ctl", "-D", self.data, "-w", "-t", "60", *args)

    def start(self):
        self.pg_ctl("-o", self.options, "-l", self.folder / f"{self.data.name}.log", "start")

    def restart(self):
        self.pg_ctl(
            "-m", "fast", "-o", self.options, "-l", self.folder / f"{self.data.name}.log", "restart"
        )

    def url(self, database: str = "portal") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def another(self, data: Path, options: str = "") -> Cluster:
        """A second server of the same folder (for a restored copy), on a port of its own."""
        port = free_port()
        return Cluster(
            self.folder,
            data,
            port,
            f"-p {port} -k {self.folder} -c listen_addresses=127.0.0.1 {options}",
            self.bin_dir,
        )


def migrate_with_demo_data(url: str) -> None:
    """The schema (the migrations) and the demo data (`flask demo`) in the database at url."""
    from flask_migrate import upgrade

    from portal import demo as demo_data
    from portal.extensions import db as _db
    from tests.conftest import _config

    setup = create_app(_config(url))
    with setup.app_context():
        upgrade()
        demo_data.load(_db.session, password="demo12345", now=factories.now())
        _db.session.commit()
        _db.session.remove()
        _db.engine.dispose()


@contextmanager
def private_postgres(options: str = ""):
    """A PostgreSQL cluster of this test's own (initdb as the `postgres` OS user into a
    temporary folder, on a free port) with a database `portal`; removed at the end."""
    folder = Path(tempfile.mkdtemp(prefix="pg-", dir="/tmp"))
    shutil.chown(folder, "postgres", "postgres")
    cluster = Cluster(folder, folder / "data", 0, "", _pg_bin()).another(
        folder / "data", f"-c fsync=off {options}"
    )
    as_postgres(
        cluster.bin_dir / "initdb",
        "-D",
        cluster.data,
        "-A",
        "trust",
        "-U",
        "postgres",
        "--no-sync",
        "-E",
        "UTF8",
        "--locale",
        "C.UTF-8",
    )
    cluster.start()
    try:
        admin = sa.create_engine(cluster.url("postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text("CREATE DATABASE portal"))
        admin.dispose()
        yield cluster
    finally:
        cluster.pg_ctl("-m", "immediate", "stop")
        shutil.rmtree(folder, ignore_errors=True)


@needs_gunicorn
@needs_cluster
def test_c36_postgresql_restarted_under_load(tmp_path):
    """SECURITY.md "nothing lost" 8 (`pool_pre_ping=True`) and checklist 36: four users
    keep reading and whistling against two workers while the database restarts."""
    from portal.extensions import db as _db
    from tests.conftest import _config

    assert Config.SQLALCHEMY_ENGINE_OPTIONS["pool_pre_ping"] is True
    with private_postgres() as cluster:
        url = cluster.url()
        migrate_with_demo_data(url)
        engine = sa.create_engine(url)
        with engine.connect() as conn:
            last_before = conn.scalar(sa.select(sa.func.max(Case.id))) or 0
        engine.dispose()

        with gunicorns(url, tmp_path, workers=2, DEMO_PASSWORD="demo12345") as [port]:
            users = [Browser() for _ in range(4)]
            for user in users:
                assert user.sign_in(port, "13800000001", "demo12345") == 303
            log, lock, stop = [], threading.Lock(), threading.Event()
            restarted_at = [float("inf")]

            def work(user: Browser, n: int):
                for i in range(400):
                    if stop.is_set():
                        return
                    sent = time.monotonic()
                    try:
                        if i % 6 == 5 and sum(1 for e in log if e[1] == "whistle") < 24:
                            form = whistle_form(
                                user,
                                port,
                                title=f"压力{n}-{i}",
                                content=f"重启期间提交的诉求 {uuid.uuid4().hex}，"
                                "请核实企业用工情况。",
                            )
                            status, where = user.post_for_location(port, "/whistle", form)
                            entry = (sent, "whistle", status, where, form["submission_key"])
                        else:
                            status, _page = user.get(port, "/cases")
                            entry = (sent, "read", status, "", "")
                    except AssertionError:  # the form page itself failed: no form to send
                        entry = (sent, "read", 500, "", "")
                    except (urllib.error.URLError, ConnectionError, OSError, TypeError) as error:
                        entry = (sent, "dropped", 0, repr(error), "")
                    with lock:
                        log.append(entry)
                    time.sleep(0.02)

            threads = [threading.Thread(target=work, args=(u, n)) for n, u in enumerate(users)]
            for thread in threads:
                thread.start()
            time.sleep(2)
            cluster.restart()
            restarted_at[0] = time.monotonic()
            time.sleep(4)
            stop.set()
            for thread in threads:
                thread.join(60)

            after = [e for e in log if e[0] >= restarted_at[0]]
            before = [e for e in log if e[0] < restarted_at[0]]
            ok = (200, 303)
            assert after and before
            assert not [e for e in log if e[1] == "dropped"], "a connection was dropped"
            failed_after = [e for e in after if e[2] not in ok]
            assert len(failed_after) <= 2, failed_after  # at most one per worker
            tail = sorted(after)[-10:]
            assert all(e[2] in ok for e in tail), tail  # then every request succeeds
            # The outage's failures were the error page, never a half answer.
            assert all(e[2] in ok or e[2] in (500, 503) for e in log)

            check = create_app(_config(url))
            with check.app_context():
                cases = _db.session.scalars(sa.select(Case)).all()
                keys = {c.submission_key: c for c in cases}
                for entry in (e for e in log if e[1] == "whistle"):
                    _sent, _kind, status, where, key = entry
                    if status == 303:
                        assert key in keys and where == f"/cases/{keys[key].number}"
                # No partial rows: each case made in the run is whole, with its register
                # event; its number is the next of its year, with no gap or double.
                new = [c for c in cases if c.submission_key and c.id > last_before]
                assert new
                for case in new:
                    assert [e.action for e in case.events] == ["register"]
                seqs = sorted(
                    c.seq
                    for c in cases
                    if c.year == new[0].year and c.jurisdiction_id == new[0].jurisdiction_id
                )
                assert seqs == list(range(seqs[0], seqs[0] + len(seqs)))
                _db.session.remove()
                _db.engine.dispose()


def _get_with_headers(browser: Browser, port: int, path: str, **headers):
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers=headers)
    try:
        with browser.opener.open(request, timeout=20) as response:
            return response.status, response.headers, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read().decode()


@pytest.mark.slow
@needs_gunicorn
@needs_cluster
def test_c36_postgresql_stopped_every_page_is_the_503_and_a_resent_form_makes_one_case(
    tmp_path,
):
    """Issue 18 item 1, with a real server: PostgreSQL stopped under two gunicorn workers.
    Pages (anonymous, enterprise, office; whole and htmx fragments) answer the branded 503
    with Retry-After, the headers and an error id; a whistle posted meanwhile comes back
    typed under "系统繁忙，请稍后再次提交"; once the server is up, that form sent twice makes
    one case."""
    from portal.extensions import db as _db
    from tests.conftest import _config
    from tests.security.test_database_away import BUSY

    with private_postgres() as cluster:
        url = cluster.url()
        migrate_with_demo_data(url)
        with gunicorns(url, tmp_path, workers=2, DEMO_PASSWORD="demo12345") as [port]:
            enterprise, office, visitor = Browser(), Browser(), Browser()
            assert enterprise.sign_in(port, "13800000001", "demo12345") == 303
            assert office.sign_in(port, "office", "demo12345") == 303
            form = whistle_form(enterprise, port, title="停库期间的诉求")

            cluster.pg_ctl("-m", "fast", "stop")
            pages = [
                (visitor, "/", {}),
                (enterprise, "/cases", {}),
                (enterprise, "/cases", {"HX-Request": "true"}),
                (office, "/office/", {}),
                (office, "/office/", {"HX-Request": "true"}),
            ]
            for browser, path, headers in pages:
                for _worker in range(2):  # whichever worker answers
                    status, got, html = _get_with_headers(browser, port, path, **headers)
                    assert status == 503, (path, status, html[:300])
                    assert int(got["Retry-After"]) > 0
                    assert got["X-Frame-Options"] == "DENY" and "frame-ancestors" in got.get(
                        "Content-Security-Policy", ""
                    )
                    page = BeautifulSoup(html, "html.parser")
                    assert page.select_one("#unavailable-title").text == "服务暂不可用"
                    assert re.fullmatch(r"[0-9a-f]{8}", page.code.text.strip())
                    assert ("<html" in html) is (not headers)

            status, html = enterprise.post(port, "/whistle", form)
            assert status == 503 and BUSY in html
            replay = BeautifulSoup(html, "html.parser").select_one("form.replay")
            again = [
                (f["name"], f.text if f.name == "textarea" else f.get("value", ""))
                for f in replay.select("input, textarea")
                if f.get("type") != "file"
            ]
            assert ("submission_key", form["submission_key"]) in again
            assert ("title", "停库期间的诉求") in again

            cluster.start()
            receipts = []
            for _try in range(2):
                for _attempt in range(10):  # a worker may find its first connection dead
                    status, location = enterprise.post_for_location(port, "/whistle", again)
                    if status == 303:
                        receipts.append(location)
                        break
                    assert status == 503
                    time.sleep(0.5)
            assert len(receipts) == 2 and receipts[0] == receipts[1], receipts

        check = create_app(_config(url))
        with check.app_context():
            made = _db.session.scalars(
                sa.select(Case).where(Case.submission_key == form["submission_key"])
            ).all()
            assert [f"/cases/{c.number}" for c in made] == receipts[:1]
            assert made[0].title == "停库期间的诉求"
            _db.session.remove()
            _db.engine.dispose()
