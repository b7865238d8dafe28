"""Input and output: what a user types is stored as typed and shown as text everywhere
(SECURITY.md checks 17-20; issue 9 item 10, fuzzing the forms).

| check | tests (skips and why) |
|---|---|
| 17 XSS corpus | test_c17_corpus_is_inert_in_lists_pages_and_fragments |
| 17 | test_c17_corpus_typed_into_the_forms_is_inert |
| 17 | test_c17_corpus_in_the_contact_ledger_is_inert |
| 17 | test_c17_corpus_prints_as_text_in_the_pdfs |
| 17 | test_c17_exports_never_hold_a_formula, test_c17_put_writes_text_for_formula_starts |
| 17 | test_c17_query_names_never_reach_url_for |
| 18 SQL injection | test_c18_metacharacters_in_queue_search_and_filters |
| 18 | test_c18_metacharacters_in_the_registry_figures_and_contacts |
| 18 | test_c18_nul_and_control_characters_are_removed_from_input |
| 18 | test_c18_an_imported_registry_file_is_stored_clean |
| 19 open redirect | test_c19_login_lands_on_the_default_page |
| 19 | test_c19_the_language_switch_stays_on_the_site |
| 20 PDF SSRF | test_c20_case_text_fetches_nothing_when_printed |
| 20 | test_c20_the_url_fetcher_reads_only_static_files |
| item 10 fuzzing | test_i10_fuzz_public_forms, test_i10_fuzz_the_whistle_and_its_hint |
| item 10 | test_i10_fuzz_queue_search |

No skips. Fixes this module pins: control characters (NUL first: PostgreSQL refuses it, and a
search for `a%00b` answered 500) are removed where the request is parsed (`web/input.py`);
exported cells are written as data, never as formulas (`web/sheets.py` `put`); the queue and
audit pages write only their filter's fields back into links (other query names reached
url_for: `?format=pdf` or `?_method=POST` answered 500).
"""

from __future__ import annotations

import http.server
import io
import re
import shutil
import socket
import subprocess
import threading
from pathlib import Path

import pytest
import sqlalchemy as sa
import time_machine
from bs4 import BeautifulSoup
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from portal.domain import workflow
from portal.domain.calendar import WorkCalendar
from portal.domain.models import Case, Enterprise, RatingLevel
from portal.domain.text import clean
from portal.extensions import limiter
from portal.web.pdf import StaticOnlyFetcher
from tests import factories
from tests.conftest import csrf_from

CAL = WorkCalendar()
CORPUS = (
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "javascript:alert(1)",
    '" hx-get="/admin/" hx-trigger="load',
    "<svg onload=alert(1)>",
    "{{7*7}}",
    "'; --",
)
FORMULAS = ('=HYPERLINK("http://evil.example/","x")', "+1+1", "-2+3", "@SUM(1,1)")


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(factories.now(), tick=False):
        yield


# --------------------------------------------------------------------------- helpers


def assert_inert(html: str, *, shown: tuple[str, ...] = ()) -> None:
    """No element or attribute came from the corpus, and each text in `shown` appears as
    text (escaped in the markup, whole in the parsed page)."""
    soup = BeautifulSoup(html, "html.parser")
    for script in soup.find_all("script"):
        assert "alert(1)" not in (script.string or ""), script
    for element in soup.find_all(True):
        assert element.name != "svg" or "onload" not in element.attrs, element
        assert not (element.name == "img" and element.get("src") == "x"), element
        for name, value in element.attrs.items():
            value = " ".join(value) if isinstance(value, list) else str(value)
            assert not name.startswith("on"), element
            assert not (name.startswith("hx-") and "/admin/" in value), element
            assert not (
                name.startswith("hx-trigger")
                and value.strip() == "load"
                and "/admin/" in str(element)
            ), element
            if name in ("href", "src", "action", "formaction", "hx-get", "hx-post"):
                assert not value.strip().lower().startswith("javascript:"), element
    text = soup.get_text()
    assert "alert(1)</script>" not in html
    for payload in shown:
        assert payload in text, (payload, text[:2000])
    if "{{7*7}}" in shown:
        assert "{{7*7}}" in html  # Jinja never rendered it as 49


def _sign_out(client) -> None:
    page = client.get("/", follow_redirects=True).text
    assert client.post("/auth/logout", data={"csrf_token": csrf_from(page)}).status_code == 303


