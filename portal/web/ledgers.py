"""The month's ledgers of a unit as the seed's forms (Dalu 附件1-4): 月台帐 and 问题诉求登载表,
as .xlsx (openpyxl) and as PDF (WeasyPrint, A4 landscape, the CJK font embedded).

The forms are official documents: headers, header fields and the remark are the seed's
words, in Chinese whatever the reader's language. 附件1/3 are for sections (科室), 附件2/4
for villages and communities (村（社区）).
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from flask_babel import force_locale
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter
from sqlalchemy.orm import selectinload

from portal.domain import ledger
from portal.domain.calendar import local_date
from portal.domain.models import (
    ContactProblem,
    ContactRecord,
    Enterprise,
    LedgerSubmission,
    OrgUnit,
    UnitKind,
    User,
)
from portal.web.labels import label, masked_mobile
from portal.web.pdf import render_pdf
from portal.web.sheets import put

TITLE_MONTHLY = "“企业吹哨 部门报到”全覆盖联系服务企业月台帐情况表"
# The seed writes 附件2's title with 台账 where 附件1 has 台帐: "附件2 “企业吹哨 部门报到”全覆盖
# 联系服务企业月台账情况表 村（社区）". An official form is copied as it stands.
TITLE_MONTHLY_VILLAGE = "“企业吹哨 部门报到”全覆盖联系服务企业月台账情况表"
TITLE_PROBLEMS = "“企业吹哨 部门报到”全覆盖联系服务企业解决问题诉求登载表"
MONTHLY_COLUMNS = (
    "序号",
    "企业名称",
    "所属类别",
    "企业联络人员及电话",
    "联系服务部门",
    "联系服务领导及电话",
    "联系服务人及电话",
    "联系时间",
    "联系形式（电话收集、座谈、走访等）",
    "收集问题诉求个数",
)
PROBLEM_COLUMNS = (
    "序号",
    "企业名称",
    "问题诉求名称",
    "企业联络人员及电话",
    "部门联系服务人及电话",
    "具体内容",
    "办结时间",
    "办理情况",
)
REMARK = "备注：企业行业类别为中小微企业、个体工商户。"


def _with_phone(name, phone) -> str:
    return " ".join(p for p in (name or "", phone or "") if p)


def _enterprise_contact(c: ContactRecord, reader: User) -> str:
    """企业联络人员及电话: the enterprise's contact person is personal data, so the number is
    whole only for the liaison who made the contact (they call back from this form); the
    office that collects the ledgers and reports them up sees it masked, as the contact
    lists do (GB/T 35273 minimum necessary; SECURITY.md checklist 31). The staff's own
    phones (联系服务领导、联系服务人) are work numbers printed on the service card, kept."""
    e = c.enterprise
    phone = e.contact_phone if c.user_id == reader.id else masked_mobile(e.contact_phone)
    return _with_phone(e.contact_name, phone)


@dataclass
class LedgerDocument:
    unit: OrgUnit
    year: int
    month: int
    filled_by: str
    filled_on: date
    submitted: bool
    monthly: list[tuple] = field(default_factory=list)
    problems: list[tuple] = field(default_factory=list)

    @property
    def is_village(self) -> bool:
        return self.unit.kind is UnitKind.VILLAGE_COMMITTEE

    @property
    def header_fields(self) -> list[tuple[str, str]]:
        """附件1/3: 填报科室、填报人、科室负责人、分管领导、填报时间;
        附件2/4: 填报村（社区）、填报人、
        村（社区）书记、填报时间."""
        day = f"{self.filled_on.year}年{self.filled_on.month}月{self.filled_on.day}日"
        if self.is_village:
            return [
                ("填报村（社区）", self.unit.name),
                ("填报人", self.filled_by),
                ("村（社区）书记", self.unit.head_name or ""),
                ("填报时间", day),
            ]
        return [
            ("填报科室", self.unit.name),
            ("填报人", self.filled_by),
            ("科室负责人", self.unit.head_name or ""),
            ("分管领导", self.unit.leader_name or ""),
            ("填报时间", day),
        ]

    @property
    def title_monthly(self) -> str:
        return TITLE_MONTHLY_VILLAGE if self.is_village else TITLE_MONTHLY

    @property
    def subtitle(self) -> str:
        return "村（社区）" if self.is_village else "（科室）"

    @property
    def name(self) -> str:
        return f"{self.unit.name}{self.year}年{self.month}月台帐"


def build(
    session, unit: OrgUnit, year: int, month: int, *, reader: User, today: date
) -> LedgerDocument:
    """The unit's month: one row per contact (附件1/2) and one per problem (附件3/4), in date
    order; a forwarded problem's 办结时间 and 办理情况 come from its case."""
    first, last = ledger.month_range(year, month)
    done = session.scalar(
        sa.select(LedgerSubmission).where(
            LedgerSubmission.unit_id == unit.id,
            LedgerSubmission.year == year,
            LedgerSubmission.month == month,
        )
    )
    contacts = session.scalars(
        sa.select(ContactRecord)
        .where(ContactRecord.unit_id == unit.id, ContactRecord.contacted_on.between(first, last))
        .options(
            selectinload(ContactRecord.enterprise),
            selectinload(ContactRecord.user),
            selectinload(ContactRecord.problems).selectinload(ContactProblem.case),
        )
        .order_by(ContactRecord.contacted_on, ContactRecord.id)
    ).all()
    filler = done.submitted_by if done else reader
    doc = LedgerDocument(
        unit,
        year,
        month,
        filled_by=filler.name,
        filled_on=local_date(done.submitted_at) if done else today,
        submitted=done is not None,
    )
    with force_locale("zh_Hans_CN"):
        for n, c in enumerate(contacts, start=1):
            e: Enterprise = c.enterprise
            doc.monthly.append(
                (
                    n,
                    e.name,
                    label(e.kind),
                    _enterprise_contact(c, reader),
                    unit.name,
                    _with_phone(unit.leader_name, unit.leader_phone),
                    _with_phone(c.user.name, c.user.phone),
                    c.contacted_on.isoformat(),
                    label(c.method),
                    len(c.problems),
                )
            )
        n = 0
        for c in contacts:
            for p in c.problems:
                n += 1
                finished, outcome = _progress(p)
                doc.problems.append(
                    (
                        n,
                        c.enterprise.name,
                        p.name,
                        _enterprise_contact(c, reader),
                        _with_phone(c.user.name, c.user.phone),
                        p.content,
                        finished,
                        outcome,
                    )
                )
    return doc


