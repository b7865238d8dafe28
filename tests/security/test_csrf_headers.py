"""CSRF, GET safety and the security headers (SECURITY.md checklist 21-23, "Flask-WTF",
"Headers", "htmx"; issue 9 item 4).

| check | tests (skips and why) |
|-------|-----------------------|
| 21 CSRF | test_c21_a_post_without_a_good_token_is_refused_and_changes_nothing (form and htmx: none, wrong, another session's), test_c21_a_cross_origin_referer_is_refused_on_https, test_c21_a_valid_token_succeeds, test_c21_the_refusal_keeps_what_was_typed, test_c21_an_htmx_refusal_is_a_fragment, test_c21_the_back_link_stays_on_the_site; also tests/test_auth.py test_login_without_a_csrf_token_is_refused, test_htmx_posts_carry_the_token_in_a_header and tests/test_casework.py test_a_post_without_csrf_is_refused |
| 22 GET safety | test_c22_every_get_route_changes_no_rows (every role; audit_log is left out: case views, exports and refusals are audited by design, check 28) |
| 23 headers | test_c23_headers_on_every_kind_of_response, test_c23_hsts_in_production_config, test_c23_templates_have_no_inline_script_or_hx_on, test_c23_htmx_is_configured_for_the_csp, test_c23_case_pages_keep_out_of_htmx_history; also tests/test_pages.py test_security_headers |
| 24 htmx history | tests/browser/test_c24_htmx_history.py::test_c24_no_htmx_history_in_local_storage (Playwright, JavaScript on and off, axe on every page; browser-marked) |
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
import sqlalchemy as sa
from bs4 import BeautifulSoup

from portal.domain.models import Case, CaseEvent, Role
from portal.extensions import db as _db
from tests import factories
from tests.conftest import csrf_from
from tests.security.scene import build_scene

TEMPLATES = Path(__file__).resolve().parents[2] / "portal" / "templates"


def _count(model) -> int:
    return _db.session.scalar(sa.select(sa.func.count()).select_from(model))


def _whistle_data(token=None, **overrides):
    data = {
        "submission_key": "k-csrf-1",
        "level": "local",
        "case_type": "business",
        "category": "4",
        "title": "春节后缺工30人",
        "content": "春节后一线工人缺口约30人，已在网上发布招聘，仍招不到人。",
        "contact_name": "王经理",
        "contact_phone": "13800000001",
    }
    if token is not None:
        data["csrf_token"] = token
    data.update(overrides)
    return data


def sign_out(client) -> None:
    client.post("/auth/logout", data={"csrf_token": csrf_from(client.get("/").text)})


def _other_sessions_token(app) -> str:
    other = app.test_client()
    return csrf_from(other.get("/auth/login").text)


# ------------------------------------------------------------------------------- 21


@pytest.mark.parametrize("htmx", [False, True], ids=["form", "htmx"])
@pytest.mark.parametrize("token", ["none", "wrong", "other-session"])
def test_c21_a_post_without_a_good_token_is_refused_and_changes_nothing(
    app, client, db, world, login_as, htmx, token
):
    """A whistle (enterprise) and a step (office), each POSTed as a form and as htmx would
    (HX-Request, the token in X-CSRFToken): 400 and not a row more."""
    case = factories.case(db.session, world.city, enterprise=world.enterprise)
    db.session.commit()
    value = {"none": None, "wrong": "not-a-token", "other-session": _other_sessions_token(app)}[
        token
    ]

    def post(path, data):
        headers = {}
        if htmx:
            headers["HX-Request"] = "true"
            if value is not None:
                headers["X-CSRFToken"] = value
        elif value is not None:
            data = {**data, "csrf_token": value}
        return client.post(path, data=data, headers=headers)

    login_as("enterprise")
    cases, events = _count(Case), _count(CaseEvent)
    assert post("/whistle", _whistle_data()).status_code == 400
    assert post(f"/cases/{case.number}/information", {"more-text": "补充"}).status_code == 400
    assert (_count(Case), _count(CaseEvent)) == (cases, events)

    sign_out(client)
    login_as("office")
    response = post(f"/office/cases/{case.number}/accept", {"accept-version": str(case.version_id)})
    assert response.status_code == 400
    db.session.expire_all()
    assert case.state.value == "submitted" and _count(CaseEvent) == events


@pytest.mark.parametrize("htmx", [False, True], ids=["form", "htmx"])
@pytest.mark.parametrize(
    "referer",
    [None, "https://evil.example/auth/login", "http://portal.example/auth/login"],
    ids=["none", "other-site", "plain-http"],
)
def test_c21_a_cross_origin_referer_is_refused_on_https(production, htmx, referer):
    """Production config over HTTPS: WTF_CSRF_SSL_STRICT (on, the default) wants a Referer
    of this very origin on every POST, so a right token from another site, from plain
    HTTP or with no Referer is refused; the same token from this site's page signs in."""
    assert production.config.get("WTF_CSRF_SSL_STRICT", True) is True
    https = "https://portal.example"
    with production.app_context():
        factories.build_world(_db.session)
        _db.session.commit()
        _db.session.remove()
    client = production.test_client()
    token = csrf_from(client.get("/auth/login", base_url=https).text)
    headers = {"Referer": referer} if referer else {}
    data = {"login": "office", "password": factories.PASSWORD}
    if htmx:
        headers.update({"HX-Request": "true", "X-CSRFToken": token})
    else:
        data["csrf_token"] = token
    response = client.post("/auth/login", data=data, headers=headers, base_url=https)
    assert response.status_code == 400
    assert client.get("/office/", base_url=https).status_code == 302  # not signed in
    same = client.post(
        "/auth/login",
        data=data,
        base_url=https,
        headers={**headers, "Referer": f"{https}/auth/login"},
    )
    assert same.status_code == 303
    assert client.get("/office/", base_url=https).status_code == 200