def _page(client, path: str, **headers) -> str:
    response = client.get(path, headers=headers)
    assert response.status_code == 200, (path, response.status_code)
    return response.text


def _pdf_text(tmp_path: Path, data: bytes) -> tuple[str, str]:
    """The PDF's text (pdftotext) and what `pdfinfo -js -url` says it holds."""
    for tool in ("pdftotext", "pdfinfo"):
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} missing: run `make setup-test` (poppler-utils)")
    assert data.startswith(b"%PDF")
    path = tmp_path / "doc.pdf"
    path.write_bytes(data)
    text = subprocess.run(
        ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    info = subprocess.run(
        ["pdfinfo", "-js", "-url", str(path)], capture_output=True, text=True, check=True
    ).stdout
    return text, info


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.fixture
def corpus_cases(db, world):
    """One case per payload, through its whole life with the payload in every text a user
    fills: subject, request, contact and applicant names, the enterprise's supplement, a
    contact note, a progress note shown to the enterprise, the reply, the rating comment;
    and one more refused with the payload as its message."""
    s = db.session
    office, handler, company = (world.users[r] for r in ("office", "handler", "enterprise"))
    t = factories.now()
    cases = []
    for payload in CORPUS:
        case = workflow.register_case(
            s,
            CAL,
            jurisdiction=world.city,
            applicant_name=world.enterprise.name,
            contact_name=payload,
            contact_phone="13900000000",
            title=payload,
            content=payload + " 请协调。",
            case_type=factories.CaseType.BUSINESS,
            channel=factories.Channel.PORTAL,
            at=t,
            by=company,
            enterprise=world.enterprise,
        )
        workflow.supplement(
            s, case, by=company, text="补充 " + payload, at=t, upload_root=Path("/nonexistent")
        )
        workflow.accept(s, CAL, case, by=office, at=t)
        workflow.dispatch(s, CAL, case, by=office, at=t, lead=world.department, note=payload)
        workflow.sign(s, case, by=handler, at=t)
        workflow.contact(s, case, by=handler, at=t, method="visit", when=t, note=payload)
        workflow.progress(s, case, by=handler, at=t, text="进展 " + payload, visible=True)
        workflow.reply(s, CAL, case, by=handler, text="答复 " + payload, at=t)
        workflow.approve_reply(s, CAL, case, by=office, at=t)
        workflow.rate(
            s,
            CAL,
            case,
            by=company,
            level=RatingLevel.SATISFIED,
            solved=True,
            comment="评价 " + payload,
            at=t,
        )
        cases.append(case)
    refused = factories.case(s, world.city, enterprise=world.enterprise, title="拒收件")
    workflow.refuse(s, refused, by=office, at=t, reason=1, message=" | ".join(CORPUS))
    s.commit()
    return cases, refused


# --------------------------------------------------------------------------- check 17


def test_c17_corpus_is_inert_in_lists_pages_and_fragments(client, world, login_as, corpus_cases):
    """SECURITY.md check 17: list, detail and fragment, for the office, the department and
    the enterprise."""
    cases, refused = corpus_cases
    htmx = {"HX-Request": "true", "HX-Target": "queue"}
    login_as("office")
    assert_inert(_page(client, "/office/?view=all"), shown=CORPUS)
    assert_inert(_page(client, "/office/?view=all", **htmx), shown=CORPUS)
    assert_inert(_page(client, "/office/?view=all&q=" + "%3Cscript%3E"))
    for case in cases:
        assert_inert(
            _page(client, f"/office/cases/{case.number}"),
            shown=(case.title, "答复 " + case.title, "进展 " + case.title),
        )
    assert_inert(_page(client, f"/office/cases/{refused.number}"), shown=CORPUS)
    for part in ("numerator", "denominator"):  # the cases counted in a figure
        assert_inert(
            _page(client, f"/figures/counted?figure=replied&part={part}&month=2026-11"),
            shown=CORPUS,
        )
    assert_inert(_page(client, "/figures/?month=2026-11"))
    assert_inert(_page(client, "/notifications/"))
    _sign_out(client)

    login_as("handler")
    assert_inert(_page(client, "/workbench/?view=all"), shown=CORPUS)
    assert_inert(_page(client, "/workbench/?view=all", **htmx), shown=CORPUS)
    for case in cases:
        assert_inert(
            _page(client, f"/workbench/cases/{case.number}"),
            shown=(case.title, "评价 " + case.title),
        )
    _sign_out(client)

    login_as("enterprise")
    assert_inert(_page(client, "/cases"), shown=CORPUS)
    for case in cases:
        assert_inert(
            _page(client, f"/cases/{case.number}"),
            shown=(case.title, "答复 " + case.title, "补充 " + case.title),
        )
        assert_inert(_page(client, f"/cases/{case.number}/status", **{"HX-Request": "true"}))
    assert_inert(_page(client, f"/cases/{refused.number}"), shown=CORPUS)
    assert_inert(_page(client, "/notifications/"))


def test_c17_corpus_typed_into_the_forms_is_inert(client, db, world, login_as):
    """Check 17 through the forms themselves: the whistle, the office's phone registration
    and the registry's enterprise fields, each shown back on its pages."""
    login_as("enterprise")
    for n, payload in enumerate(CORPUS):
        page = _page(client, "/whistle")
        key = BeautifulSoup(page, "html.parser").select_one("#submission_key")["value"]
        response = client.post(
            "/whistle",
            data={
                "csrf_token": csrf_from(page),
                "submission_key": key,
                "level": "local",
                "case_type": "business",
                "category": "4",
                "title": payload,
                "content": f"{payload} 第{n}件，春节后缺工。",
                "contact_name": payload,
                "contact_phone": "13800000001",
                "confirm_new": "1",
            },
        )
        assert response.status_code == 303, response.text[:800]
        assert_inert(_page(client, response.headers["Location"]), shown=(payload,))
    assert_inert(_page(client, "/cases"), shown=CORPUS)
    # A form sent back with errors shows the typed text in its inputs, escaped.
    page = _page(client, "/whistle")
    response = client.post(
        "/whistle", data={"csrf_token": csrf_from(page), "title": CORPUS[3], "content": CORPUS[1]}
    )
    assert response.status_code == 200
    assert_inert(response.text)
    soup = BeautifulSoup(response.text, "html.parser")
    assert soup.select_one('input[name="title"]')["value"] == CORPUS[3]
    _sign_out(client)

    login_as("office")
    for payload in CORPUS:
        page = _page(client, "/office/register")
        response = client.post(
            "/office/register",
            data={
                "csrf_token": csrf_from(page),
                "channel": "phone",
                "applicant_name": payload,
                "contact_name": payload,
                "contact_phone": "13900000002",
                "case_type": "business",
                "title": payload,
                "content": payload + " 电话登记的诉求。",
            },
        )
        assert response.status_code == 303, response.text[:800]
        assert_inert(_page(client, response.headers["Location"]), shown=(payload,))
    before = db.session.scalar(sa.select(sa.func.count()).select_from(Enterprise))
    for n, payload in enumerate(CORPUS):  # the registry's own form
        page = _page(client, "/contacts/registry/new")
        place = BeautifulSoup(page, "html.parser").select('select[name="place"] option')[-1]
        response = client.post(
            "/contacts/registry/new",
            data={
                "csrf_token": csrf_from(page),
                "name": f"{payload}{n}",
                "kind": "sme",
                "industry": payload,
                "place": place["value"],
                "address": payload,
                "contact_name": payload,
                "contact_phone": "0768-2200000",
            },
        )
        assert response.status_code == 303, response.text[:800]
        edited = db.session.scalar(sa.select(Enterprise).where(Enterprise.name == f"{payload}{n}"))
        form = _page(client, f"/contacts/registry/{edited.id}")
        assert_inert(form)
        address = BeautifulSoup(form, "html.parser").select_one('input[name="address"]')
        assert address["value"] == payload  # kept as typed, in an escaped attribute
    registry = _page(client, "/contacts/registry")
    assert_inert(registry, shown=tuple(f"{p}{n}" for n, p in enumerate(CORPUS)))
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Enterprise)) == before + len(
        CORPUS
    )
    assert_inert(_page(client, "/office/?view=all"), shown=CORPUS)


