"""Factories for the model: small functions with sensible defaults; tests name only what
matters to them."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import UTC, datetime

from werkzeug.security import generate_password_hash

from portal.domain import catalogue, policies, workflow
from portal.domain.calendar import WorkCalendar
from portal.domain.credit_code import check_character
from portal.domain.models import (
    CaseType,  # noqa: F401 (tests read it as factories.CaseType)
    Channel,
    Enterprise,
    EnterpriseKind,
    Jurisdiction,
    JurisdictionLevel,
    LiaisonAssignment,
    OrgUnit,
    Role,
    UnitKind,
    User,
)
from portal.domain.workflow import register_case

PASSWORD = "correct horse 42"
_HASH = None
_seq = itertools.count(1)


def now() -> datetime:
    return datetime(2026, 11, 25, 2, 0, tzinfo=UTC)  # 10:00 in Beijing, a Wednesday


def password_hash() -> str:
    """PASSWORD hashed once for every user the factories make, with scrypt at a work factor
    of 2**12 instead of the portal's 2**15: the portal checks a stored hash with the
    parameters written in it, and every sign-in of the suite would otherwise spend about
    0.2 s in the KDF. Passwords the pages set are hashed by the portal at full cost."""
    global _HASH
    if _HASH is None:
        _HASH = generate_password_hash(PASSWORD, method="scrypt:4096:8:1")
    return _HASH


def jurisdiction(
    session, *, name=None, level=JurisdictionLevel.CITY, parent=None, policy=None, code=None
) -> Jurisdiction:
    n = next(_seq)
    j = Jurisdiction(
        code=code or f"9{n:05d}", name=name or f"辖区{n}", level=level, parent=parent, policy=policy
    )
    session.add(j)
    session.flush()
    return j


def unit(session, j, *, name=None, kind=UnitKind.DEPARTMENT) -> OrgUnit:
    u = OrgUnit(jurisdiction=j, name=name or f"单位{next(_seq)}", kind=kind)
    session.add(u)
    session.flush()
    return u


def credit_code(n: int) -> str:
    first17 = f"91445100MA{n:07d}"
    return first17 + check_character(first17)


def enterprise(session, j, *, name=None, kind=EnterpriseKind.SME) -> Enterprise:
    n = next(_seq)
    e = Enterprise(
        name=name or f"企业{n}",
        kind=kind,
        credit_code=credit_code(n),
        jurisdiction=j,
        contact_name="联系人",
        contact_phone=f"139{n:08d}",
        created_at=now(),
    )
    session.add(e)
    session.flush()
    return e


def user(
    session, role: Role, *, unit=None, enterprise=None, username=None, mobile=None, active=True
) -> User:
    n = next(_seq)
    if role is Role.ENTERPRISE and mobile is None and username is None:
        mobile = f"137{n:08d}"
    u = User(
        username=username or (None if mobile else f"{role.value}{n}"),
        mobile=mobile,
        name=f"用户{n}",
        role=role,
        unit=unit,
        enterprise=enterprise,
        password_hash=password_hash(),
        active=active,
        created_at=now(),
    )
    session.add(u)
    session.flush()
    return u


def case(
    session,
    j,
    *,
    enterprise=None,
    by=None,
    at=None,
    title="用工难",
    case_type=None,
    channel=Channel.PORTAL,
    calendar=None,
):
    """A case registered in `j`; of business handling unless told, or where `j`'s profile
    takes none (Shantou 三(三)), of the type it gives the longest limit."""
    if case_type is None:
        case_type = policies.default_case_type(j.effective_policy)
    return register_case(
        session,
        calendar or WorkCalendar(),
        jurisdiction=j,
        applicant_name=enterprise.name if enterprise else "张三",
        contact_name="联系人",
        contact_phone="13900000000",
        title=title,
        content=title + "，请协调。",
        case_type=case_type,
        channel=channel,
        at=at or now(),
        by=by,
        enterprise=enterprise,
    )


@dataclass
class World:
    city: Jurisdiction
    county: Jurisdiction
    office: OrgUnit
    department: OrgUnit
    other_department: OrgUnit
    enterprise: Enterprise
    other_enterprise: Enterprise
    users: dict[str, User] = field(default_factory=dict)
    # The county below the city: its office (经发办), a department and their staff.
    county_office: OrgUnit = None
    county_department: OrgUnit = None
    county_office_user: User = None
    county_handler: User = None
    county_head: User = None


def build_world(session) -> World:
    profiles = policies.install_seed_profiles(session)
    city = jurisdiction(session, name="测试市", policy=profiles["chaozhou"], code="445100")
    county = jurisdiction(
        session, name="测试县", level=JurisdictionLevel.COUNTY, parent=city, code="445122"
    )
    office = unit(session, city, name="市领导小组办公室", kind=UnitKind.OFFICE)
    department = unit(session, city, name="市人力资源和社会保障局")
    other = unit(session, city, name="市自然资源局")
    town_office = unit(session, county, name="经发办", kind=UnitKind.OFFICE)
    mine = enterprise(session, city, name="测试陶瓷有限公司")
    theirs = enterprise(session, county, name="别家五金厂")
    users = {
        "enterprise": user(session, Role.ENTERPRISE, enterprise=mine, mobile="13800000001"),
        "office": user(session, Role.OFFICE, unit=office, username="office"),
        "handler": user(session, Role.HANDLER, unit=department, username="handler"),
        "head": user(session, Role.HEAD, unit=department, username="head"),
        "leader": user(session, Role.LEADER, unit=office, username="leader"),
        "liaison": user(session, Role.LIAISON, unit=town_office, username="liaison"),
        "inspector": user(session, Role.INSPECTOR, unit=office, username="inspector"),
        "admin": user(session, Role.ADMIN, username="admin"),
    }
    session.add(
        LiaisonAssignment(
            enterprise=mine, unit=town_office, user=users["liaison"], assigned_at=now()
        )
    )
    catalogue.install_categories(session, city, catalogue.CHAOZHOU)
    county_department = unit(session, county, name="县人力资源和社会保障局")
    session.flush()
    return World(
        city,
        county,
        office,
        department,
        other,
        mine,
        theirs,
        users,
        county_office=town_office,
        county_department=county_department,
        county_office_user=user(session, Role.OFFICE, unit=town_office),
        county_handler=user(session, Role.HANDLER, unit=county_department),
        county_head=user(session, Role.HEAD, unit=county_department),
    )


def replied(session, world: World, case, *, text="已办结。", at=None, calendar=None):
    """Take `case` through the workbench as the world's staff: accept, dispatch to the
    department, sign, reply and approve the reply, so the enterprise can rate it."""
    calendar = calendar or WorkCalendar()
    at = at or now()
    office, handler = world.users["office"], world.users["handler"]
    workflow.accept(session, calendar, case, by=office, at=at)
    workflow.dispatch(session, calendar, case, by=office, at=at, lead=world.department)
    workflow.sign(session, case, by=handler, at=at)
    workflow.reply(session, calendar, case, by=handler, text=text, at=at)
    workflow.approve_reply(session, calendar, case, by=office, at=at)
    return case


def dispatched(session, world: World, lead, *, calendar=None):
    """A case of the world's enterprise, accepted by the office and dispatched to `lead`."""
    calendar = calendar or WorkCalendar()
    found = case(session, world.city, enterprise=world.enterprise)
    workflow.accept(session, calendar, found, by=world.users["office"], at=now())
    workflow.dispatch(session, calendar, found, by=world.users["office"], at=now(), lead=lead)
    return found
