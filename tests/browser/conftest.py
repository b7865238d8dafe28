"""Browser fixtures: a live server holding the demo data, one Chromium per test session, a
360 x 640 zh-CN page with JavaScript on or off (every browser test runs both ways), and
`check_accessibility(page)`, which runs axe-core on what the page shows.

Never a downloaded browser: Chromium is Debian's (`make setup-test`), axe-core comes from
`npm ci`. Nothing here reaches beyond 127.0.0.1.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Route, sync_playwright
from werkzeug.serving import make_server

from portal import create_app, demo
from portal.extensions import db as _db
from tests.conftest import IS_POSTGRES, _config

ROOT = Path(__file__).resolve().parents[2]
# Screenshots and PDF pages for manual review (git-ignored), one folder per database: make
# test runs the SQLite and PostgreSQL suites at once. Full-page screenshots of every step
# are taken when SCREENSHOTS is set (`SCREENSHOTS=1 make test`): about a tenth of a browser
# walk's time, for pictures nobody reads on a routine run.
ARTIFACTS = ROOT / "test-artifacts" / ("postgresql" if IS_POSTGRES else "sqlite")
SCREENSHOTS = bool(os.environ.get("SCREENSHOTS"))
AXE_JS = ROOT / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-quic",
    "--disable-sync",
]
VIEWPORT = {"width": 360, "height": 640}
LOCALE = "zh-CN"
DEMO_PASSWORD = "browser-demo-42"
BLOCKING = ("serious", "critical")  # axe impacts that fail a test


# -- htmx ----------------------------------------------------------------------------------

# htmx is there and has initialised: it reads the page's htmx-config (historyCacheSize 0)
# and processes the body (hx-boost, triggers) in the same task in which it is defined.
HTMX_READY = "() => typeof window.htmx === 'object' && htmx.config.historyCacheSize === 0"


def htmx_ready(page: Page, js: bool) -> None:
    """With JavaScript on, wait until htmx is ready on this page. After a full page load it
    comes after the first paint (base.html, after-paint.js), so not at the load event; after
    a boosted navigation it is already there. Without JavaScript, nothing to wait for."""
    if js:
        page.wait_for_function(HTMX_READY)


# -- the live server ---------------------------------------------------------------------


@pytest.fixture
def live_server(database) -> Iterator[str]:
    """The app built as tests/conftest.py's `app` fixture builds it (TestConfig: CSRF on,
    rate limits in memory), with the demo data, served on a free port; yields the base URL.
    One per test, so failed logins, lockouts and revoked sessions never leak between tests."""
    app = create_app(_config(database.fresh()))
    with app.app_context():
        demo.load(_db.session, password=DEMO_PASSWORD, now=demo.utcnow())
        _db.session.commit()
        _db.session.remove()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="live-server", daemon=True
    )
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
        with app.app_context():
            _db.session.remove()
            _db.engine.dispose()


# -- the browser ---------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make setup-test` (Debian's chromium package)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture(params=[True, False], ids=["js", "nojs"])
def js(request) -> bool:
    """JavaScript on (htmx boosts links and forms) or off (plain HTML forms)."""
    return request.param


@pytest.fixture
def context(browser, live_server, js) -> Iterator[BrowserContext]:
    # Depends on live_server, so the context (and its keep-alive connections) closes first.
    ctx = browser.new_context(
        base_url=live_server, viewport=VIEWPORT, locale=LOCALE, java_script_enabled=js
    )
    ctx.set_default_timeout(10_000)
    yield ctx
    ctx.close()


@pytest.fixture
def page(context) -> Page:
    return context.new_page()


# -- accessibility -------------------------------------------------------------------------


@pytest.fixture(scope="session")
def axe_source() -> str:
    if not AXE_JS.exists():
        pytest.fail(f"{AXE_JS} is missing: run `npm ci`")
    return AXE_JS.read_text(encoding="utf-8")


class Replay:
    """One JavaScript-enabled page, same viewport and locale as the tests' pages, that shows
    a snapshot of a page seen with JavaScript off, at that page's URL, for axe to check.
    axe is an init script of its context, so it is present in every replayed document."""

    def __init__(self, context: BrowserContext):
        self.page = context.new_page()
        self.url: str | None = None
        self.html = ""
        self.page.route("**/*", self._serve)

    def _serve(self, route: Route) -> None:
        request = route.request
        if request.is_navigation_request() and request.url == self.url:
            route.fulfill(status=200, content_type="text/html; charset=utf-8", body=self.html)
        elif request.resource_type == "script":
            route.abort()  # the no-JS user never ran the page's scripts
        else:
            route.continue_()  # the stylesheet, from the live server

    def show(self, page: Page) -> Page:
        self.url = page.url.split("#", 1)[0]
        self.html = page.content()
        self.page.goto(self.url, wait_until="load")
        return self.page


@pytest.fixture(scope="session")
def replay(browser, axe_source) -> Iterator[Replay]:
    ctx = browser.new_context(viewport=VIEWPORT, locale=LOCALE, java_script_enabled=True)
    ctx.set_default_timeout(10_000)
    ctx.add_init_script(axe_source)
    yield Replay(ctx)
    ctx.close()


@pytest.fixture
def check_accessibility(js, replay, axe_source) -> Callable[[Page], None]:
    """`check_accessibility(page)`: run axe-core on the page as it is now; fail on any
    serious or critical violation, naming rule, impact and target selectors.

    Injection: `page.evaluate(<axe.min.js>)`. The portal's CSP (script-src 'self') blocks
    `add_script_tag` (an inline script), but not evaluate, which goes through the DevTools
    protocol; so no `bypass_csp` is needed.

    JavaScript off: in such a context `page.evaluate` still runs synchronous code (the
    scroll-width check uses it), but timers and animation frames never fire, and axe.run
    waits on them, so it would hang (tried; re-enabling scripts through a second DevTools
    session does not help). Fetching the URL again in a JavaScript context with the same
    cookies would not show the same page (a failed login is the answer to a POST; a second
    GET differs), so instead the no-JS page's DOM (`page.content()`) is replayed at the same
    URL in a JavaScript-enabled page of the same size (`Replay`): the document comes from
    the snapshot, the stylesheet from the live server, and the page's own scripts are
    refused, so axe sees what the no-JS user sees, styled and laid out the same. (Only the
    markup is carried over: text typed into a field after the page loaded is not, and axe
    does not judge it.)
    """

    def check(page: Page) -> None:
        page.wait_for_load_state("load")  # the stylesheet is in: contrast and layout are real
        target = page if js else replay.show(page)
        # Contrast measured against unstyled defaults would prove nothing.
        assert target.evaluate(STYLED), f"{page.url}: a stylesheet did not load"
        violations = _run_axe(target, axe_source)
        blocking = [v for v in violations if v["impact"] in BLOCKING]
        assert not blocking, _describe(page.url, js, blocking)

    return check


STYLED = """() => {
    const links = [...document.querySelectorAll('link[rel=stylesheet]')];
    return links.length > 0 && links.every(l => l.sheet && l.sheet.cssRules.length > 0);
}"""


def _run_axe(page: Page, source: str) -> list[dict]:
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(source)  # survives htmx-boosted navigation: the window stays
    return page.evaluate("""async () => {
        const result = await axe.run(document, {resultTypes: ['violations']});
        return result.violations.map(v => ({
            id: v.id, impact: v.impact, help: v.help,
            targets: v.nodes.map(n => n.target.join(' ')),
        }));
    }""")


def _describe(url: str, js: bool, violations: list[dict]) -> str:
    lines = [
        f"axe: {len(violations)} serious/critical violation(s) on {url} "
        f"(JavaScript {'on' if js else 'off'}):"
    ]
    for v in violations:
        lines.append(f"  {v['id']} [{v['impact']}] {v['help']}: {', '.join(v['targets'])}")
    return "\n".join(lines)


# -- layout --------------------------------------------------------------------------------


def assert_no_horizontal_scroll(page: Page) -> None:
    """Nothing wider than the 360 px viewport. Synchronous evaluate works with JavaScript
    off too (tried: only timers and animation frames stop), so this runs both ways."""
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= VIEWPORT["width"], (
        f"{page.url} scrolls sideways at {VIEWPORT['width']} px: scrollWidth is {width}"
    )


def screenshot(page: Page, name: str) -> None:
    if not SCREENSHOTS:
        return
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=ARTIFACTS / f"{name}.png", full_page=True)