def test_c17_corpus_in_the_contact_ledger_is_inert(client, db, world, login_as, tmp_path):
    """Check 17 in the contact module (全覆盖联系台帐): the liaison's note and problems with
    the corpus, shown in the problem list and the month's sheet and PDF."""
    login_as("liaison")
    url = f"/contacts/enterprises/{world.enterprise.id}/contact"
    for payload in CORPUS:
        page = _page(client, url)
        response = client.post(
            url,
            data={
                "csrf_token": csrf_from(page),
                "contacted_on": "2026-11-25",
                "method": "visit",
                "note": payload,
                "problems-0-name": payload,
                "problems-0-content": "详情 " + payload,
            },
        )
        assert response.status_code == 303, response.text[:800]
    assert_inert(_page(client, url))  # its history names dates and methods only
    assert_inert(_page(client, "/contacts/problems"), shown=CORPUS)
    assert_inert(_page(client, "/contacts/"))
    response = client.get("/contacts/ledger.xlsx?month=2026-11")
    assert response.status_code == 200
    values = set()
    for cell in _cells(response.data):
        assert cell.data_type != "f", cell.value
        values.add(cell.value)
    assert any(CORPUS[0] in str(v) for v in values)
    response = client.get("/contacts/ledger.pdf?month=2026-11")
    assert response.status_code == 200
    text, info = _pdf_text(tmp_path, response.data)
    assert _squash(CORPUS[0]) in _squash(text) and "javascript" not in info.lower()


