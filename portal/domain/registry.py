"""The enterprise registry of a jurisdiction and who contacts whom (Dalu 一).

Import from .xlsx or .csv gives a row-by-row report: every row is imported, updated or
refused with its reason — nothing is dropped silently. A row matches an enterprise already
in the registry by its unified social credit code, else by name and address, so importing
the same file twice updates rather than duplicates.

Assignment follows Dalu's table as editable rules (`AssignmentRule`), tried in order:
"经发办负责工贸、服务企业；应急办负责砖厂、加油站；建设环保服务中心负责建筑施工企业（含临时搅拌站）；
农业服务中心负责农业企业；社区文化服务中心负责文化娱乐企业；市场监管所负责餐饮企业（含个体工商户）；
各村（社区）负责餐饮以外的个体工商户".
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from portal.domain import audit, credit_code
from portal.domain.access import jurisdiction_subtree
from portal.domain.errors import N_, RuleViolation
from portal.domain.models import (
    AssignmentRule,
    Enterprise,
    EnterpriseKind,
    Jurisdiction,
    LiaisonAssignment,
    OrgUnit,
    Role,
    UnitKind,
    User,
)
from portal.domain.text import clean

# The import file's columns, as people title them (the first row); 企业名称 is required.
COLUMNS = {
    "企业名称": "name",
    "统一社会信用代码": "credit_code",
    "企业类别": "kind",
    "所属类别": "kind",
    "行业": "industry",
    "地址": "address",
    "企业联络人员": "contact_name",
    "联系人": "contact_name",
    "联系电话": "contact_phone",
    "所在村（社区）": "village",
    "所在镇街": "town",
}
KIND_WORDS = {
    "规上工业": EnterpriseKind.ABOVE_SCALE_INDUSTRY,
    "规上工业企业": EnterpriseKind.ABOVE_SCALE_INDUSTRY,
    "四上企业": EnterpriseKind.FOUR_ABOVE,
    "中小微企业": EnterpriseKind.SME,
    "企业": EnterpriseKind.SME,
    "个体工商户": EnterpriseKind.INDIVIDUAL,
    "个体": EnterpriseKind.INDIVIDUAL,
}
MAX_ROWS = 5000
# Cells longer than their column are refused with the row, never cut.
LENGTH_CHECKED = {
    "name": "企业名称",
    "industry": "行业",
    "address": "地址",
    "contact_name": "企业联络人员",
    "contact_phone": "联系电话",
}


@dataclass
class RowResult:
    row: int  # the row number as the spreadsheet shows it (the header is row 1)
    name: str
    outcome: str  # "imported" | "updated" | "refused"
    reason: str = ""  # an English msgid (the page translates it) …
    params: dict = field(default_factory=dict)  # … and its values


@dataclass
class ImportReport:
    rows: list[RowResult] = field(default_factory=list)
    error: str = ""  # the whole file was refused (unreadable, no name column…)
    ignored_columns: list[str] = field(default_factory=list)  # titles not in COLUMNS

    def count(self, outcome: str) -> int:
        return sum(1 for r in self.rows if r.outcome == outcome)


def read_table(filename: str, data: bytes) -> list[list[str]]:
    """The file's rows as text cells: .xlsx through openpyxl (first sheet), .csv in UTF-8 or
    GB18030 (what Excel saves on a Chinese Windows); control characters dropped (a NUL
    cannot be stored in PostgreSQL)."""
    name = filename.lower()
    if name.endswith(".xlsx"):
        book = open_workbook(data)
        rows = sheet_rows(book.worksheets[0])
        book.close()
        return rows
    if name.endswith(".csv"):
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                text = data.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:
            raise RuleViolation(N_("The CSV file is neither UTF-8 nor GBK text."), field="file")
        return [[clean(cell).strip() for cell in row] for row in csv.reader(io.StringIO(text))]
    raise RuleViolation(N_("Choose an .xlsx or .csv file."), field="file")


def open_workbook(data: bytes):
    """An .xlsx file opened read-only with its values (not formulas), or a RuleViolation."""
    from openpyxl import load_workbook

    try:
        return load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a damaged file
        raise RuleViolation(
            N_("The file could not be read as an Excel workbook (.xlsx)."), field="file"
        ) from None


def sheet_rows(sheet) -> list[list[str]]:
    """An openpyxl sheet's rows as text cells, control characters dropped. One row past the
    limit is read, so that a longer file is refused, never cut."""
    return [
        ["" if v is None else clean(str(v)).strip() for v in row]
        for row in sheet.iter_rows(values_only=True, max_row=MAX_ROWS + 2)
    ]


def import_rows(
    session, *, root: Jurisdiction, rows: list[list[str]], at: datetime
) -> ImportReport:
    """Import a table whose first row names the columns (see COLUMNS) into the registry of
    `root` and below. Each good row is added or updated; each bad row is refused with its
    reason; one savepoint per row, so a bad row never takes good ones with it."""
    report = ImportReport()
    if not rows or not any(rows[0]):
        report.error = N_("The file is empty.")
        return report
    header = [COLUMNS.get(h.strip()) for h in rows[0]]
    report.ignored_columns = [
        h.strip() for h, key in zip(rows[0], header) if h.strip() and key is None
    ]
    if "name" not in header:
        report.error = N_("The first row must name the columns; 企业名称 is missing.")
        return report
    if len(rows) - 1 > MAX_ROWS:
        report.error = N_("At most 5000 enterprises per file.")
        return report
    places = {
        j.name: j
        for j in session.scalars(
            sa.select(Jurisdiction).where(Jurisdiction.id.in_(jurisdiction_subtree(root.id)))
        )
    }
    for number, cells in enumerate(rows[1:], start=2):
        values = {
            key: cells[i].strip() if i < len(cells) else "" for i, key in enumerate(header) if key
        }
        if not any(values.values()):
            continue  # an empty line between blocks is not a row
        name = values.get("name", "")
        try:
            with session.begin_nested():
                outcome = _import_one(session, root, places, values, at)
            report.rows.append(RowResult(number, name, outcome))
        except RuleViolation as refused:
            report.rows.append(RowResult(number, name, "refused", refused.message, refused.params))
    return report


def _import_one(session, root: Jurisdiction, places: dict, values: dict, at: datetime) -> str:
    name = values.get("name", "")
    if not name:
        raise RuleViolation(N_("企业名称 is empty."))
    code = credit_code.normalise(values.get("credit_code", "")) or None
    if code is not None and not credit_code.is_valid(code):
        raise RuleViolation(
            N_("The credit code %(code)s is not valid (check the 18 characters and the last one)."),
            code=code,
        )
    kind_word = values.get("kind", "")
    kind = KIND_WORDS.get(kind_word) if kind_word else EnterpriseKind.SME
    if kind is None:
        raise RuleViolation(
            N_("Unknown kind %(kind)s: use 规上工业, 四上企业, 中小微企业 or 个体工商户."),
            kind=kind_word,
        )
    place_name = values.get("village") or values.get("town") or ""
    place = places.get(place_name) if place_name else root
    if place is None:
        raise RuleViolation(N_("%(place)s is not a place of this jurisdiction."), place=place_name)
    for key, title in LENGTH_CHECKED.items():
        column_type = Enterprise.__table__.c[key].type
        assert isinstance(column_type, sa.String) and column_type.length is not None
        limit = column_type.length
        if len(values.get(key, "")) > limit:
            raise RuleViolation(
                N_("%(column)s is longer than %(num)d characters."), column=title, num=limit
            )
    phone = values.get("contact_phone", "")
    if phone and not all(ch.isdigit() or ch in "-+ " for ch in phone):
        raise RuleViolation(N_("The phone number %(phone)s is not a number."), phone=phone)
    address = values.get("address", "")
    found = None
    if code:
        found = session.scalar(sa.select(Enterprise).where(Enterprise.credit_code == code))
    if found is None:
        found = session.scalar(
            sa.select(Enterprise).where(
                Enterprise.name == name, sa.func.coalesce(Enterprise.address, "") == address
            )
        )
    if found is not None and found.jurisdiction_id not in places_ids(places):
        raise RuleViolation(N_("This enterprise is registered in another jurisdiction."))
    enterprise = found or Enterprise(created_at=at)
    enterprise.name, enterprise.kind, enterprise.jurisdiction = name, kind, place
    if code:
        enterprise.credit_code = code
    for key in ("industry", "address", "contact_name", "contact_phone"):
        if values.get(key):
            setattr(enterprise, key, values[key])
    session.add(enterprise)
    session.flush()
    return "updated" if found is not None else "imported"


def places_ids(places: dict) -> set[int]:
    return {j.id for j in places.values()}


# --------------------------------------------------------------------------- assignment


@dataclass(frozen=True)
class RuleSpec:
    description: str
    unit: str | None = None  # the unit's name in the jurisdiction
    kind: EnterpriseKind | None = None
    not_kind: EnterpriseKind | None = None
    industries: str = ""
    to_village: bool = False


# Dalu 一, in the order that makes the table's words true: "建立以职能科室分类联系中小微企业、
# 各村（社区）联系个体工商户" — catering of every kind to 市场监管所 ("含个体工商户"), then every
# other individual business to its village ("餐饮以外的个体工商户"), then the sections by trade,
# and what is left (工贸、服务) to 经发办.
DALU_RULES = (
    RuleSpec("市场监管所负责餐饮企业（含个体工商户）", "市场监管所", industries="餐饮"),
    RuleSpec(
        "各村（社区）负责餐饮以外的个体工商户", kind=EnterpriseKind.INDIVIDUAL, to_village=True
    ),
    RuleSpec("应急办负责砖厂、加油站", "应急办", industries="砖厂、砖瓦、加油站"),
    RuleSpec(
        "建设环保服务中心负责建筑施工企业（含临时搅拌站）",
        "建设环保服务中心",
        industries="建筑施工、搅拌站",
    ),
    RuleSpec("农业服务中心负责农业企业", "农业服务中心", industries="农业、茶叶、种植、养殖"),
    RuleSpec("社区文化服务中心负责文化娱乐企业", "社区文化服务中心", industries="文化娱乐"),
    RuleSpec("经发办负责工贸、服务企业", "经发办"),
)


def install_rules(
    session, jurisdiction: Jurisdiction, specs: Iterable[RuleSpec] = DALU_RULES
) -> list[AssignmentRule]:
    """Write a jurisdiction's rules (replacing any), its units found by name."""
    units = {
        u.name: u
        for u in session.scalars(
            sa.select(OrgUnit).where(OrgUnit.jurisdiction_id == jurisdiction.id)
        )
    }
    session.execute(
        sa.delete(AssignmentRule).where(AssignmentRule.jurisdiction_id == jurisdiction.id)
    )
    rules = [
        AssignmentRule(
            jurisdiction_id=jurisdiction.id,
            position=n,
            description=spec.description,
            kind=spec.kind,
            not_kind=spec.not_kind,
            industries=spec.industries,
            unit=units.get(spec.unit) if spec.unit else None,
            to_village=spec.to_village,
        )
        for n, spec in enumerate(specs, start=1)
    ]
    session.add_all(rules)
    session.flush()
    return rules


