"""Smoke: every demo account signs in from a 360 px phone, with JavaScript on and off, lands
on its role's home page and signs out; a wrong password is explained; the public home page
shows. Every page visited passes axe (no serious or critical violation) and fits the width."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from portal.blueprints import HOME_ENDPOINT
from portal.demo import DEMO_ACCOUNTS
from portal.domain.models import Role
from tests.browser.conftest import (
    DEMO_PASSWORD,
    assert_no_horizontal_scroll,
    htmx_ready,
    screenshot,
)

pytestmark = pytest.mark.browser

# Where each role lands (HOME_ENDPOINT) and the heading it shows there.
HOME = {
    Role.ENTERPRISE: ("/cases", "我的诉求"),
    Role.OFFICE: ("/office/", "领导小组办公室"),
    Role.LEADER: ("/office/", "领导审批"),
    Role.INSPECTOR: ("/office/", "督查督办"),
    Role.HANDLER: ("/workbench/", "部门工作台"),
    Role.HEAD: ("/workbench/", "部门工作台"),
    Role.LIAISON: ("/contacts/", "我联系的企业"),
    Role.ADMIN: ("/admin/", "系统管理"),
}
LOGIN_PATH = "/auth/login"
LOGIN_HEADING = "登录"
WRONG_LOGIN = (
    "手机号码、用户名或密码不正确，或账户因多次失败已被锁定。"
    "请核对后重试；连续失败5次后账户需等待一段时间，再失败等待时间更长，也可用短信验证码立即登录。"
)


def test_home_table_covers_every_role():
    assert set(HOME) == set(HOME_ENDPOINT) == set(Role)


def path_is(path: str) -> re.Pattern:
    return re.compile(r"^https?://[^/]+" + re.escape(path) + r"(\?.*)?$")


def settled(page: Page, js: bool) -> None:
    """Wait until the page is done: loaded, and with JavaScript no htmx swap under way."""
    page.wait_for_load_state("load")
    htmx_ready(page, js)  # it comes after the first paint
    if js:
        page.wait_for_function("""() => !document.querySelector(
            '.htmx-request, .htmx-swapping, .htmx-settling, .htmx-added')""")


def inspect(page: Page, js: bool, check_accessibility, heading: str) -> None:
    """The checks every visited page gets: one h1 with the expected text, axe, width."""
    settled(page, js)
    expect(page.locator("h1")).to_have_count(1)
    expect(page.locator("h1")).to_have_text(heading)
    check_accessibility(page)
    assert_no_horizontal_scroll(page)


def open_login(page: Page, js: bool, check_accessibility) -> None:
    response = page.goto(LOGIN_PATH)
    assert response is not None and response.ok, response and response.status
    inspect(page, js, check_accessibility, LOGIN_HEADING)  # with JavaScript, waits for htmx
    # The parametrisation really differs: htmx runs only with JavaScript on.
    assert page.evaluate("() => typeof window.htmx") == ("object" if js else "undefined")


def sign_in(page: Page, login: str, password: str) -> None:
    page.get_by_label("手机号码或用户名").fill(login)
    page.locator("#password").fill(password)
    page.locator("main").get_by_role("button", name=LOGIN_HEADING).click()


@pytest.mark.parametrize(
    ("login", "role"),
    [(login, role) for login, role, _ in DEMO_ACCOUNTS],
    ids=[login for login, _, _ in DEMO_ACCOUNTS],
)
def test_demo_account_signs_in_and_out(page, js, check_accessibility, login, role):
    home_path, heading = HOME[role]
    open_login(page, js, check_accessibility)

    sign_in(page, login, DEMO_PASSWORD)
    expect(page).to_have_url(path_is(home_path))
    inspect(page, js, check_accessibility, heading)
    screenshot(page, f"home-{login}-{'js' if js else 'nojs'}")

    page.get_by_role("button", name="退出").click()
    expect(page).to_have_url(path_is(LOGIN_PATH))
    inspect(page, js, check_accessibility, LOGIN_HEADING)
    expect(page.get_by_role("button", name="退出")).to_have_count(0)


def test_wrong_password_is_explained_and_login_kept(page, js, check_accessibility):
    open_login(page, js, check_accessibility)

    sign_in(page, "office", "not-the-password")
    expect(page.get_by_role("alert")).to_contain_text(WRONG_LOGIN)
    expect(page).to_have_url(path_is(LOGIN_PATH))
    inspect(page, js, check_accessibility, LOGIN_HEADING)
    expect(page).to_have_title(re.compile(r"^错误："))
    expect(page.locator("#login")).to_have_value("office")
    expect(page.locator("#password")).to_have_value("")
    screenshot(page, f"login-error-{'js' if js else 'nojs'}")


def test_public_home_page(page, js, check_accessibility):
    response = page.goto("/")
    assert response is not None and response.ok, response and response.status
    inspect(page, js, check_accessibility, "企业吹哨　部门报到")
    screenshot(page, f"public-home-{'js' if js else 'nojs'}")


def test_the_office_reads_its_figures_and_lists(page, js, check_accessibility):
    """The dashboard (charts and tables), a count's cases, and the three lists: each passes
    axe and fits 360 px, with JavaScript on and off."""
    open_login(page, js, check_accessibility)
    sign_in(page, "office", DEMO_PASSWORD)
    page.locator("header").get_by_role("link", name="统计").click()
    expect(page).to_have_url(path_is("/figures/"))
    inspect(page, js, check_accessibility, re.compile("统计$"))
    expect(page.locator("svg.chart").first).to_be_visible()
    screenshot(page, f"figures-{'js' if js else 'nojs'}")
    page.locator("table.figures").first.locator("tbody tr").nth(2).locator("a").first.click()
    inspect(page, js, check_accessibility, re.compile("接哨率 · 分子"))
    for link, heading in (
        ("25日未办结梳理", re.compile("^截至.*未办结诉求$")),
        ("每周进展待反馈", "每周进展待反馈"),
        ("上会建议清单", "市政企直通车工作会议上会建议清单"),
    ):
        page.get_by_role("navigation", name="统计与清单").get_by_role("link", name=link).click()
        inspect(page, js, check_accessibility, heading)