@pytest.mark.slow
def test_c17_corpus_prints_as_text_in_the_pdfs(client, world, login_as, corpus_cases, tmp_path):
    """Check 17 in the PDFs: the payloads print as text; no JavaScript and no link in the
    document comes from them."""
    cases, refused = corpus_cases
    login_as("office")
    for case in cases[:3] + [refused]:
        for doc in ("dossier.pdf", "registration.pdf"):
            response = client.get(f"/office/cases/{case.number}/{doc}")
            assert response.status_code == 200
            text, info = _pdf_text(tmp_path, response.data)
            assert _squash(case.title) in _squash(text), (doc, text[:500])
            assert "javascript" not in info.lower() and "evil" not in info, info
            assert b"/JavaScript" not in response.data and b"/JS " not in response.data
    _sign_out(client)
    login_as("enterprise")
    for case in cases:
        for doc in ("registration.pdf", "evaluation.pdf"):
            response = client.get(f"/cases/{case.number}/{doc}")
            assert response.status_code == 200
            text, info = _pdf_text(tmp_path, response.data)
            assert _squash(case.title) in _squash(text), (doc, text[:500])
            assert "javascript" not in info.lower(), info


def _cells(data: bytes):
    book = load_workbook(io.BytesIO(data))
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            yield from row


def test_c17_exports_never_hold_a_formula(client, db, world, login_as, corpus_cases):
    """Check 17 in the exports (formula injection): text starting with = + - @ is a text
    cell with the quote prefix, never a formula; the corpus is there as typed."""
    for n, formula in enumerate(FORMULAS):
        factories.case(db.session, world.city, enterprise=world.enterprise, title=formula)
        factories.enterprise(db.session, world.city, name=f"{formula}{n}")
    db.session.commit()
    login_as("office")
    exports = ["/office/?view=all&format=xlsx", "/figures/bulletin.xlsx", "/contacts/ledgers.xlsx"]
    seen = set()
    for path in exports:
        response = client.get(path)
        assert response.status_code == 200, path
        for cell in _cells(response.data):
            assert cell.data_type != "f", (path, cell.coordinate, cell.value)
            if isinstance(cell.value, str):
                seen.add(cell.value)
                if cell.value.startswith(("=", "+", "-", "@")):
                    assert cell.data_type == "s" and cell.quotePrefix, (path, cell.value)
    assert set(FORMULAS) <= seen and set(CORPUS) <= seen


def test_c17_put_writes_text_for_formula_starts():
    """The cell writer itself (`web/sheets.py` put): formulas become text, characters XML
    cannot hold are dropped, numbers stay numbers."""
    from openpyxl import Workbook

    from portal.web.sheets import put

    sheet = Workbook().active
    assert put(sheet, 1, 1, "=1+1").data_type == "s"
    assert put(sheet, 1, 2, "a\x00b\x1bc").value == "abc"
    assert put(sheet, 1, 3, -5).data_type == "n"
    assert not put(sheet, 1, 4, "普通文字").quotePrefix


# --------------------------------------------------------------------------- check 18

METACHARACTERS = (
    "' OR '1'='1",
    "%",
    "_",
    "\\",
    '"; DROP TABLE "case"; --',
    "a\x00b",
    "x" * 5000,
    "%' --",
    "/",
    "\r\n",
    " ",
)


def _rows(html: str) -> int:
    soup = BeautifulSoup(html, "html.parser")
    return len(soup.select("table.queue tbody tr"))


def _case_count(db) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Case))