def rules_of(session, jurisdiction_id: int) -> list[AssignmentRule]:
    return list(
        session.scalars(
            sa.select(AssignmentRule)
            .where(AssignmentRule.jurisdiction_id == jurisdiction_id)
            .order_by(AssignmentRule.position)
        )
    )


def split_words(text: str) -> list[str]:
    """A rule's industry words as typed: separated by 、 (as the seed lists them), commas,
    semicolons or spaces."""
    for sep in ("，", ",", "；", ";", " ", "\u3000"):
        text = text.replace(sep, "、")
    return [w.strip() for w in text.split("、") if w.strip()]


def fits_everything(rule: AssignmentRule) -> bool:
    return rule.kind is None and rule.not_kind is None and not rule.words


def save_rule(
    session,
    *,
    root: Jurisdiction,
    rule: AssignmentRule | None,
    description: str,
    words: str,
    kind: EnterpriseKind | None,
    unit: OrgUnit | None,
    to_village: bool,
    position: int,
) -> AssignmentRule:
    """Add a rule to `root`'s table (`rule` None) or change one: what it says, the industry
    words it looks for, the kind it is for, the unit it gives (or the enterprise's village
    committee, "各村（社区）负责餐饮以外的个体工商户"), and its place in the order; the others
    move up or down to make room. Only the last rule may fit every enterprise (no words, no
    kind), as "经发办负责工贸、服务企业" does, since no rule after it would ever be tried."""
    description = description.strip()
    if not description:
        raise RuleViolation(
            N_("Enter what the rule says, e.g. 应急办负责砖厂、加油站."), field="description"
        )
    if not to_village:
        if unit is None:
            raise RuleViolation(
                N_(
                    "Choose the unit this rule gives the enterprises, or "
                    "their village or community."
                ),
                field="unit",
            )
        if unit.jurisdiction_id not in set(
            session.scalars(
                sa.select(Jurisdiction.id).where(Jurisdiction.id.in_(jurisdiction_subtree(root.id)))
            )
        ):
            raise RuleViolation(N_("Choose a unit of this jurisdiction."), field="unit")
    if position < 1:
        raise RuleViolation(N_("Enter the rule's place in the order: 1 or more."), field="position")
    others = [r for r in rules_of(session, root.id) if r is not rule]
    if rule is None:
        rule = AssignmentRule(jurisdiction_id=root.id)
    rule.description, rule.industries = description, "、".join(split_words(words))
    rule.kind, rule.to_village = kind, to_village
    rule.unit = None if to_village else unit
    ordered = [*others]
    ordered.insert(min(position, len(ordered) + 1) - 1, rule)
    for earlier in ordered[:-1]:
        if not fits_everything(earlier):
            continue
        if earlier is rule:
            raise RuleViolation(
                N_(
                    "Enter the industry words this rule looks for, e.g. "
                    "砖厂、加油站, or choose a kind: a rule with neither fits "
                    "every enterprise, so only the last rule may."
                ),
                field="words",
            )
        raise RuleViolation(
            N_(
                "Rule %(num)d, “%(rule)s”, fits every enterprise, so no rule "
                "after it is ever tried: give this rule %(num)d or less."
            ),
            field="position",
            num=ordered.index(earlier) + 1,
            rule=earlier.description,
        )
    for n, each in enumerate(ordered, start=1):
        each.position = n
    session.add(rule)
    session.flush()
    return rule