@pytest.mark.parametrize("htmx", [False, True], ids=["form", "htmx"])
def test_c21_a_valid_token_succeeds(client, db, world, login_as, htmx):
    login_as("enterprise")
    token = csrf_from(client.get("/whistle").text)
    if htmx:
        response = client.post(
            "/whistle", data=_whistle_data(), headers={"HX-Request": "true", "X-CSRFToken": token}
        )
    else:
        response = client.post("/whistle", data=_whistle_data(token))
    assert response.status_code == 303
    assert _count(Case) == 1


def test_c21_the_refusal_keeps_what_was_typed(client, db, world, login_as):
    """Flask-WTF: "re-render the posted data on CSRFError". The whistle's subject and text
    come back, escaped, read-only to copy; the password, token and submission key do not;
    the files are to be chosen again; a link leads back to the form."""
    login_as("enterprise")
    data = _whistle_data(
        "expired-token",
        title="<b>缺工</b>30人",
        content="<script>alert(1)</script>一线工人缺口约30人，招不到人。",
    )
    data["attachments"] = [(io.BytesIO(b"%PDF-1.4 x"), "证明.pdf")]
    response = client.post("/whistle", data=data, content_type="multipart/form-data")
    assert response.status_code == 400
    assert "<script>alert(1)" not in response.text and "<b>缺工" not in response.text
    page = BeautifulSoup(response.text, "html.parser")
    typed = {
        page.select_one(f'label[for="{t["id"]}"]').text: t.text
        for t in page.select("textarea[readonly]")
    }
    assert typed["诉求事项"] == "<b>缺工</b>30人"
    assert typed["诉求内容"].startswith("<script>alert(1)</script>一线工人")
    assert typed["联系人"] == "王经理"
    assert not any(v in ("expired-token", "k-csrf-1") for v in typed.values())
    assert "表单已失效" in page.text and "重新选择" in page.text
    assert page.select_one('a[href="/whistle"]') is not None
    assert _count(Case) == 0


def test_c21_no_password_comes_back(client, world):
    response = client.post("/auth/login", data={"login": "office", "password": "s3cret-pw!"})
    assert response.status_code == 400
    assert "s3cret-pw!" not in response.text
    assert "office" in response.text  # the login name is kept
    assert BeautifulSoup(response.text, "html.parser").select_one('a[href="/auth/login"]')


def test_c21_an_htmx_refusal_is_a_fragment(client, db, world, login_as):
    """htmx is configured to swap error answers (base.html, responseHandling), so the
    fragment shows in place, with what was typed."""
    case = factories.case(db.session, world.city, enterprise=world.enterprise)
    db.session.commit()
    login_as("office")
    here = f"http://localhost/office/cases/{case.number}"
    response = client.post(
        f"/office/cases/{case.number}/refuse",
        headers={"HX-Request": "true", "X-CSRFToken": "stale", "HX-Current-URL": here},
        data={
            "refuse-version": "1",
            "refuse-reason": "7",
            "refuse-message": "联系不上，请重新提交联系方式。",
        },
    )
    assert response.status_code == 400
    assert "<html" not in response.text
    typed = [t.text for t in BeautifulSoup(response.text, "html.parser").select("textarea")]
    assert typed == ["联系不上，请重新提交联系方式。"]
    assert f'href="/office/cases/{case.number}"' in response.text  # the same-site referer


