"""The channel pages of issue 16 item 5 from a 360 px phone, with JavaScript on and off: a
department registers a whistle it received itself (Chaozhou 四(二)), a bad field is said
beside it, and the case opens on its workbench; the office reads the city meeting's list
(Shantou 四) and a wrong case number is said beside the field. Every page passes axe (no
serious or critical violation) and fits the width."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import DEMO_PASSWORD
from tests.browser.test_enterprise_flow import inspect, main_button, path_is

pytestmark = pytest.mark.browser


def staff_sign_in(page: Page, js: bool, check_accessibility, login: str, home: str) -> None:
    page.goto("/auth/login")
    inspect(page, js, check_accessibility)
    page.get_by_label("手机号码或用户名").fill(login)
    page.locator("#password").fill(DEMO_PASSWORD)
    main_button(page, "登录").click()
    expect(page).to_have_url(path_is(home))
    inspect(page, js, check_accessibility)


def test_a_department_registers_a_whistle_it_received(page: Page, js, check_accessibility):
    """Chaozhou 四(二) "企业……可直接向对应的部门反映": from the workbench, on the office's form."""
    staff_sign_in(page, js, check_accessibility, "handler", "/workbench/")
    page.locator("main").get_by_role("link", name="登记本单位直接受理的吹哨").click()
    expect(page).to_have_url(path_is("/workbench/register"))
    inspect(page, js, check_accessibility)
    page.locator("#channel").select_option("visit")
    page.locator("#applicant_name").fill("潮州市新昌陶瓷有限公司")
    page.locator("#contact_name").fill("陈经理")
    page.locator("#contact_phone").fill("0768")
    page.locator("#title").fill("招工补贴咨询")
    page.locator("#content").fill("来局咨询新招员工的社保补贴怎么申请。")
    page.locator("main form[method=post] button[type=submit]").click()
    expect(page.locator("#contact_phone-error")).to_be_visible()
    expect(page.locator("#title")).to_have_value("招工补贴咨询")
    inspect(page, js, check_accessibility)
    page.locator("#contact_phone").fill("13922223333")
    page.locator("main form[method=post] button[type=submit]").click()
    page.wait_for_url("**/workbench/cases/*")
    inspect(page, js, check_accessibility)
    expect(page.locator("main")).to_contain_text("招工补贴咨询")


def test_the_office_reads_the_meeting_list(page: Page, js, check_accessibility):
    """Shantou 四 "研究提出上会诉求清单": the list, and a case number that is not there."""
    staff_sign_in(page, js, check_accessibility, "office", "/office/")
    page.goto("/figures/meeting")
    inspect(page, js, check_accessibility)
    page.locator("#number").fill("445100-2026-99999")
    page.locator("main form.filters button[type=submit]").click()
    expect(page.locator("#number-error")).to_be_visible()
    expect(page.locator("#number")).to_have_value("445100-2026-99999")
    inspect(page, js, check_accessibility)
