"""Bulk set-up from the spreadsheets offices keep (issue 16 item 2).

Two workbooks, each with Chinese headers in its first row (`template` writes them):
- units and staff: sheets 辖区 (the tree with codes), 单位 (units and their heads) and 人员
  (staff accounts bound to a unit and a role);
- categories: sheet 类别 (whistle categories with lead and default co-handling units).

Every row goes through the same verbs as the administrator's pages (`organisation.py`,
`accounts.py`), inside one savepoint: a row's result is "added", "changed", "unchanged" or
its error with the sheet, row and column. Nothing is kept unless every row of the file is
clean and it is not a dry run. A row matches what exists by its natural key (a jurisdiction
by code, a unit by jurisdiction and name, a person by username, a category by jurisdiction
and number), so importing the same file again changes nothing.

New staff get a one-time password each (SECURITY.md 8), returned once with the result.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa

from portal.domain import accounts, organisation
from portal.domain.errors import N_, RuleViolation
from portal.domain.models import (
    Category,
    Jurisdiction,
    JurisdictionLevel,
    OrgUnit,
    Role,
    UnitKind,
    User,
)
from portal.domain.registry import open_workbook, sheet_rows

# sheet → (header → field), in the template's column order.
SHEETS: dict[str, dict[str, str]] = {
    "辖区": {"代码": "code", "名称": "name", "层级": "level", "上级代码": "parent"},
    "单位": {
        "辖区代码": "place",
        "单位名称": "name",
        "类型": "kind",
        "隶属单位": "parent",
        "负责人": "head_name",
        "负责人电话": "head_phone",
        "分管领导": "leader_name",
        "分管领导电话": "leader_phone",
        "单位电话": "phone",
        "地址": "address",
    },
    "人员": {
        "辖区代码": "place",
        "单位名称": "unit",
        "姓名": "name",
        "用户名": "username",
        "角色": "role",
    },
    "类别": {
        "辖区代码": "place",
        "序号": "number",
        "类别名称": "name",
        "事项内容": "description",
        "责任部门（原文）": "responsible",
        "牵头单位": "leads",
        "默认协办单位": "co_handlers",
    },
}
WORKBOOKS = {"units": ("辖区", "单位", "人员"), "categories": ("类别",)}
REQUIRED = {
    "辖区": ("code", "name", "level"),
    "单位": ("place", "name", "kind"),
    "人员": ("place", "unit", "name", "username", "role"),
    "类别": ("place", "number", "name", "leads"),
}
LEVEL_WORDS = {
    "省": JurisdictionLevel.PROVINCE,
    "市": JurisdictionLevel.CITY,
    "县": JurisdictionLevel.COUNTY,
    "区": JurisdictionLevel.COUNTY,
    "县（区）": JurisdictionLevel.COUNTY,
    "县区": JurisdictionLevel.COUNTY,
    "开发区": JurisdictionLevel.ZONE,
    "功能区": JurisdictionLevel.ZONE,
    "乡镇": JurisdictionLevel.TOWN,
    "镇": JurisdictionLevel.TOWN,
    "乡": JurisdictionLevel.TOWN,
    "街道": JurisdictionLevel.TOWN,
    "乡镇（街道）": JurisdictionLevel.TOWN,
    "村": JurisdictionLevel.VILLAGE,
    "社区": JurisdictionLevel.VILLAGE,
    "村（社区）": JurisdictionLevel.VILLAGE,
}
KIND_WORDS = {
    "领导小组": UnitKind.LEADING_GROUP,
    "领导小组办公室": UnitKind.OFFICE,
    "办公室": UnitKind.OFFICE,
    "工作专班": UnitKind.OFFICE,
    "经发办": UnitKind.OFFICE,
    "部门": UnitKind.DEPARTMENT,
    "督查室": UnitKind.INSPECTION,
    "科室": UnitKind.SECTION,
    "服务中心": UnitKind.SERVICE_CENTRE,
    "村（居）委会": UnitKind.VILLAGE_COMMITTEE,
    "村委会": UnitKind.VILLAGE_COMMITTEE,
    "居委会": UnitKind.VILLAGE_COMMITTEE,
}
ROLE_WORDS = {
    "办公室": Role.OFFICE,
    "协调办": Role.OFFICE,
    "经办人": Role.HANDLER,
    "部门经办": Role.HANDLER,
    "承办人员": Role.HANDLER,
    "部门领导": Role.HEAD,
    "部门主要领导": Role.HEAD,
    "领导": Role.LEADER,
    "领导小组": Role.LEADER,
    "联络员": Role.LIAISON,
    "联系服务人": Role.LIAISON,
    "督查": Role.INSPECTOR,
    "督查室": Role.INSPECTOR,
}
SEPARATORS = ("、", "，", ",", ";", "；")


@dataclass
class RowResult:
    sheet: str
    row: int  # as the spreadsheet shows it: the header is row 1
    what: str
    outcome: str  # added | changed | unchanged | error
    column: str = ""
    message: str = ""  # an English msgid; `params` fill it
    params: dict = field(default_factory=dict)


@dataclass
class ImportReport:
    kind: str
    rows: list[RowResult] = field(default_factory=list)
    dry_run: bool = True
    written: bool = False
    passwords: list[tuple[str, str]] = field(default_factory=list)  # (username, one-time)

    @property
    def clean(self) -> bool:
        return not any(r.outcome == "error" for r in self.rows)

    def count(self, outcome: str) -> int:
        return sum(1 for r in self.rows if r.outcome == outcome)


# --------------------------------------------------------------------------- templates


def template(kind: str) -> bytes:
    """An empty workbook with the sheets and headers of `kind` ("units" or "categories"),
    and a sheet 说明 saying what each column takes."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    book.remove(book.active)
    for sheet_name in WORKBOOKS[kind]:
        sheet = book.create_sheet(sheet_name)
        sheet.append(list(SHEETS[sheet_name]))
        for cell in sheet[1]:
            cell.font = Font(bold=True)
            sheet.column_dimensions[cell.column_letter].width = 16
    notes = book.create_sheet("说明")
    for line in _notes(kind):
        notes.append([line])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _notes(kind: str) -> list[str]:
    common = [
        "第一行为表头，请勿改动；从第二行起每行一条。带*的列必填："
        + "；".join(
            f"{s}: " + "、".join(h for h, f in SHEETS[s].items() if f in REQUIRED[s])
            for s in WORKBOOKS[kind]
        ),
        "同一文件可以重复导入：已有且相同的行不作改动。",
    ]
    if kind == "units":
        return common + [
            "层级：" + "、".join(LEVEL_WORDS),
            "单位类型：" + "、".join(KIND_WORDS),
            "角色：" + "、".join(ROLE_WORDS),
            "新建的工作人员账户各有一个一次性密码，导入后只显示一次，首次登录须修改。",
        ]
    return common + ["牵头单位、默认协办单位：填单位名称，多个用“、”分隔；可用上级辖区的单位。"]