def test_c21_the_back_link_stays_on_the_site(client, db, world, login_as):
    login_as("enterprise")
    case = factories.case(db.session, world.city, enterprise=world.enterprise)
    db.session.commit()
    away = client.post(
        f"/cases/{case.number}/rating",
        data={"rating-comment": "好"},
        headers={"Referer": "https://evil.example/phish"},
    )
    assert away.status_code == 400 and "evil.example" not in away.text
    home = client.post(
        f"/cases/{case.number}/rating",
        data={"rating-comment": "好"},
        headers={"Referer": f"http://localhost/cases/{case.number}"},
    )
    assert f'href="/cases/{case.number}"' in home.text


# ------------------------------------------------------------------------------- 22


def _tables() -> list[str]:
    return [t for t in sa.inspect(_db.engine).get_table_names() if t != "alembic_version"]


def _row_counts() -> dict[str, int]:
    counts = {t: _db.session.scalar(sa.text(f'SELECT count(*) FROM "{t}"')) for t in _tables()}
    # Not rows but marks: notifications read, and every case's version (a step bumps it).
    counts["notification read"] = _db.session.scalar(
        sa.text("SELECT count(*) FROM notification WHERE read_at IS NOT NULL")
    )
    counts["case versions"] = _db.session.scalar(
        sa.text('SELECT coalesce(sum(version_id), 0) FROM "case"')
    )
    return counts


def _get_paths(app, scene) -> list[str]:
    """Every GET route of the app, its arguments filled from the scene (own objects; the
    other city's too, as a GET that is refused must change nothing either)."""
    values = {name: name for name in scene.own}
    paths = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint == "static":
            continue
        args = set(rule.arguments)
        if not args:
            paths.append(rule.rule)
            continue
        for side in (scene.own, scene.other):
            path = rule.rule
            for name in args:
                assert name in values, f"{rule.rule}: no scene value for <{name}>"
                path = re.sub(r"<[^>]*:?" + name + ">", side[values[name]], path)
            paths.append(path)
    return sorted(set(paths))


@pytest.mark.slow
@pytest.mark.parametrize("role", [r.value for r in Role])
def test_c22_every_get_route_changes_no_rows(app, client, db, world, login_as, role):
    """Crawl every GET route as `role` (the admin and every other role): no table gains or
    loses a row. audit_log is the exception by design: case views, exports and refused
    pages are written to it (SECURITY.md check 28). No GET sets a notification's read mark
    (marking read is POST /notifications/read) or moves a case's version."""
    scene = build_scene(db.session, world, app.instance_path)
    db.session.commit()
    login_as(role)
    before = _row_counts()
    statuses = {}
    for path in _get_paths(app, scene):
        response = client.get(path)
        statuses[path] = response.status_code
        assert response.status_code < 500, path
    after = _row_counts()
    before.pop("audit_log"), after.pop("audit_log")
    assert after == before
    assert 200 in statuses.values()


def test_c22_the_crawl_reaches_every_get_route(app, db, world):
    scene = build_scene(db.session, world, app.instance_path)
    paths = _get_paths(app, scene)
    gets = [r for r in app.url_map.iter_rules() if "GET" in r.methods and r.endpoint != "static"]
    assert len(paths) >= len(gets)
    assert not [p for p in paths if "<" in p]


# ------------------------------------------------------------------------------- 23

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'self'; object-src 'none'"
)
SANDBOX = "default-src 'none'; sandbox"


def _check_headers(response, where: str, csp: str = CSP) -> None:
    got = response.headers
    assert got["Content-Security-Policy"].strip() == csp, where
    directives = dict(
        d.strip().split(" ", 1) if " " in d.strip() else (d.strip(), "")
        for d in got["Content-Security-Policy"].split(";")
    )
    for name in ("script-src", "style-src", "default-src"):
        assert "unsafe-eval" not in directives.get(
            name, ""
        ) and "unsafe-inline" not in directives.get(name, ""), where
    assert got["X-Content-Type-Options"] == "nosniff", where
    assert got["X-Frame-Options"] == "DENY", where
    assert "frame-ancestors 'none'" in got["Content-Security-Policy"] or "sandbox" in csp
    assert got["Referrer-Policy"] == "strict-origin-when-cross-origin", where
    assert got["Cache-Control"] == "no-store", where