def remove_rule(session, *, root: Jurisdiction, rule: AssignmentRule) -> None:
    """Take a rule out of `root`'s table; the ones after it move up. Enterprises it gave a
    unit keep that unit until the rules are applied to every enterprise again."""
    session.delete(rule)
    session.flush()
    for n, each in enumerate(rules_of(session, root.id), start=1):
        each.position = n


def _village_committee(session, enterprise: Enterprise) -> OrgUnit | None:
    return session.scalar(
        sa.select(OrgUnit)
        .where(
            OrgUnit.jurisdiction_id == enterprise.jurisdiction_id,
            OrgUnit.kind == UnitKind.VILLAGE_COMMITTEE,
            OrgUnit.active,
        )
        .order_by(OrgUnit.id)
    )


def unit_for(session, rules: list[AssignmentRule], enterprise: Enterprise) -> OrgUnit | None:
    """The unit the first matching rule names; None when no rule fits (listed as
    unassigned, for a person to decide)."""
    for rule in rules:
        if rule.matches(enterprise):
            return _village_committee(session, enterprise) if rule.to_village else rule.unit
    return None


def assign_by_rules(
    session,
    *,
    root: Jurisdiction,
    at: datetime,
    only_unassigned: bool = True,
    by: User | None = None,
    ip: str | None = None,
) -> int:
    """Apply `root`'s rules to the enterprises of `root` and below; returns how many got a
    (new) unit. A changed unit clears the person (the new unit chooses one). Each change
    leaves the audit row a reassignment leaves."""
    rules = rules_of(session, root.id)
    query = sa.select(Enterprise).where(
        Enterprise.jurisdiction_id.in_(jurisdiction_subtree(root.id))
    )
    changed = 0
    for enterprise in session.scalars(query):
        current = enterprise.liaison
        if only_unassigned and current is not None:
            continue
        unit = unit_for(session, rules, enterprise)
        if unit is None or (current is not None and current.unit_id == unit.id):
            continue
        if current is None:
            before = "—"
            session.add(
                LiaisonAssignment(enterprise=enterprise, unit=unit, user=None, assigned_at=at)
            )
        else:
            before = _holder(current.unit, current.user)
            current.unit, current.user, current.assigned_at = unit, None, at
        _audit_move(
            session,
            enterprise,
            before,
            _holder(unit, None),
            at=at,
            by=by,
            ip=ip,
            action="assign_by_rules",
        )
        changed += 1
    return changed


