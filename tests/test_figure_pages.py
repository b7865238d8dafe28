"""The figures' pages: the dashboard with its charts and tables, the cases behind a count,
the lists and their .xlsx, the bulletin as PDF (CJK font embedded) and .xlsx; who may see
them; bad input answered, never a 500."""

from __future__ import annotations

import io
import subprocess

import pytest
import time_machine
from bs4 import BeautifulSoup
from openpyxl import load_workbook

from portal.domain.models import AuditLog
from tests import factories
from tests.test_figures import cases  # noqa: F401  (the fixture)


@pytest.fixture()
def office(client, login_as, cases):  # noqa: F811
    with time_machine.travel(factories.now(), tick=True):
        login_as("office")
        yield client


def soup(response) -> BeautifulSoup:
    assert response.status_code == 200, response.status_code
    return BeautifulSoup(response.text, "html.parser")


def test_the_dashboard_shows_each_figure_as_chart_and_table(office, world):
    page = soup(office.get("/figures/?month=2026-11"))
    rows = {
        tr.th.contents[0].strip(): tr
        for tr in page.select("#seven ~ table tbody tr, table.figures tbody tr")
    }
    surveyed = rows["满意度调查率"]
    assert "66.7%" in surveyed.text
    links = [a["href"] for a in surveyed.select("a")]
    assert links[:2] == [
        "/figures/counted?figure=surveyed&part=numerator&month=2026-11",
        "/figures/counted?figure=surveyed&part=denominator&month=2026-11",
    ]
    assert len(page.select("svg.chart[role=img]")) == 3
    assert page.select_one("svg.chart")["aria-labelledby"] == "seven-table"
    assert page.select_one("#seven-table") is not None
    assert (
        "市人力资源和社会保障局"
        in page.select_one("#departments ~ table, section[aria-labelledby=departments]").text
    )
    # October had one case, refused: the rates that need taken-on cases say "—".
    october = rows["处置率"].select("td")[1].text
    assert "—" in october and "0 / 0" in october


def test_the_dashboard_weighs_at_most_40_kb_gzipped(office):
    """Issue 7's byte budget, with every section filled (departments, category × area)."""
    import gzip

    body = office.get("/figures/?month=2026-11").data
    assert len(gzip.compress(body, 6)) <= 40 * 1024


def test_the_cases_behind_a_count(office, world, cases):  # noqa: F811
    page = soup(office.get("/figures/counted?figure=surveyed&part=numerator&month=2026-11"))
    text = page.text
    assert cases["on_the_spot"].number in text and cases["unhappy"].number in text
    assert cases["unrated"].number not in text
    book = office.get("/figures/counted?figure=surveyed&part=numerator&month=2026-11&format=xlsx")
    sheet = load_workbook(io.BytesIO(book.data)).active
    assert sheet.cell(2, 1).value == "事项编号"
    numbers = {sheet.cell(r, 1).value for r in range(3, sheet.max_row + 1)}
    assert numbers == {cases["on_the_spot"].number, cases["unhappy"].number}
    assert office.get("/figures/counted?figure=bogus&part=numerator").status_code == 404
    assert office.get("/figures/counted?figure=surveyed&part=half").status_code == 404
    bad = office.get("/figures/counted?figure=surveyed&part=numerator&month=2026-99&page=-3")
    assert bad.status_code == 200


def test_the_lists_and_their_workbooks(office, world, cases):  # noqa: F811
    review = soup(office.get("/figures/review?month=2026-11"))
    assert cases["late"].number in review.text and "已逾期" in review.text
    assert cases["refused"].number not in review.text
    for path in (
        "/figures/review?format=xlsx",
        "/figures/progress?format=xlsx",
        "/figures/meeting?format=xlsx",
        "/figures/bulletin.xlsx?month=2026-11",
    ):
        response = office.get(path)
        assert response.status_code == 200, path
        assert response.mimetype.endswith("spreadsheetml.sheet")
        load_workbook(io.BytesIO(response.data))
    assert soup(office.get("/figures/progress")).h1 is not None
    assert soup(office.get("/figures/meeting")).h1 is not None


def test_the_bulletin_pdf(office, world, tmp_path, db):
    response = office.get("/figures/bulletin.pdf?month=2026-11")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    pdf = tmp_path / "bulletin.pdf"
    pdf.write_bytes(response.data)
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True).stdout
    assert "CJK" in fonts and " yes " in fonts
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True
    ).stdout
    assert "工作简报" in text and "市人力资源和社会保障局" in text and "66.7%" in text
    exports = db.session.query(AuditLog).filter_by(action="export", object_type="bulletin")
    assert exports.count() == 1


@pytest.mark.parametrize(
    "role, status",
    [
        ("leader", 200),
        ("inspector", 200),
        ("handler", 403),
        ("enterprise", 403),
        ("liaison", 403),
        ("admin", 403),
    ],
)
def test_who_may_read_the_figures(client, login_as, world, role, status):
    login_as(role)
    assert client.get("/figures/").status_code == status