def _progress(problem: ContactProblem) -> tuple[str, str]:
    case = problem.case
    if case is None:
        return (
            problem.finished_on.isoformat() if problem.finished_on else "",
            problem.outcome or "办理中",
        )
    state = label(case.state)
    finished = (
        local_date(case.closed_at or case.replied_at).isoformat()
        if (case.closed_at or case.replied_at)
        else ""
    )
    text = f"已报送经发办（编号{case.number}），{state}"
    if case.reply_text:
        text += f"：{case.reply_text}"
    return finished, text


# --------------------------------------------------------------------------- .xlsx

THIN = Side(style="thin")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
WRAP = Alignment(wrap_text=True, vertical="top")
CENTRE = Alignment(horizontal="center", vertical="center", wrap_text=True)


def _sheet(
    book: Workbook,
    title: str,
    heading: str,
    subtitle: str,
    header_fields,
    columns,
    rows,
    widths,
    remark: str | None = None,
) -> None:
    sheet = book.create_sheet(title[:31])
    span = len(columns)
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=span)
    put(sheet, 1, 1, heading).font = Font(bold=True, size=14)
    sheet.cell(1, 1).alignment = CENTRE
    sheet.merge_cells(start_row=2, start_column=1, end_row=2, end_column=span)
    put(sheet, 2, 1, subtitle).alignment = CENTRE
    sheet.merge_cells(start_row=3, start_column=1, end_row=3, end_column=span)
    put(sheet, 3, 1, "    ".join(f"{k}：{v}" for k, v in header_fields))
    for col, name in enumerate(columns, start=1):
        cell = put(sheet, 4, col, name)
        cell.font, cell.border, cell.alignment = Font(bold=True), BOX, CENTRE
    for r, row in enumerate(rows, start=5):
        for col, value in enumerate(row, start=1):
            cell = put(sheet, r, col, value)
            cell.border, cell.alignment = BOX, WRAP
    if remark:
        put(sheet, 5 + len(rows), 1, remark)
    for col, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(col)].width = width
    sheet.freeze_panes = "A5"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4


def add_to_workbook(book: Workbook, doc: LedgerDocument, *, prefix: str = "") -> None:
    _sheet(
        book,
        f"{prefix}月台帐",
        doc.title_monthly,
        doc.subtitle,
        doc.header_fields,
        MONTHLY_COLUMNS,
        doc.monthly,
        (6, 28, 14, 22, 16, 20, 20, 12, 16, 10),
        REMARK,
    )
    _sheet(
        book,
        f"{prefix}问题诉求登载表",
        TITLE_PROBLEMS,
        doc.subtitle,
        [f for f in doc.header_fields],
        PROBLEM_COLUMNS,
        doc.problems,
        (6, 24, 20, 22, 22, 36, 12, 36),
    )


def workbook_bytes(docs: list[LedgerDocument], *, prefixed: bool = False) -> bytes:
    book = Workbook()
    book.remove(book.active)
    for doc in docs:
        add_to_workbook(book, doc, prefix=f"{doc.unit.name[:12]}-" if prefixed else "")
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def pdf_bytes(doc: LedgerDocument) -> bytes:
    return render_pdf(
        "pdf/ledger.html",
        doc=doc,
        title_problems=TITLE_PROBLEMS,
        monthly_columns=MONTHLY_COLUMNS,
        problem_columns=PROBLEM_COLUMNS,
        remark=REMARK,
    )