def _audit_move(
    session,
    enterprise: Enterprise,
    before: str,
    after: str,
    *,
    at: datetime,
    by: User | None,
    ip: str | None,
    action: str,
) -> None:
    audit.record(
        session,
        at=at,
        user_id=by.id if by else None,
        ip=ip,
        action=action,
        object_type="enterprise",
        object_id=str(enterprise.id),
        result="done",
        detail=f"{before} → {after}",
    )


def check_reassignment(session, *, root: Jurisdiction, unit: OrgUnit, person: User | None) -> None:
    """Refuse a unit outside `root` and below, or a person who is not a liaison of it."""
    inside = set(
        session.scalars(
            sa.select(Jurisdiction.id).where(Jurisdiction.id.in_(jurisdiction_subtree(root.id)))
        )
    )
    if unit.jurisdiction_id not in inside:
        raise RuleViolation(N_("Choose a unit of this jurisdiction."), field="unit")
    if person is not None and (person.unit_id != unit.id or person.role is not Role.LIAISON):
        raise RuleViolation(N_("The liaison person must work in the chosen unit."), field="person")


def reassign(
    session,
    *,
    root: Jurisdiction,
    enterprise_ids: list[int] | sa.Select,
    unit: OrgUnit,
    person: User | None,
    at: datetime,
    by: User,
    ip: str | None = None,
) -> int:
    """Bulk reassignment: these enterprises (ids, or a statement selecting them, such as
    every enterprise a registry search matches) to `unit` and, when given, its liaison
    `person` (by area, one person many enterprises). Each enterprise whose unit or person
    changes leaves one audit row: who moved it, when, from whom to whom."""
    check_reassignment(session, root=root, unit=unit, person=person)
    if isinstance(enterprise_ids, list) and not enterprise_ids:
        raise RuleViolation(N_("Choose at least one enterprise."), field="enterprises")
    enterprises = session.scalars(
        sa.select(Enterprise)
        .outerjoin(LiaisonAssignment)
        .where(*_changing(root, enterprise_ids, unit, person))
        .options(
            selectinload(Enterprise.liaison).selectinload(LiaisonAssignment.unit),
            selectinload(Enterprise.liaison).selectinload(LiaisonAssignment.user),
        )
        .order_by(Enterprise.id)
    ).all()
    for enterprise in enterprises:
        current = enterprise.liaison
        if current is None:
            before = "—"
            session.add(
                LiaisonAssignment(enterprise=enterprise, unit=unit, user=person, assigned_at=at)
            )
        else:
            before = _holder(current.unit, current.user)
            current.unit, current.user, current.assigned_at = unit, person, at
        _audit_move(
            session,
            enterprise,
            before,
            _holder(unit, person),
            at=at,
            by=by,
            ip=ip,
            action="reassign",
        )
    return len(enterprises)


