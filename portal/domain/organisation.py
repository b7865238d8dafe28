"""Setting a jurisdiction up (issue 16 item 1): its place in the tree with its code, its units
with their heads, and its whistle categories with their lead and default co-handling units.

Every change writes one audit row naming what changed, old → new (SECURITY.md 28). A unit or
category in use (by a person, a case, a category, a liaison assignment, an answer) is
retired, never deleted: its history keeps pointing at it. The verbs are the same for the
administrator's pages and the spreadsheet import (`org_import.py`), so both check alike.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa

from portal.domain import audit
from portal.domain.errors import N_, RuleViolation
from portal.domain.models import (
    Answer,
    AssignmentRule,
    Case,
    Category,
    Jurisdiction,
    JurisdictionLevel,
    LiaisonAssignment,
    OrgUnit,
    UnitKind,
    User,
    case_co_handler,
    category_co_handler,
    category_lead_unit,
)

CODE = re.compile(r"^[0-9]{2,12}$")
UNIT_TEXT = ("phone", "address", "head_name", "head_phone", "leader_name", "leader_phone")


def _record(session, *, action, object_type, object_id, by, at, ip, detail):
    audit.record(
        session,
        at=at,
        user_id=by.id if by is not None else None,
        ip=ip,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        result="success",
        detail=detail[:500],
    )


def _clean(value) -> str | None:
    value = (value or "").strip() if isinstance(value, str) or value is None else value
    return value or None


# --------------------------------------------------------------------------- jurisdictions


def save_jurisdiction(
    session,
    place: Jurisdiction | None,
    *,
    code: str,
    name: str,
    level: JurisdictionLevel,
    parent: Jurisdiction | None,
    by,
    at: datetime,
    ip=None,
) -> tuple[Jurisdiction, list[str]]:
    """Add a jurisdiction (place None) or change one; returns it and what changed. The tree
    runs province → city → county/district/zone → town/street → village/community: a
    jurisdiction sits below one of a higher level."""
    code, name = (code or "").strip(), (name or "").strip()
    if not CODE.match(code):
        raise RuleViolation(N_("Enter the code: 2 to 12 digits."), field="code")
    clash = session.scalar(sa.select(Jurisdiction).where(Jurisdiction.code == code))
    if clash is not None and clash is not place:
        raise RuleViolation(N_("Another jurisdiction has this code."), field="code")
    if not name:
        raise RuleViolation(N_("Enter the jurisdiction's name."), field="name")
    if parent is not None:
        if parent.level.rank >= level.rank:
            raise RuleViolation(
                N_("A jurisdiction sits below one of a higher level."), field="parent"
            )
        if place is not None and (parent is place or place in parent.ancestors):
            raise RuleViolation(N_("A jurisdiction cannot sit below itself."), field="parent")
    values = {"code": code, "name": name[:100], "level": level, "parent": parent}
    place, changes = _save(
        session,
        place,
        lambda: Jurisdiction(**values),
        values,
        added=lambda: f"added {code} {name} ({level.value})",
        kind="org_jurisdiction",
        object_type="jurisdiction",
        by=by,
        at=at,
        ip=ip,
    )
    return place, changes


def _save(session, obj, make, values, *, added, kind, object_type, by, at, ip):
    """Create (`obj` None: `make()`) or change `obj` to `values`; one audit row naming the
    addition or each change. Returns the object and what changed."""
    if obj is None:
        obj = make()
        session.add(obj)
        session.flush()
        changes, action = [added()], f"{kind}_add"
    else:
        changes, action = _apply(obj, values), f"{kind}_edit"
    if changes:
        _record(
            session,
            action=action,
            object_type=object_type,
            object_id=obj.id,
            by=by,
            at=at,
            ip=ip,
            detail="; ".join(changes),
        )
    return obj, changes


def _shown(value) -> str:
    if isinstance(value, (Jurisdiction,)):
        return value.code
    if isinstance(value, OrgUnit):
        return value.name
    if isinstance(value, list):
        return "、".join(sorted(_shown(v) for v in value)) or "—"
    return getattr(value, "value", None) or ("—" if value is None else str(value))


def _apply(obj, values: dict) -> list[str]:
    """Set each value that differs; returns "name: old → new" for each."""
    changes = []
    for name, value in values.items():
        old = getattr(obj, name)
        same = (
            {u.id for u in old} == {u.id for u in value}
            if isinstance(value, list)
            else old is value or old == value
        )
        if not same:
            changes.append(f"{name}: {_shown(old)} → {_shown(value)}")
            setattr(obj, name, value)
    return changes


# --------------------------------------------------------------------------- units

# The kinds the administrator chooses from, as the seeds name them.
UNIT_KINDS = (
    UnitKind.LEADING_GROUP,
    UnitKind.OFFICE,
    UnitKind.DEPARTMENT,
    UnitKind.INSPECTION,
    UnitKind.SECTION,
    UnitKind.SERVICE_CENTRE,
    UnitKind.VILLAGE_COMMITTEE,
)


def save_unit(
    session,
    unit: OrgUnit | None,
    *,
    jurisdiction: Jurisdiction,
    name: str,
    kind: UnitKind,
    parent: OrgUnit | None = None,
    by,
    at: datetime,
    ip=None,
    **text,
) -> tuple[OrgUnit, list[str]]:
    """Add a unit to `jurisdiction` (unit None) or change one: its name, kind, the unit it
    belongs to (a section under its office), phone, address, head and 分管领导 (Dalu 附件1-4
    name them). One office and one leading group per jurisdiction."""
    name = (name or "").strip()
    if not name:
        raise RuleViolation(N_("Enter the unit's name."), field="name")
    clash = session.scalar(
        sa.select(OrgUnit).where(OrgUnit.jurisdiction_id == jurisdiction.id, OrgUnit.name == name)
    )
    if clash is not None and clash is not unit:
        raise RuleViolation(N_("This jurisdiction has a unit of this name."), field="name")
    if kind in (UnitKind.OFFICE, UnitKind.LEADING_GROUP):
        other = session.scalar(
            sa.select(OrgUnit).where(
                OrgUnit.jurisdiction_id == jurisdiction.id,
                OrgUnit.kind == kind,
                OrgUnit.active,
            )
        )
        if other is not None and other is not unit:
            raise RuleViolation(
                N_("This jurisdiction already has one: %(name)s."), field="kind", name=other.name
            )
    if parent is not None and (parent.jurisdiction_id != jurisdiction.id or parent is unit):
        raise RuleViolation(N_("Choose a unit of the same jurisdiction."), field="parent")
    unknown = set(text) - set(UNIT_TEXT)
    if unknown:
        raise TypeError(f"unknown unit fields: {sorted(unknown)}")
    values = {"name": name[:100], "kind": kind, "parent": parent}
    values.update({k: _clean(v) for k, v in text.items()})
    unit, changes = _save(
        session,
        unit,
        lambda: OrgUnit(jurisdiction=jurisdiction, **values),
        values,
        added=lambda: f"added {name} ({kind.value}) in {jurisdiction.code}",
        kind="org_unit",
        object_type="org_unit",
        by=by,
        at=at,
        ip=ip,
    )
    return unit, changes


def unit_in_use(session, unit: OrgUnit) -> bool:
    """Anything that names the unit: a person, a case (received, led, answerable, co-handled),
    a category, a liaison assignment or rule, a section under it."""
    checks = (
        sa.select(User.id).where(User.unit_id == unit.id),
        sa.select(Case.id).where(
            sa.or_(
                Case.lead_unit_id == unit.id,
                Case.receiving_unit_id == unit.id,
                Case.office_id == unit.id,
            )
        ),
        sa.select(case_co_handler.c.case_id).where(case_co_handler.c.unit_id == unit.id),
        sa.select(category_lead_unit.c.category_id).where(category_lead_unit.c.unit_id == unit.id),
        sa.select(category_co_handler.c.category_id).where(
            category_co_handler.c.unit_id == unit.id
        ),
        sa.select(LiaisonAssignment.enterprise_id).where(LiaisonAssignment.unit_id == unit.id),
        sa.select(AssignmentRule.id).where(AssignmentRule.unit_id == unit.id),
        sa.select(OrgUnit.id).where(OrgUnit.parent_id == unit.id),
    )
    return any(session.scalar(check.limit(1)) is not None for check in checks)


def remove_unit(session, unit: OrgUnit, *, by, at: datetime, ip=None) -> str:
    """Delete a unit nothing names; retire one in use (it stays in every record, and no
    longer appears in choices). Returns "deleted" or "retired"."""
    return _remove(
        session,
        unit,
        unit_in_use(session, unit),
        kind="org_unit",
        detail=f"{unit.name} ({unit.jurisdiction.code})",
        by=by,
        at=at,
        ip=ip,
    )


def _remove(session, obj, in_use: bool, *, kind: str, detail: str, by, at, ip) -> str:
    """Retire `obj` (a unit or category) when something names it, else delete it; audited."""
    if in_use:
        if not obj.active:
            return "retired"
        obj.active = False
        outcome = "retired"
    else:
        session.delete(obj)
        outcome = "deleted"
    _record(
        session,
        action=f"{kind}_{outcome[:-1]}",
        object_type=kind.removeprefix("org_"),
        object_id=obj.id,
        by=by,
        at=at,
        ip=ip,
        detail=detail,
    )
    return outcome


def restore_unit(session, unit: OrgUnit, *, by, at: datetime, ip=None) -> None:
    if unit.active:
        return
    if unit.kind in (UnitKind.OFFICE, UnitKind.LEADING_GROUP):
        other = session.scalar(
            sa.select(OrgUnit).where(
                OrgUnit.jurisdiction_id == unit.jurisdiction_id,
                OrgUnit.kind == unit.kind,
                OrgUnit.active,
            )
        )
        if other is not None:
            raise RuleViolation(N_("This jurisdiction already has one: %(name)s."), name=other.name)
    unit.active = True
    _record(
        session,
        action="org_unit_restore",
        object_type="org_unit",
        object_id=unit.id,
        by=by,
        at=at,
        ip=ip,
        detail=unit.name,
    )


# --------------------------------------------------------------------------- categories


def units_for_categories(session, jurisdiction: Jurisdiction) -> list[OrgUnit]:
    """The units a category of `jurisdiction` may name: the active units of it and of the
    levels above it (a county's category may be led by a city department)."""
    chain = [jurisdiction.id, *(j.id for j in jurisdiction.ancestors)]
    return session.scalars(
        sa.select(OrgUnit)
        .where(OrgUnit.jurisdiction_id.in_(chain), OrgUnit.active)
        .order_by(OrgUnit.jurisdiction_id, OrgUnit.name)
    ).all()


def save_category(
    session,
    category: Category | None,
    *,
    jurisdiction: Jurisdiction,
    number: int,
    name: str,
    description: str = "",
    responsible: str = "",
    leads: list[OrgUnit],
    co_handlers: Sequence[OrgUnit] = (),
    by,
    at: datetime,
    ip=None,
) -> tuple[Category, list[str]]:
    """Add a whistle category (category None) or change one: its number in the
    jurisdiction's list, name, what it covers, the seed's words for who answers, its lead
    units (Chaozhou 四(一) [责任部门]) and the units that co-handle it by default."""
    name = (name or "").strip()
    if number is None or number < 1:
        raise RuleViolation(N_("Enter the category's number, 1 or more."), field="number")
    clash = session.scalar(
        sa.select(Category).where(
            Category.jurisdiction_id == jurisdiction.id, Category.number == number
        )
    )
    if clash is not None and clash is not category:
        raise RuleViolation(
            N_("Number %(number)d is taken by %(name)s."),
            field="number",
            number=number,
            name=clash.name,
        )
    if not name:
        raise RuleViolation(N_("Enter the category's name."), field="name")
    allowed = {u.id for u in units_for_categories(session, jurisdiction)}
    if not leads:
        raise RuleViolation(N_("Choose at least one lead unit."), field="leads")
    if any(u.id not in allowed for u in leads):
        raise RuleViolation(N_("Choose lead units of this jurisdiction or above."), field="leads")
    co_handlers = [u for u in co_handlers if u not in leads]
    if any(u.id not in allowed for u in co_handlers):
        raise RuleViolation(
            N_("Choose co-handling units of this jurisdiction or above."), field="co_handlers"
        )
    values = {
        "number": number,
        "name": name[:100],
        "description": (description or "").strip(),
        "responsible": (responsible or "").strip()[:300],
        "lead_units": list(leads),
        "co_handlers": list(co_handlers),
    }
    category, changes = _save(
        session,
        category,
        lambda: Category(jurisdiction=jurisdiction, **values),
        values,
        added=lambda: f"added {number} {name} in {jurisdiction.code}",
        kind="org_category",
        object_type="category",
        by=by,
        at=at,
        ip=ip,
    )
    return category, changes


def category_in_use(session, category: Category) -> bool:
    checks = (
        sa.select(Case.id).where(Case.category_id == category.id),
        sa.select(Answer.id).where(Answer.category_id == category.id),
    )
    return any(session.scalar(check.limit(1)) is not None for check in checks)


def remove_category(session, category: Category, *, by, at: datetime, ip=None) -> str:
    """Delete a category no case or answer names; retire one in use."""
    in_use = category_in_use(session, category)
    if not in_use:
        category.lead_units, category.co_handlers = [], []
        session.flush()
    return _remove(
        session,
        category,
        in_use,
        kind="org_category",
        detail=f"{category.number} {category.name} ({category.jurisdiction.code})",
        by=by,
        at=at,
        ip=ip,
    )


def restore_category(session, category: Category, *, by, at: datetime, ip=None) -> None:
    if category.active:
        return
    category.active = True
    _record(
        session,
        action="org_category_restore",
        object_type="category",
        object_id=category.id,
        by=by,
        at=at,
        ip=ip,
        detail=category.name,
    )
