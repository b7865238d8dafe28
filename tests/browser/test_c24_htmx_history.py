"""SECURITY.md checklist 24, htmx history: Playwright navigates boosted links and the
queue's htmx filter as an enterprise and as the office, with JavaScript on and off, and no
htmx history snapshot is left in the browser's storage. It lives with the browser tests,
whose fixtures (one Chromium per session, axe-core on every page) it uses; docs/security.md
lists it with the other checks of tests/security/."""

from __future__ import annotations

import re

import pytest

HISTORY = """() => [localStorage, sessionStorage].flatMap(store => Object.keys(store)
    .filter(k => k.startsWith('htmx-history')).map(k => [k, store.getItem(k)]))"""


def _no_history(page) -> None:
    """No htmx history snapshot in the browser's storage (or only an empty one): case pages
    and queues are never copied there (SECURITY.md "htmx"). htmx 1 kept its snapshots in
    localStorage; htmx 2.0.11 (the one shipped) keeps them in sessionStorage: both are
    read."""
    entries = page.evaluate(HISTORY)
    assert all(value in (None, "", "[]") for _key, value in entries), entries


@pytest.mark.browser
def test_c24_no_htmx_history_in_local_storage(page, js, check_accessibility):
    from playwright.sync_api import expect

    from tests.browser.test_enterprise_flow import (
        DEMO_ENTERPRISE,
        inspect,
        path_is,
        settled,
        sign_in,
    )
    from tests.browser.test_workbench_flow import OFFICE, Walk

    # The enterprise: boosted links from the list to a case and back, the status refresh.
    sign_in(page, js, check_accessibility, DEMO_ENTERPRISE)
    page.locator("main a[href^='/cases/']").first.click()
    expect(page).to_have_url(re.compile(r"/cases/[0-9A-Z-]+$"))
    inspect(page, js, check_accessibility)
    refresh = page.locator("main a", has_text="刷新状态")
    if refresh.count():
        refresh.first.click()
        settled(page, js)
        inspect(page, js, check_accessibility)
    _no_history(page)
    page.go_back()
    inspect(page, js, check_accessibility)
    page.locator("header .brand").click()
    expect(page).to_have_url(path_is("/"))
    inspect(page, js, check_accessibility)
    _no_history(page)
    walk = Walk(page, js, check_accessibility)
    walk.sign_out()

    # Staff: the queue's htmx filter (pushes a URL), a case page, back to the queue.
    walk.sign_in_staff(OFFICE)
    walk.inspect(None)
    page.locator("main details.filters-fold > summary").click()  # folded above the cases
    show = page.get_by_role("group", name="显示").get_by_role("radio")
    show.nth(show.count() - 1).check()
    if not js:  # with JavaScript the change itself fetches the queue (hx-trigger)
        page.locator("main form.filters button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"view=all"))
    walk.inspect(None)
    _no_history(page)
    page.locator("main table.queue tbody a").first.click()
    expect(page).to_have_url(re.compile(r"/office/cases/"))
    walk.inspect(None)
    page.go_back()
    expect(page).to_have_url(re.compile(r"/office/"))
    walk.inspect(None)
    _no_history(page)
