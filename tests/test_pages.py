"""Screens: each as a page and as an htmx fragment, the security headers, the language switch,
dates in Chinese, error pages, the health check and byte budgets."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from bs4 import BeautifulSoup

from portal import create_app
from portal.domain.models import CalendarOverride
from tests import factories
from tests.conftest import _config, csrf_from

SCREENS = [
    # (path, role or None, expected h1)
    ("/", None, "企业吹哨　部门报到"),
    ("/auth/login", None, "登录"),
    ("/auth/register", None, "企业注册"),
    ("/whistle", "enterprise", "我要吹哨"),
    ("/cases", "enterprise", "我的诉求"),
    ("/workbench/", "handler", "部门工作台"),
    ("/office/", "office", "领导小组办公室"),
    ("/contacts/", "liaison", "我联系的企业"),
    ("/admin/", "admin", "系统管理"),
    ("/admin/calendar", "admin", "工作日日历"),
]
STATIC = Path(__file__).resolve().parent.parent / "portal" / "static"


@pytest.mark.parametrize("path,role,heading", SCREENS)
def test_each_screen_is_a_page(client, world, login_as, path, role, heading):
    if role:
        login_as(role)
    response = client.get(path)
    assert response.status_code == 200
    page = BeautifulSoup(response.text, "html.parser")
    assert page.html["lang"] == "zh-CN"
    assert page.h1.text.strip() == heading
    assert page.select_one("main#main")
    assert "HX-Request" in response.headers["Vary"]
    # The only script is ours that adds htmx after the first paint, both from this site.
    [script] = page.find_all("script")
    assert script["src"].startswith("/static/js/after-paint.js?v=")
    assert script["data-src"].startswith("/static/js/htmx.min.js?v=")
    assert "X-CSRFToken" in page.body["hx-headers"]


@pytest.mark.parametrize("path,role,heading", SCREENS)
def test_each_screen_is_a_fragment_for_htmx(client, world, login_as, path, role, heading):
    if role:
        login_as(role)
    response = client.get(path, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert "<html" not in response.text and "<header" not in response.text
    assert BeautifulSoup(response.text, "html.parser").h1.text.strip() == heading
    assert "HX-Request" in response.headers["Vary"]


def test_boosted_navigation_gets_the_whole_page(client, world):
    response = client.get("/auth/login", headers={"HX-Request": "true", "HX-Boosted": "true"})
    assert "<html" in response.text


def test_security_headers(client, world):
    response = client.get("/auth/login")
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-eval" not in csp and "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response.headers["Cache-Control"] == "no-store"
    fragment = client.get("/auth/login", headers={"HX-Request": "true"})
    assert fragment.headers["Content-Security-Policy"] == csp
    assert fragment.headers["Cache-Control"] == "no-store"


def test_language_switch_is_kept_in_the_session(client, world):
    token = csrf_from(client.get("/").text)
    response = client.post(
        "/auth/language", data={"lang": "en", "next": "/auth/login", "csrf_token": token}
    )
    assert response.status_code == 303 and response.headers["Location"] == "/auth/login"
    page = BeautifulSoup(client.get("/auth/login").text, "html.parser")
    assert page.html["lang"] == "en"
    assert page.h1.text == "Sign in"
    assert page.select_one("label[for=login]").text == "Mobile number or username"
    # and back
    token = csrf_from(str(page))
    client.post("/auth/language", data={"lang": "zh_Hans_CN", "csrf_token": token})
    assert BeautifulSoup(client.get("/").text, "html.parser").html["lang"] == "zh-CN"


def test_an_unknown_language_is_ignored(client, world):
    token = csrf_from(client.get("/").text)
    client.post(
        "/auth/language", data={"lang": "xx", "next": "//evil.example", "csrf_token": token}
    )
    assert BeautifulSoup(client.get("/").text, "html.parser").html["lang"] == "zh-CN"


def test_dates_are_written_the_chinese_way(client, db, world, login_as):
    factories.case(db.session, world.city, enterprise=world.enterprise)
    db.session.commit()
    login_as("enterprise")
    assert "2026年11月25日" in client.get("/cases").text


def test_not_found_is_a_friendly_page(client, world):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert "找不到该页面" in response.text
    fragment = client.get("/no-such-page", headers={"HX-Request": "true"})
    assert fragment.status_code == 404 and "<html" not in fragment.text


def test_an_unexpected_error_shows_an_id_and_no_trace(database):
    app = create_app(_config(database.fresh()))

    @app.get("/boom")
    def boom():
        raise RuntimeError("secret detail")

    response = app.test_client().get("/boom")
    assert response.status_code == 500
    assert "secret detail" not in response.text and "Traceback" not in response.text
    assert BeautifulSoup(response.text, "html.parser").code.text.strip()


def test_healthz_reports_the_database(client, world):
    assert client.get("/healthz").get_json() == {"status": "ok", "database": "ok"}


def test_healthz_is_503_when_the_database_is_unreachable(tmp_path):
    app = create_app(_config(f"sqlite:///{tmp_path}/missing/dir/portal.db"))
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["database"] == "unreachable"


class TestCalendarAdmin:
    def test_an_admin_adds_a_make_up_working_day(self, client, db, world, login_as):
        login_as("admin")
        token = csrf_from(client.get("/admin/calendar").text)
        response = client.post(
            "/admin/calendar",
            data={"day": "2027-02-06", "kind": "workday", "note": "春节调休", "csrf_token": token},
        )
        assert response.status_code == 303
        page = client.get("/admin/calendar").text
        assert "已保存：2027-02-06 设为工作日。" in page
        assert "2027年2月6日" in page
        row = db.session.scalar(sa.select(CalendarOverride))
        assert (str(row.day), row.kind.value, row.note) == ("2027-02-06", "workday", "春节调休")

    def test_bad_input_is_named_beside_its_field_and_kept(self, client, db, world, login_as):
        login_as("admin")
        token = csrf_from(client.get("/admin/calendar").text)
        response = client.post(
            "/admin/calendar",
            data={"day": "2027-02-31", "note": "保留这段备注", "csrf_token": token},
        )
        assert response.status_code == 200
        page = BeautifulSoup(response.text, "html.parser")
        assert "请填写真实存在的日期" in page.select_one("#day-error").text
        assert page.select_one("#kind-error") is not None
        assert page.select_one("#note")["value"] == "保留这段备注"
        assert page.select_one("#day")["value"] == "2027-02-31"
        assert db.session.scalar(sa.select(sa.func.count()).select_from(CalendarOverride)) == 0


# Byte budgets: a cheap phone on slow mobile data loads these before anything shows.
HTML_BUDGET = 8 * 1024
CSS_BUDGET = 8 * 1024
HTMX_BUDGET = 55 * 1024  # htmx 2 minified; sent gzip-compressible at about 16 KB


@pytest.mark.parametrize("path,role,heading", SCREENS)
def test_pages_stay_within_the_html_budget(client, world, login_as, path, role, heading):
    if role:
        login_as(role)
    assert len(client.get(path).data) <= HTML_BUDGET


def test_static_assets_are_compressed_and_cached(client):
    page = BeautifulSoup(client.get("/").text, "html.parser")
    script = page.find("script")
    for url in (script["src"], script["data-src"], page.find("link", rel="stylesheet")["href"]):
        response = client.get(url, headers={"Accept-Encoding": "gzip"})
        assert response.status_code == 200
        assert response.headers["Content-Encoding"] == "gzip"
        assert "max-age=31536000" in response.headers["Cache-Control"]
    html = client.get("/", headers={"Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in html.headers  # no BREACH oracle on pages with tokens


def test_static_assets_stay_within_budget():
    assert (STATIC / "css" / "portal.css").stat().st_size <= CSS_BUDGET
    assert (STATIC / "js" / "htmx.min.js").stat().st_size <= HTMX_BUDGET