@pytest.mark.parametrize("value", METACHARACTERS)
def test_c18_metacharacters_in_queue_search_and_filters(client, db, world, login_as, value):
    """SECURITY.md check 18: every parameter of the queues; `%` and `_` match themselves."""
    for name in ("甲方陶瓷公司", "乙方五金公司"):
        factories.case(db.session, world.city, enterprise=world.enterprise).applicant_name = name
    db.session.commit()
    before = _case_count(db)
    login_as("office")
    assert _rows(_page(client, "/office/?view=all&q=公司")) == 2  # the honest search
    for param in (
        "q",
        "state",
        "category",
        "unit",
        "received_from",
        "received_to",
        "page",
        "view",
        "overdue",
        "format",
    ):
        query = {"view": "all", param: value} if param != "view" else {param: value}
        response = client.get("/office/", query_string=query)
        assert response.status_code == 200, (param, response.status_code)
        if param == "q" and not value.strip():  # blanks are no search: every case
            assert _rows(response.text) == 2
        elif param == "q" and len(value) <= 100:
            assert _rows(response.text) == 0, param
        elif param == "q":  # too long to search: said beside the field, nothing filtered
            assert BeautifulSoup(response.text, "html.parser").select_one("#q-error")
        elif param != "view":
            assert _rows(response.text) <= 2, param
    _sign_out(client)
    login_as("handler")
    for param in ("q", "state", "page", "view", "category", "unit"):
        response = client.get("/workbench/", query_string={param: value})
        assert response.status_code == 200, param
    _sign_out(client)
    login_as("enterprise")
    for param in ("q", "page", "state"):
        assert client.get("/cases", query_string={param: value}).status_code in (200, 404)
    assert _case_count(db) == before  # the table is still there, with its rows


@pytest.mark.parametrize("value", METACHARACTERS)
def test_c18_metacharacters_in_the_registry_figures_and_contacts(
    client, db, world, login_as, value
):
    """Check 18 on the registry search (autoescaped LIKE), the figures' periods and the
    contact module's filters."""
    login_as("office")
    honest = _page(client, "/contacts/registry", q="")
    assert world.enterprise.name in honest
    response = client.get(
        "/contacts/registry",
        query_string={"q": value, "page": value, "place": value, "only": value},
    )
    assert response.status_code == 200
    found = BeautifulSoup(response.text, "html.parser").get_text()
    assert (world.enterprise.name in found) == (not value.strip())  # blanks: no search
    for path in (
        "/figures/",
        "/figures/review",
        "/figures/progress",
        "/figures/meeting",
        "/figures/counted",
    ):
        for param in ("month", "period", "page", "figure", "part", "format"):
            response = client.get(path, query_string={param: value})
            assert response.status_code in (200, 400, 404), (path, param, response.status_code)
    _sign_out(client)
    login_as("liaison")
    for path in ("/contacts/", "/contacts/problems", "/contacts/coverage"):
        for param in ("only", "unit", "month", "page"):
            response = client.get(path, query_string={param: value})
            assert response.status_code in (200, 400, 404), (path, param, response.status_code)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Enterprise)) == 2


def test_c18_nul_and_control_characters_are_removed_from_input(client, db, world, login_as):
    """PostgreSQL cannot hold a NUL: the request's parameters lose their control characters
    before any form reads them (`web/input.py`), so a whistle with them is stored clean."""
    login_as("enterprise")
    page = _page(client, "/whistle")
    key = BeautifulSoup(page, "html.parser").select_one("#submission_key")["value"]
    response = client.post(
        "/whistle",
        data={
            "csrf_token": csrf_from(page),
            "submission_key": key,
            "level": "local",
            "case_type": "business",
            "category": "4",
            "title": "缺\x00工\x1b三十人",
            "content": "春节后\r\n缺工\x00约三十人\t，请协调。",
            "contact_name": "王\x07经理",
            "contact_phone": "13800000001",
        },
    )
    assert response.status_code == 303, response.text[:500]
    case = db.session.scalar(sa.select(Case))
    assert (case.title, case.contact_name) == ("缺工三十人", "王经理")
    assert case.content == "春节后\r\n缺工约三十人\t，请协调。"


