"""Any list as a workbook (openpyxl): a title row, the column headers, the rows; answered as
a download. The ledgers of the contact module have their own seed-shaped sheets
(`web/ledgers.py`); this is for the office's working lists and figures."""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from urllib.parse import quote

from flask import make_response
from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EXPORT_ROWS = 10_000  # a list longer than this is exported from its most urgent end


def case_columns() -> tuple[str, ...]:
    """The columns every exported list of cases starts with."""
    return (
        _("Case number"),
        _("Title"),
        _("Enterprise"),
        _("Received"),
        _("Status"),
        _("Lead department"),
    )


def case_row(case) -> tuple:
    from portal.domain.calendar import local_date
    from portal.web.labels import label

    return (
        case.number,
        case.title,
        case.applicant_name,
        local_date(case.received_at),
        label(case.state),
        case.lead_unit.name if case.lead_unit else "",
    )


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def put(sheet, row: int, col: int, value):
    """Write `value` to a cell as data, never as a formula: text that a user typed may start
    with `=`, `+`, `-` or `@` (`=HYPERLINK(...)`, `=cmd|...`), which a spreadsheet would
    evaluate. Such text is stored as a text cell with Excel's quote prefix (shown as typed,
    kept as text when edited); characters XML cannot hold are dropped (SECURITY.md check 17:
    formula injection in exports)."""
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
    cell = sheet.cell(row, col, value)
    if isinstance(value, str) and value.startswith(FORMULA_START):
        cell.data_type = "s"
        cell.quotePrefix = True
    return cell


def add_sheet(
    book: Workbook, name: str, title: str, columns: Sequence[str], rows: Iterable[Sequence]
) -> None:
    sheet = book.create_sheet(name[:31])
    put(sheet, 1, 1, title).font = Font(bold=True, size=14)
    for col, heading in enumerate(columns, start=1):
        cell = put(sheet, 2, col, heading)
        cell.font, cell.alignment = Font(bold=True), Alignment(wrap_text=True)
    widths = [max(8, len(str(c)) * 2) for c in columns]
    for r, row in enumerate(rows, start=3):
        for col, value in enumerate(row, start=1):
            put(sheet, r, col, value)
            widths[col - 1] = min(60, max(widths[col - 1], len(str(value or "")) * 2))
    for col, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(col)].width = width
    sheet.freeze_panes = "A3"


def workbook(*sheets: tuple[str, str, Sequence[str], Iterable[Sequence]]) -> bytes:
    book = Workbook()
    book.remove(book.active)
    for sheet in sheets:
        add_sheet(book, *sheet)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def download(data: bytes, filename: str, mimetype: str = XLSX):
    response = make_response(data)
    response.mimetype = mimetype
    response.headers["Content-Disposition"] = (
        f"attachment; filename=\"download.xlsx\"; filename*=UTF-8''{quote(filename)}"
    )
    return response
