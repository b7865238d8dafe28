"""Issue 17 from a 360 px phone, with JavaScript on and off, under axe: typed work survives
a session that ends mid-form (item 1)."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect

from portal.domain.models import Case
from tests.browser.conftest import DEMO_PASSWORD
from tests.browser.test_enterprise_flow import (  # noqa: F401  (the `domain` fixture)
    CASE_URL,
    DEMO_ENTERPRISE,
    domain,
    fill_whistle,
    inspect,
    main_button,
    notice,
    path_is,
    png,
)

pytestmark = pytest.mark.browser

TIMED_OUT = "登录已超时，请重新登录，您填写的内容已保留"
PUT_BACK = "您填写的内容已恢复，请核对后再次提交。"
FILES_AGAIN = "附件无法保留，请在提交前重新选择。"
TITLE = "园区污水管网堵塞导致车间积水"
CONTENT = "连日降雨后园区污水管网堵塞，两个车间地面积水，影响正常生产，请协调疏通。"


def sign_in_here(page: Page, login: str) -> None:
    page.get_by_label("手机号码或用户名").fill(login)
    page.locator("#password").fill(DEMO_PASSWORD)
    main_button(page, "登录").click()


def test_a_whistle_typed_while_the_session_ends_is_kept(
    page, js, check_accessibility, domain, context, tmp_path
):
    page.goto("/auth/login?next=/whistle")
    sign_in_here(page, DEMO_ENTERPRISE)
    expect(page).to_have_url(path_is("/whistle"))
    fill_whistle(page, TITLE, CONTENT)
    page.get_by_label("照片或材料（选填）").set_input_files(png(tmp_path, "积水.png"))

    context.clear_cookies()  # the session ends while the form is open
    main_button(page, "提交").click()

    expect(page).to_have_url(path_is("/auth/login"))
    expect(page.locator("main .notice")).to_contain_text(TIMED_OUT)
    inspect(page, js, check_accessibility, f"kept-login-{'js' if js else 'nojs'}")
    sign_in_here(page, DEMO_ENTERPRISE)

    expect(page).to_have_url(path_is("/whistle"))
    expect(notice(page)).to_contain_text(PUT_BACK)
    expect(notice(page)).to_contain_text(FILES_AGAIN)
    expect(page.get_by_label("诉求事项")).to_have_value(TITLE)
    expect(page.get_by_label("诉求内容")).to_have_value(CONTENT)
    expect(page.get_by_label("诉求类别")).to_have_value("6")
    expect(page.get_by_role("group", name="诉求类型").get_by_label("业务办理")).to_be_checked()
    inspect(page, js, check_accessibility, f"kept-restored-{'js' if js else 'nojs'}")

    main_button(page, "提交").click()  # ready to submit as it stands
    expect(page).to_have_url(CASE_URL)
    expect(page.locator("h1")).to_have_text(TITLE)
    with domain.session() as session:
        assert session.scalar(sa.select(sa.func.count()).where(Case.title == TITLE)) == 1


# -- item 4: htmx forms behave like forms ----------------------------------------------------

RATED_TITLE = "厂区供水管道老化经常停水"


def test_a_sending_form_says_so_and_a_refused_one_keeps_a_page_address(
    page, js, check_accessibility, domain
):
    number = domain.whistle(DEMO_ENTERPRISE, title=RATED_TITLE, content=CONTENT)
    domain.reply(number, "供水公司已更换主管道。")
    page.goto(f"/auth/login?next=/cases/{number}")
    sign_in_here(page, DEMO_ENTERPRISE)
    expect(page).to_have_url(path_is(f"/cases/{number}"))

    held = []
    if js:  # hold the post, to see the button while it is sending
        page.route(f"**/cases/{number}/rating", lambda route: held.append(route))
    main_button(page, "提交评价").click()
    if js:
        send = page.locator("main form[action$='/rating'] button[type=submit]")
        expect(send).to_be_disabled()
        expect(send).to_have_accessible_name(re.compile("提交中…$"))
        after = send.evaluate("b => getComputedStyle(b, '::after').content")
        assert after == '"提交中…"', after
        held[0].continue_()
        page.unroute(f"**/cases/{number}/rating")

    # Refused (no choice made): the errors show, and the address is one a reload can open.
    expect(page.locator("#rating-level-error")).to_be_visible()
    inspect(page, js, check_accessibility, f"rating-refused-{'js' if js else 'nojs'}")
    if js:
        expect(page).to_have_url(path_is(f"/cases/{number}"))
    else:
        expect(page).to_have_url(path_is(f"/cases/{number}/rating"))
    response = page.goto(page.url)  # a reload by GET, or the address shared
    assert response is not None and response.status == 200
    expect(page).to_have_url(path_is(f"/cases/{number}"))
    expect(page.locator("h1")).to_have_text(RATED_TITLE)