def reassignment_count(
    session,
    *,
    root: Jurisdiction,
    enterprise_ids: list[int] | sa.Select,
    unit: OrgUnit,
    person: User | None,
) -> int:
    """How many of these enterprises `reassign` would change (those already with this unit
    and person stay as they are): what the office confirms before a bulk change."""
    return session.scalar(
        sa.select(sa.func.count())
        .select_from(Enterprise)
        .outerjoin(LiaisonAssignment)
        .where(*_changing(root, enterprise_ids, unit, person))
    )


def _changing(root: Jurisdiction, enterprise_ids, unit: OrgUnit, person: User | None) -> list:
    """Conditions on Enterprise outer-joined to its LiaisonAssignment: one of these ids,
    inside `root`, and not already with `unit` and `person`."""
    other_person = (
        LiaisonAssignment.user_id.is_not(None)
        if person is None
        else sa.or_(LiaisonAssignment.user_id.is_(None), LiaisonAssignment.user_id != person.id)
    )
    return [
        Enterprise.id.in_(enterprise_ids),
        Enterprise.jurisdiction_id.in_(jurisdiction_subtree(root.id)),
        sa.or_(
            LiaisonAssignment.enterprise_id.is_(None),
            LiaisonAssignment.unit_id != unit.id,
            other_person,
        ),
    ]


def _holder(unit: OrgUnit, person: User | None) -> str:
    return f"{unit.name}（{person.name}）" if person else unit.name


def unassigned(session, root: Jurisdiction) -> list[Enterprise]:
    """Enterprises of `root` and below without a unit or without a person."""
    return list(
        session.scalars(
            sa.select(Enterprise)
            .outerjoin(LiaisonAssignment)
            .where(
                Enterprise.jurisdiction_id.in_(jurisdiction_subtree(root.id)),
                sa.or_(
                    LiaisonAssignment.enterprise_id.is_(None), LiaisonAssignment.user_id.is_(None)
                ),
            )
            .order_by(Enterprise.name)
        )
    )
