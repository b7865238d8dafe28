"""Two gunicorn instances on two ports that share only the database and Redis, as behind
nginx: a login made on one holds on the other, a rate limit counts across both, a case
edited on one refuses the other's stale form (409); with Redis stopped mid-run both keep
serving (rate limits fall back to memory)."""

from __future__ import annotations

import http.cookiejar
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from portal.domain import workflow
from portal.domain.calendar import WorkCalendar
from tests import factories

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = Path(sys.executable).with_name("gunicorn")
pytestmark = pytest.mark.skipif(shutil.which("redis-server") is None or not GUNICORN.exists(),
                                reason="needs redis-server and the venv's gunicorn")


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


@pytest.fixture()
def redis_port():
    """A Redis of this test's own, so that stopping it touches nobody else."""
    port = free_port()
    server = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1",
                               "--save", "", "--appendonly", "no"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
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
    port_redis, _server = redis_port
    env = {**os.environ, "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
           "SECRET_KEY": "two-instances-share-this-secret-" + "x" * 32,
           "REDIS_URL": f"redis://127.0.0.1:{port_redis}/0", "LOGIN_RATE_LIMIT": "4 per minute",
           "JOBS_BACKEND": "immediate"}
    ports, processes = [free_port(), free_port()], []
    for port in ports:
        processes.append(subprocess.Popen(
            [str(GUNICORN), "--bind", f"127.0.0.1:{port}", "--workers", "1", "--chdir",
             str(ROOT), "wsgi:app"], env=env, stdout=subprocess.DEVNULL,
            stderr=open(tmp_path / f"gunicorn-{port}.log", "w")))
    try:
        for port in ports:
            wait_for(port)
        yield ports
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            process.wait(20)


class Browser:
    """One person's cookies, whichever instance answers (cookies do not depend on the port)."""

    def __init__(self):
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar),
                                                  NoRedirect)

    def get(self, port: int, path: str) -> tuple[int, str]:
        return self._open(urllib.request.Request(f"http://127.0.0.1:{port}{path}"))

    def post(self, port: int, path: str, data: dict) -> tuple[int, str]:
        body = urllib.parse.urlencode(data).encode()
        return self._open(urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=body))

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
        status, _html = self.post(port, "/auth/login", {"login": login, "password": password,
                                                        "csrf_token": token})
        return status


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def test_two_instances_share_sessions_limits_and_cases(instances, db, world, redis_port):
    a, b = instances
    office = world.users["office"]
    case = factories.case(db.session, world.city, enterprise=world.enterprise)
    db.session.commit()

    # A login on A holds on B.
    browser = Browser()
    assert browser.sign_in(a, office.username, factories.PASSWORD) == 303
    status, page = browser.get(b, "/office/")
    assert status == 200 and case.number in page

    # Both forms read on the case as it is; the step taken on A makes B's form stale.
    _s, on_a = browser.get(a, f"/office/cases/{case.number}")
    _s, on_b = browser.get(b, f"/office/cases/{case.number}")
    version = re.search(r'name="accept-version"[^>]*value="(\d+)"', on_a)[1]
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', on_b)[1]
    status, _html = browser.post(a, f"/office/cases/{case.number}/accept",
                                 {"csrf_token": token, "accept-version": version})
    assert status == 303
    status, html = browser.post(b, f"/office/cases/{case.number}/accept",
                                {"csrf_token": token, "accept-version": version})
    assert status == 409

    # The login limit (4 a minute from one address here) counts the attempts made on either
    # instance: the sign-in above on A, then three wrong guesses on B, A, B; the next is
    # refused wherever it lands.
    guesser = Browser()
    answers = [guesser.sign_in((b, a)[n % 2], "office", "wrong-password") for n in range(5)]
    assert answers == [200, 200, 200, 429, 429]

    # Redis stops: both instances keep serving, and limit in memory meanwhile.
    _port, server = redis_port
    server.terminate()
    server.wait(10)
    for port in (a, b):
        status, page = browser.get(port, "/office/")
        assert status == 200 and case.number in page
    assert Browser().sign_in(b, office.username, factories.PASSWORD) == 303


def test_a_case_registered_on_one_is_handled_on_the_other(instances, db, world):
    """No state in the processes: what A wrote, B reads at once."""
    a, b = instances
    handler = Browser()
    assert handler.sign_in(b, world.users["handler"].username, factories.PASSWORD) == 303
    case = factories.case(db.session, world.city, enterprise=world.enterprise, title="跨实例")
    workflow.accept(db.session, WorkCalendar(), case, by=world.users["office"],
                    at=factories.now())
    workflow.dispatch(db.session, WorkCalendar(), case, by=world.users["office"],
                      at=factories.now(), lead=world.department)
    db.session.commit()
    for port in (a, b):
        status, page = handler.get(port, "/workbench/")
        assert status == 200 and "跨实例" in page
