"""The administrator's set-up pages (issue 16) on a 360 px phone, with JavaScript on and off:
each passes axe (no serious or critical violation), fits the width, and works without htmx."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import DEMO_PASSWORD, screenshot
from tests.browser.test_smoke import inspect, open_login, sign_in

pytestmark = pytest.mark.browser


def test_policy_pages_calculator_copy_and_edit(page, js, check_accessibility):
    mode = "js" if js else "nojs"
    open_login(page, js, check_accessibility)
    sign_in(page, "admin", DEMO_PASSWORD)
    inspect(page, js, check_accessibility, "系统管理")
    page.get_by_role("link", name="时限方案").click()
    inspect(page, js, check_accessibility, "时限方案")
    screenshot(page, f"admin-policies-{mode}")

    page.locator("main table").get_by_role("link", name="汕头市").click()
    inspect(page, js, check_accessibility, "汕头市")
    page.get_by_label("诉求类型").select_option("suggestion")
    page.get_by_label("单位收到日期").fill("2026-02-13")
    page.get_by_label("承办单位层级").select_option("county")
    page.get_by_role("button", name="计算期限").click()
    rows = page.locator("#deadlines tbody tr")
    expect(rows).to_have_count(6)
    expect(rows.nth(1)).to_contain_text("2026年2月24日")  # confirm: 1 + 1 below the city
    inspect(page, js, check_accessibility, "汕头市")
    screenshot(page, f"admin-policy-calculator-{mode}")

    page.get_by_label("副本标识").fill(f"shantou-{mode}")
    page.get_by_label("副本名称").fill("汕头市（试行）")
    page.get_by_role("button", name="复制", exact=True).click()
    inspect(page, js, check_accessibility, "修改汕头市（试行）")
    page.get_by_label("办结时限（工作日）", exact=True).fill("99")
    page.get_by_role("button", name="保存为新版本").click()
    expect(page.locator("#finish_days-error")).to_contain_text("0 至 60")
    inspect(page, js, check_accessibility, "修改汕头市（试行）")
    screenshot(page, f"admin-policy-edit-error-{mode}")


def test_organisation_pages(page, js, check_accessibility):
    """The tree, a jurisdiction, a unit with its staff, a category with its lead units; an
    error beside its field."""
    mode = "js" if js else "nojs"
    open_login(page, js, check_accessibility)
    sign_in(page, "admin", DEMO_PASSWORD)
    page.get_by_role("link", name="组织架构").click()
    inspect(page, js, check_accessibility, "组织架构")
    page.get_by_role("button", name="新增辖区").click()
    expect(page.locator("#code-error")).to_be_visible()
    inspect(page, js, check_accessibility, "组织架构")
    screenshot(page, f"admin-jurisdictions-error-{mode}")
    page.locator("ul.tree").get_by_role("link", name="潮安区").click()
    inspect(page, js, check_accessibility, "潮安区")
    screenshot(page, f"admin-jurisdiction-{mode}")
    page.locator("main table").first.get_by_role("link").first.click()
    expect(page.locator("h1")).to_have_count(1)
    check_accessibility(page)
    page.go_back()
    page.get_by_role("link", name="新增类别").click()
    inspect(page, js, check_accessibility, "新增类别")
    page.get_by_role("button", name="新增类别").click()
    expect(page.locator("#leads-error")).to_be_visible()
    inspect(page, js, check_accessibility, "新增类别")
    screenshot(page, f"admin-category-error-{mode}")


def test_import_page(page, js, check_accessibility):
    """The import page with its templates; a missing file is explained beside the field."""
    open_login(page, js, check_accessibility)
    sign_in(page, "admin", DEMO_PASSWORD)
    page.goto("/admin/import")
    inspect(page, js, check_accessibility, "从表格导入组织架构")
    page.get_by_role("button", name="导入", exact=True).click()
    expect(page.locator("#file-error")).to_be_visible()
    inspect(page, js, check_accessibility, "从表格导入组织架构")
    screenshot(page, f"admin-import-error-{'js' if js else 'nojs'}")