def test_c18_an_imported_registry_file_is_stored_clean(client, db, world, login_as):
    """Check 18 for the registry import: a file arrives as bytes, past the request's
    cleaning; a NUL in a cell answered 500 on PostgreSQL. Cells are cleaned as read, and a
    formula in a cell is kept as text."""
    login_as("office")
    text = '企业名称,行业,地址\n甲\x00砖厂,砖\x1b瓦,"=HYPERLINK(""http://evil.example"")"\n'
    page = _page(client, "/contacts/registry/import")
    response = client.post(
        "/contacts/registry/import",
        data={"csrf_token": csrf_from(page), "file": (io.BytesIO(text.encode()), "名单.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200, response.status_code
    assert_inert(response.text)
    shop = db.session.scalar(sa.select(Enterprise).where(Enterprise.name == "甲砖厂"))
    assert shop is not None and shop.industry == "砖瓦"
    assert shop.address == '=HYPERLINK("http://evil.example")'


# --------------------------------------------------------------------------- check 19

OFFSITE = (
    "//evil.com",
    "https://evil.com",
    "/\\evil.com",
    "\\\\evil.com",
    "javascript:alert(1)",
    "%2F%2Fevil.com",
    "/\t/evil.com",
    "http:evil.com",
    "///evil.com",
    " //evil.com",
)


@pytest.mark.parametrize("target", OFFSITE + ("/ok",))
def test_c19_login_lands_on_the_default_page(client, world, target):
    """SECURITY.md check 19: `?next=` off the site lands on the role's home page; `/ok`
    (on the site) is followed."""
    page = _page(client, "/auth/login?" + f"next={target}")
    user = world.users["office"]
    response = client.post(
        "/auth/login",
        data={
            "login": user.username,
            "password": factories.PASSWORD,
            "csrf_token": csrf_from(page),
            "next": BeautifulSoup(page, "html.parser").select_one('input[name="next"]')["value"],
        },
    )
    assert response.status_code == 303
    expected = "/ok" if target == "/ok" else "/office/"
    assert response.headers["Location"] == expected, (target, response.headers["Location"])


@pytest.mark.parametrize("target", OFFSITE + ("/ok",))
def test_c19_the_language_switch_stays_on_the_site(client, world, target):
    """Check 19 for the other redirect that takes a target (the language switch)."""
    page = _page(client, "/auth/login")
    response = client.post(
        "/auth/language", data={"csrf_token": csrf_from(page), "lang": "en", "next": target}
    )
    assert response.status_code == 303
    expected = "/ok" if target == "/ok" else "/"
    assert response.headers["Location"] == expected, (target, response.headers["Location"])


# --------------------------------------------------------------------------- check 20


class _Recorder(http.server.BaseHTTPRequestHandler):
    seen: list[str] = []

    def do_GET(self):  # noqa: N802 (http.server's name)
        self.seen.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "text/css")
        self.end_headers()
        self.wfile.write(b"body{}")

    def log_message(self, *args):
        pass


@pytest.fixture
def listener():
    """A real HTTP server on a free local port, recording every request it gets."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    seen: list[str] = []
    handler = type("Recorder", (_Recorder,), {"seen": seen})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}", seen
    server.shutdown()
    server.server_close()


def _ssrf_text(base: str) -> str:
    return (
        f'<img src="{base}/img"> <img src="http://169.254.169.254/latest/meta-data/">'
        f'<link rel=stylesheet href="{base}/css"> '
        '<link rel=stylesheet href="file:///etc/passwd"> <iframe src=file:///etc/passwd>'
        f'<div style="background:url({base}/bg)">x</div> '
        f"<style>@import url({base}/import); p{{background:url({base}/p)}}</style>"
    )


@pytest.mark.slow
def test_c20_case_text_fetches_nothing_when_printed(
    client, db, world, login_as, listener, tmp_path
):
    """SECURITY.md check 20: case text naming a local server, the metadata address and
    /etc/passwd, printed in every PDF that prints case text: no request reaches the
    server, no file's content is printed. The same HTML rendered by WeasyPrint's own
    fetcher does reach the server, so the listener would have seen a fetch."""
    from weasyprint import HTML

    base, seen = listener
    HTML(string=f'<img src="{base}/control">').write_pdf()
    assert seen == ["/control"]  # the listener works
    seen.clear()
    text = _ssrf_text(base)
    case = factories.case(
        db.session, world.city, enterprise=world.enterprise, title=f'<img src="{base}/t">'
    )
    case.content, case.contact_name = text, f"<link rel=stylesheet href={base}/n>"
    t = factories.now()
    workflow.accept(db.session, CAL, case, by=world.users["office"], at=t)
    workflow.dispatch(
        db.session, CAL, case, by=world.users["office"], at=t, lead=world.department, note=text
    )
    workflow.sign(db.session, case, by=world.users["handler"], at=t)
    workflow.reply(db.session, CAL, case, by=world.users["handler"], text=text, at=t)
    workflow.approve_reply(db.session, CAL, case, by=world.users["office"], at=t)
    workflow.rate(
        db.session,
        CAL,
        case,
        by=world.users["enterprise"],
        level=RatingLevel.SATISFIED,
        solved=True,
        comment=text,
        at=t,
    )
    db.session.commit()
    passwd = Path("/etc/passwd").read_text().splitlines()[0]
    login_as("office")
    docs = [
        "dossier",
        "registration",
        "approval-form",
        "transfer-letter",
        "assignment-slip",
        "handling-form",
        "evaluation",
    ]
    urls = [f"/office/cases/{case.number}/{d}.pdf" for d in docs] + ["/office/summary-list.pdf"]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        printed, _info = _pdf_text(tmp_path, response.data)
        assert passwd not in printed, url
    assert "169.254.169.254" in _squash(
        _pdf_text(tmp_path, client.get(f"/office/cases/{case.number}/dossier.pdf").data)[0]
    )
    _sign_out(client)
    login_as("enterprise")
    for doc in ("registration", "evaluation"):
        response = client.get(f"/cases/{case.number}/{doc}.pdf")
        assert response.status_code == 200
        assert passwd not in _pdf_text(tmp_path, response.data)[0]
    assert seen == []


def test_c20_the_url_fetcher_reads_only_static_files(app, listener, tmp_path):
    """Check 20 at the fetcher: only files under portal/static (and data: URIs)."""
    base, seen = listener
    root = Path(app.static_folder)
    fetcher = StaticOnlyFetcher(root)
    css = next(root.rglob("*.css"))
    assert fetcher.fetch(css.resolve().as_uri()).read()  # the app's own stylesheet
    assert fetcher.fetch("data:text/plain,hi").read() == b"hi"
    secret = tmp_path / "secret.txt"
    secret.write_text("secret")
    for url in (
        f"{base}/x",
        "http://169.254.169.254/latest/meta-data/",
        "file:///etc/passwd",
        secret.as_uri(),
        (root / ".." / ".." / "pyproject.toml").as_uri(),
        root.resolve().as_uri() + "/../__init__.py",
        root.resolve().as_uri() + "/%2e%2e/__init__.py",
        "file://evil.com/etc/passwd",
        "ftp://127.0.0.1/",
        "gopher://127.0.0.1:9/",
    ):
        with pytest.raises(Exception):  # noqa: B017 (refused, however the fetcher says so)
            fetcher.fetch(url).read()
    assert seen == []


# --------------------------------------------------------------------------- item 10

NASTY = st.sampled_from(
    [
        "<script>alert(1)</script>",
        '" hx-get="/admin/" hx-trigger="load',
        "' OR '1'='1",
        "%",
        "_",
        "\\",
        "\x00",
        "\r\n",
        "\x1b[31m",
        "\u202e",
        "\u200f",
        "😀👍",
        "{{7*7}}",
        "x" * 3000,
        "'; --",
        "<img src=x onerror=alert(1)>",
    ]
)
FUZZ = st.lists(st.one_of(NASTY, st.text(max_size=40)), min_size=1, max_size=4).map("".join)
FAST = settings(
    max_examples=15,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _reflected_safely(response) -> None:
    assert response.status_code < 500 and response.status_code != 429, response.status_code
    if response.mimetype == "text/html":
        assert_inert(response.text)


@pytest.mark.slow
@FAST
@given(login=FUZZ, password=FUZZ, number=FUZZ, mobile=FUZZ, name=FUZZ)
def test_i10_fuzz_public_forms(client, db, world, login, password, number, mobile, name):
    """Issue 9 item 10: /auth/login, /track and /auth/register with generated text: never
    a 500, never reflected unescaped, never a case or an account more."""
    limiter.reset()  # each example is a fresh visitor; the limits have tests of their own
    cases, users = _case_count(db), db.session.scalar(sa.text('SELECT count(*) FROM "user"'))
    token = csrf_from(_page(client, "/auth/login"))
    _reflected_safely(
        client.post(
            "/auth/login",
            data={"login": login, "password": password, "next": name, "csrf_token": token},
        )
    )
    _reflected_safely(
        client.post("/track", data={"number": number, "mobile": mobile, "csrf_token": token})
    )
    _reflected_safely(
        client.post(
            "/auth/register",
            data={
                "name": name,
                "mobile": mobile,
                "password": password,
                "enterprise_name": name,
                "kind": login,
                "credit_code": number,
                "jurisdiction": number,
                "csrf_token": token,
            },
        )
    )
    assert _case_count(db) == cases
    assert db.session.scalar(sa.text('SELECT count(*) FROM "user"')) == users


@pytest.fixture
def signed_in_enterprise(client, login_as):
    login_as("enterprise")
    return client


@FAST
@given(title=FUZZ, content=FUZZ, contact=FUZZ, phone=st.one_of(st.just("13800000001"), FUZZ))
def test_i10_fuzz_the_whistle_and_its_hint(
    signed_in_enterprise, db, title, content, contact, phone
):
    """Item 10 on /whistle (signed in as an enterprise) and its live hint: a post either
    makes one case or re-renders with errors; never a 500, nothing reflected unescaped."""
    client = signed_in_enterprise
    limiter.reset()
    before = _case_count(db)
    page = _page(client, "/whistle")
    token = csrf_from(page)
    key = BeautifulSoup(page, "html.parser").select_one("#submission_key")["value"]
    response = client.post(
        "/whistle",
        data={
            "csrf_token": token,
            "submission_key": key,
            "level": "local",
            "case_type": "business",
            "category": "4",
            "title": title,
            "content": content,
            "contact_name": contact,
            "contact_phone": phone,
            "confirm_new": "1",
        },
    )
    _reflected_safely(response)
    assert _case_count(db) == before + (1 if response.status_code == 303 else 0)
    if response.status_code == 303:  # made a case: its page shows what was kept, as text
        _reflected_safely(client.get(response.headers["Location"]))
    _reflected_safely(
        client.post(
            "/whistle/similar",
            headers={"HX-Request": "true"},
            data={"csrf_token": token, "title": title, "content": content},
        )
    )


@FAST
@given(q=FUZZ, state=FUZZ, received=FUZZ, page=FUZZ)
def test_i10_fuzz_queue_search(client, db, world, login_as, q, state, received, page):
    """Item 10 on the queue's search and filters: never a 500, never an extra row (no
    applicant here is named with the generated text)."""
    if not getattr(client, "_fuzz_signed_in", False):
        factories.case(db.session, world.city, enterprise=world.enterprise)
        db.session.commit()
        login_as("office")
        client._fuzz_signed_in = True
    response = client.get(
        "/office/",
        query_string={
            "view": "all",
            "q": q,
            "state": state,
            "received_from": received,
            "page": page,
        },
    )
    _reflected_safely(response)
    typed = clean(q).strip()
    if typed and typed not in world.enterprise.name and len(typed) <= 100:  # else: said
        assert _rows(response.text) == 0, typed


@pytest.mark.parametrize("path, role", [("/office/", "office"), ("/audit/", "inspector")])
def test_c17_query_names_never_reach_url_for(client, db, world, login_as, path, role):
    """Check 17: the pages that write their query back into links (the queue's Excel and
    next-page links, the audit log's pages) take only their filter's fields. Any other
    name went into url_for: a stray `format` or `_method` answered 500, `_external` and
    `_anchor` rewrote the links."""
    from portal.domain import audit

    factories.case(db.session, world.city, enterprise=world.enterprise)
    for _n in range(60):  # more than one page of the audit log
        audit.record(
            db.session,
            at=factories.now(),
            user_id=None,
            ip="127.0.0.1",
            action="probe",
            object_type=None,
            object_id=None,
            result="ok",
            detail="",
        )
    db.session.commit()
    login_as(role)
    response = client.get(
        path,
        query_string={
            "view": "all",
            "_scheme": "javascript",
            "_external": "1",
            "format": "pdf",
            "_anchor": "x",
            "_method": "POST",
        },
    )
    assert response.status_code == 200
    assert_inert(response.text)
    links = [a["href"] for a in BeautifulSoup(response.text, "html.parser").select("a[href]")]
    assert any("page=2" in link or "format=xlsx" in link for link in links), links
    for link in links:
        assert link.startswith(("/", "#")) and "_method" not in link, link
        assert not link.endswith("#x") and "format=pdf" not in link, link