def test_c23_headers_on_every_kind_of_response(app, client, db, world, login_as):
    """Full pages, htmx fragments, PDFs, xlsx, attachments and error pages (404, 403,
    405): the exact CSP; attachments under a sandbox policy of their own."""
    scene = build_scene(db.session, world, app.instance_path)
    db.session.commit()
    number, file_id = scene.own["number"], scene.own["attachment_id"]
    fragment = {"HX-Request": "true"}
    checked = {
        "page": client.get("/auth/login"),
        "fragment": client.get("/auth/login", headers=fragment),
        "pdf": client.get("/card.pdf"),
        "404": client.get("/no-such-page"),
        "405": client.delete("/auth/login"),
    }
    login_as("enterprise")
    checked.update(
        {
            "403": client.get("/office/"),
            "case page": client.get(f"/cases/{number}"),
            "case fragment": client.get(f"/cases/{number}/status", headers=fragment),
            "case pdf": client.get(f"/cases/{number}/registration.pdf"),
        }
    )
    attachment = client.get(f"/cases/{number}/files/{file_id}")
    sign_out(client)
    login_as("office")
    checked.update(
        {
            "staff case": client.get(f"/office/cases/{number}"),
            "queue fragment": client.get("/office/?view=all", headers=fragment),
            "dossier": client.get(f"/office/cases/{number}/dossier.pdf"),
            "xlsx": client.get("/figures/bulletin.xlsx"),
        }
    )
    staff_file = client.get(f"/office/cases/{number}/files/{file_id}")
    for where, response in checked.items():
        assert response.status_code in (200, 403, 404, 405), where
        _check_headers(response, where)
    assert checked["xlsx"].mimetype.endswith("spreadsheetml.sheet")
    assert checked["dossier"].mimetype == "application/pdf"
    for response in (attachment, staff_file):
        assert response.status_code == 200
        assert response.headers["Content-Disposition"].startswith("attachment")
        _check_headers(response, "attachment", csp=SANDBOX)


def test_c23_500_pages_carry_the_headers(database, tmp_path):
    from tests.security.test_faults import _production_app

    app = _production_app(database)

    @app.get("/boom")
    def boom():
        raise RuntimeError("boom")

    response = app.test_client().get("/boom", base_url="https://portal.example")
    assert response.status_code == 500
    _check_headers(response, "500")
    with app.app_context():
        _db.engine.dispose()


@pytest.fixture
def production(database, tmp_path):
    from tests.security.test_faults import _production_app

    app = _production_app(database)
    yield app
    with app.app_context():
        _db.engine.dispose()


def test_c23_hsts_in_production_config(production):
    client = production.test_client()
    plain = client.get("/auth/login")
    assert plain.status_code == 302 and plain.headers["Location"].startswith("https://")
    response = client.get("/auth/login", base_url="https://portal.example")
    hsts = response.headers["Strict-Transport-Security"]
    assert int(re.search(r"max-age=(\d+)", hsts).group(1)) >= 31536000
    assert "includeSubDomains" in hsts
    _check_headers(response, "production page")


INLINE = [
    (re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I), "inline <script>"),
    (re.compile(r"\shx-on[:-]", re.I), "hx-on"),
    (re.compile(r"<[a-z][^>{}]*\son[a-z]+\s*=", re.I), "on* attribute"),
    (re.compile(r"javascript:", re.I), "javascript: URL"),
    (re.compile(r"\sstyle\s*=", re.I), "inline style (style-src 'self')"),
]


def test_c23_templates_have_no_inline_script_or_hx_on():
    """The CSP has no 'unsafe-inline' and no 'unsafe-eval', so no template may need them:
    no inline <script>, no on*= handlers, no hx-on, no javascript: URLs, no style=."""
    found = []
    for path in sorted(TEMPLATES.rglob("*.html")):
        if path.parts[-2] == "pdf":  # WeasyPrint documents: no browser, no script
            continue
        text = path.read_text()
        for pattern, what in INLINE:
            for match in pattern.finditer(text):
                found.append(f"{path.relative_to(TEMPLATES)}: {what}: {match.group(0)!r}")
    assert found == []


def test_c23_htmx_is_configured_for_the_csp(client, world):
    import json

    page = BeautifulSoup(client.get("/").text, "html.parser")
    config = json.loads(page.select_one('meta[name="htmx-config"]')["content"])
    assert config["allowEval"] is False
    assert config["includeIndicatorStyles"] is False
    assert config["allowScriptTags"] is False
    assert config["historyCacheSize"] == 0
    scripts = page.select("script")
    assert scripts and all(s.get("src", "").startswith("/static/") for s in scripts)
    # and the one after-paint.js adds (htmx), where the page says
    assert all(s.get("data-src", "/static/").startswith("/static/") for s in scripts)


def test_c23_case_pages_keep_out_of_htmx_history(app, client, db, world, login_as):
    scene = build_scene(db.session, world, app.instance_path)
    db.session.commit()
    number = scene.own["number"]
    login_as("enterprise")
    assert (
        BeautifulSoup(client.get(f"/cases/{number}").text, "html.parser").body["hx-history"]
        == "false"
    )
    for role, path in (
        ("office", f"/office/cases/{number}"),
        ("handler", f"/workbench/cases/{number}"),
    ):
        sign_out(client)
        login_as(role)
        body = BeautifulSoup(client.get(path).text, "html.parser").body
        assert body["hx-history"] == "false", path