# --------------------------------------------------------------------------- reading


def read_workbook(data: bytes) -> dict[str, list[list[str]]]:
    """Each known sheet's rows as text cells (openpyxl, as the registry reads its files)."""
    book = open_workbook(data)
    sheets = {name: sheet_rows(book[name]) for name in book.sheetnames if name in SHEETS}
    book.close()
    if not sheets:
        raise RuleViolation(
            N_("The workbook has none of the sheets 辖区, 单位, 人员 or 类别: use a template."),
            field="file",
        )
    return sheets


# --------------------------------------------------------------------------- importing


def import_workbook(
    session, sheets: dict[str, list[list[str]]], *, by, at: datetime, dry_run: bool, ip=None
) -> ImportReport:
    """Run every row of every sheet; keep the result only when all are clean and this is
    not a dry run. The caller commits."""
    kind = "categories" if "类别" in sheets else "units"
    report = ImportReport(kind=kind, dry_run=dry_run)
    savepoint = session.begin_nested()
    for sheet_name in ("辖区", "单位", "人员", "类别"):
        if sheet_name not in sheets:
            continue
        rows = sheets[sheet_name]
        columns = _columns(report, sheet_name, rows[0] if rows else [])
        if columns is None:
            continue
        for number, cells in enumerate(rows[1:], start=2):
            values = {
                name: (cells[i] if i < len(cells) else "").strip() for name, i in columns.items()
            }
            if not any(values.values()):
                continue  # a blank line
            report.rows.append(_one(session, sheet_name, number, values, report, by, at, ip))
    if report.clean and not dry_run:
        savepoint.commit()
        report.written = True
    else:
        savepoint.rollback()
        report.passwords = []
    return report


def _columns(report, sheet_name: str, header: list[str]) -> dict[str, int] | None:
    headers = {h.strip().rstrip("*"): i for i, h in enumerate(header) if h}
    wanted = SHEETS[sheet_name]
    missing = [h for h, f in wanted.items() if f in REQUIRED[sheet_name] and h not in headers]
    if missing:
        report.rows.append(
            RowResult(
                sheet_name,
                1,
                "",
                "error",
                column=missing[0],
                message=N_("The column %(column)s is missing from the first row."),
                params={"column": missing[0]},
            )
        )
        return None
    return {f: headers[h] for h, f in wanted.items() if h in headers}


class _CellError(Exception):
    def __init__(self, field_name: str, message: str, **params):
        super().__init__(message)
        self.field, self.message, self.params = field_name, message, params


def _one(session, sheet_name, number, values, report, by, at, ip) -> RowResult:
    headers = {f: h for h, f in SHEETS[sheet_name].items()}
    what = values.get("name") or values.get("code") or ""
    try:
        for name in REQUIRED[sheet_name]:
            if not values.get(name):
                raise _CellError(name, N_("This cell is required."))
        with session.begin_nested():
            outcome = IMPORTERS[sheet_name](session, values, report, by=by, at=at, ip=ip)
    except _CellError as error:
        return RowResult(
            sheet_name,
            number,
            what,
            "error",
            column=headers.get(error.field, ""),
            message=error.message,
            params=error.params,
        )
    except RuleViolation as violation:
        column = headers.get(violation.field or "", "")
        return RowResult(
            sheet_name,
            number,
            what,
            "error",
            column=column,
            message=violation.message,
            params=violation.params,
        )
    return RowResult(sheet_name, number, what, outcome)


def _place(session, code: str, field_name: str = "place") -> Jurisdiction:
    place = session.scalar(sa.select(Jurisdiction).where(Jurisdiction.code == code))
    if place is None:
        raise _CellError(field_name, N_("No jurisdiction has the code %(code)s."), code=code)
    return place


def _word(words: dict, value: str, field_name: str, enum_cls):
    if value in words:
        return words[value]
    try:
        return enum_cls(value)
    except ValueError:
        raise _CellError(
            field_name, N_("Write one of: %(words)s."), words="、".join(words)
        ) from None


def _jurisdiction(session, values, report, *, by, at, ip) -> str:
    place = session.scalar(sa.select(Jurisdiction).where(Jurisdiction.code == values["code"]))
    parent = _place(session, values["parent"], "parent") if values.get("parent") else None
    level = _word(LEVEL_WORDS, values["level"], "level", JurisdictionLevel)
    _saved, changes = organisation.save_jurisdiction(
        session,
        place,
        code=values["code"],
        name=values["name"],
        level=level,
        parent=parent,
        by=by,
        at=at,
        ip=ip,
    )
    return _outcome(place, changes)


def _unit_named(session, place: Jurisdiction, name: str, field_name: str) -> OrgUnit:
    found = session.scalar(
        sa.select(OrgUnit).where(OrgUnit.jurisdiction_id == place.id, OrgUnit.name == name)
    )
    if found is None:
        raise _CellError(
            field_name, N_("%(place)s has no unit named %(name)s."), place=place.name, name=name
        )
    return found


def _unit(session, values, report, *, by, at, ip) -> str:
    place = _place(session, values["place"])
    unit = session.scalar(
        sa.select(OrgUnit).where(
            OrgUnit.jurisdiction_id == place.id, OrgUnit.name == values["name"]
        )
    )
    parent = (
        _unit_named(session, place, values["parent"], "parent") if values.get("parent") else None
    )
    _saved, changes = organisation.save_unit(
        session,
        unit,
        jurisdiction=place,
        name=values["name"],
        kind=_word(KIND_WORDS, values["kind"], "kind", UnitKind),
        parent=parent,
        by=by,
        at=at,
        ip=ip,
        **{k: values.get(k, "") for k in organisation.UNIT_TEXT},
    )
    return _outcome(unit, changes)


def _person(session, values, report, *, by, at, ip) -> str:
    place = _place(session, values["place"])
    unit = _unit_named(session, place, values["unit"], "unit")
    role = _word(ROLE_WORDS, values["role"], "role", Role)
    if role in (Role.ENTERPRISE, Role.ADMIN):
        raise _CellError("role", N_("Write one of: %(words)s."), words="、".join(ROLE_WORDS))
    user = session.scalar(sa.select(User).where(User.username == values["username"]))
    if user is None:
        _made, password = accounts.create_staff_user(
            session,
            by=by,
            name=values["name"],
            username=values["username"],
            role=role,
            unit=unit,
            at=at,
            ip=ip,
        )
        report.passwords.append((values["username"], password))
        return "added"
    if not user.role.is_staff:
        raise _CellError("username", N_("This username is taken. Choose another."))
    if user.role is role and user.unit_id == unit.id:
        return "unchanged"
    accounts.change_role(session, user, by=by, role=role, unit=unit, at=at, ip=ip)
    return "changed"


def _units_named(session, place: Jurisdiction, text: str, field_name: str) -> list[OrgUnit]:
    names = [text]
    for separator in SEPARATORS:
        names = [part for name in names for part in name.split(separator)]
    chain = [place, *place.ancestors]
    found = []
    for name in (n.strip() for n in names if n.strip()):
        unit = next(
            (u for j in chain for u in j.units if u.name == name and u.active),
            None,
        )
        if unit is None:
            raise _CellError(
                field_name,
                N_("%(place)s has no unit named %(name)s."),
                place=place.name,
                name=name,
            )
        found.append(unit)
    return found


def _category(session, values, report, *, by, at, ip) -> str:
    place = _place(session, values["place"])
    try:
        number = int(values["number"])
    except ValueError:
        raise _CellError("number", N_("Enter the category's number, 1 or more.")) from None
    category = session.scalar(
        sa.select(Category).where(Category.jurisdiction_id == place.id, Category.number == number)
    )
    _saved, changes = organisation.save_category(
        session,
        category,
        jurisdiction=place,
        number=number,
        name=values["name"],
        description=values.get("description", ""),
        responsible=values.get("responsible", ""),
        leads=_units_named(session, place, values["leads"], "leads"),
        co_handlers=_units_named(session, place, values.get("co_handlers", ""), "co_handlers"),
        by=by,
        at=at,
        ip=ip,
    )
    return _outcome(category, changes)


def _outcome(existing, changes: list[str]) -> str:
    if existing is None:
        return "added"
    return "changed" if changes else "unchanged"


IMPORTERS = {"辖区": _jurisdiction, "单位": _unit, "人员": _person, "类别": _category}
