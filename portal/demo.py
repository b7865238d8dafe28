"""Demo data (`flask --app wsgi demo`): a city with two counties and a development zone, the
offices and departments the seeds name, Chaozhou's categories, 30 enterprises of every kind,
one user per role and a few cases at different steps; and beside it a second city, 汕头市 on
Shantou's profile, with a district, its 工作专班, departments, staff, three enterprises and
cases at different steps, so that two policies can be seen side by side. For demonstration
and manual testing only: every demo account shares DEMO_PASSWORD, which production never sets.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from portal.domain import catalogue, policies, registry, workflow
from portal.domain.accounts import hash_password
from portal.domain.calendar import WorkCalendar
from portal.domain.credit_code import check_character
from portal.domain.models import (
    CaseType,
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
from portal.domain.workflow import categories_of, register_case

DEMO_ACCOUNTS = (
    # (login, role, what they see)
    ("office", Role.OFFICE, "市领导小组办公室 (city office)"),
    ("handler", Role.HANDLER, "市人力资源和社会保障局 (city department)"),
    ("head", Role.HEAD, "市人力资源和社会保障局 (department head)"),
    ("leader", Role.LEADER, "市领导小组 (leading group)"),
    ("liaison", Role.LIAISON, "庵埠镇经发办 (town liaison)"),
    ("inspector", Role.INSPECTOR, "市政府督查室 (inspection)"),
    ("chaoan-office", Role.OFFICE, "潮安区领导小组办公室 (county office)"),
    ("chaoan-handler", Role.HANDLER, "区人力资源和社会保障局 (county department)"),
    ("chaoan-head", Role.HEAD, "区人力资源和社会保障局 (its head)"),
    ("anbu-office", Role.OFFICE, "庵埠镇经发办 (town office: receives the liaisons' problems)"),
    ("liaison2", Role.LIAISON, "庵埠镇文里社区居委会 (village liaison)"),
    ("admin", Role.ADMIN, "system administration"),
    ("13800000001", Role.ENTERPRISE, "潮州市福源陶瓷有限公司 (enterprise)"),
    # The second city, on Shantou's profile (汕头市政企“直通车”优化工作机制).
    ("st-office", Role.OFFICE, "汕头市 市政企直通车工作专班 (Shantou's city office)"),
    ("st-handler", Role.HANDLER, "汕头市 市市场监督管理局 (city department)"),
    ("st-head", Role.HEAD, "汕头市 市市场监督管理局 (department head)"),
    ("longhu-office", Role.OFFICE, "龙湖区工作专班 (Shantou's district office)"),
    ("longhu-handler", Role.HANDLER, "龙湖区 区市场监督管理局 (district department)"),
    ("13800000031", Role.ENTERPRISE, "汕头市澄海宏达玩具有限公司 (Shantou enterprise)"),
)

CITY_DEPARTMENTS = (
    "市发展和改革局",
    "市工业和信息化局",
    "市科学技术局",
    "市财政局",
    "市政务服务数据管理局",
    "市人力资源和社会保障局",
    "市自然资源局",
    "市生态环境局",
    "市商务局",
    "市市场监督管理局",
    "市金融局",
    "市税务局",
    "市投资促进局",
    # Chaozhou 四(一)3 [责任部门：市各金融机构]: the banks' coordinating desk, which receives
    # category 3 (融资难融资贵) for them.
    "市各金融机构",
)
COUNTY_DEPARTMENTS = (
    "工业和信息化局",
    "人力资源和社会保障局",
    "自然资源局",
    "市场监督管理局",
    "财政局",
    "金融局",
    "政务服务数据管理局",
)
# Dalu 一: the town's sections and centres that each keep a share of the enterprises.
TOWN_UNITS = (
    ("经发办", UnitKind.OFFICE),
    ("应急办", UnitKind.SECTION),
    ("建设环保服务中心", UnitKind.SERVICE_CENTRE),
    ("农业服务中心", UnitKind.SERVICE_CENTRE),
    ("社区文化服务中心", UnitKind.SERVICE_CENTRE),
    ("市场监管所", UnitKind.SECTION),
)

ENTERPRISES = (
    # name, kind, industry
    ("潮州市福源陶瓷有限公司", EnterpriseKind.ABOVE_SCALE_INDUSTRY, "陶瓷制造"),
    ("潮州市金峰不锈钢制品有限公司", EnterpriseKind.ABOVE_SCALE_INDUSTRY, "金属制品"),
    ("广东韩江食品股份有限公司", EnterpriseKind.ABOVE_SCALE_INDUSTRY, "食品加工"),
    ("潮州三利电子科技有限公司", EnterpriseKind.ABOVE_SCALE_INDUSTRY, "电子元件"),
    ("潮安区彩塘五金厂有限公司", EnterpriseKind.ABOVE_SCALE_INDUSTRY, "五金制品"),
    ("饶平县海山水产有限公司", EnterpriseKind.ABOVE_SCALE_INDUSTRY, "水产加工"),
    ("潮州市安顺建筑工程有限公司", EnterpriseKind.FOUR_ABOVE, "建筑施工"),
    ("潮州市嘉和房地产开发有限公司", EnterpriseKind.FOUR_ABOVE, "房地产开发"),
    ("潮州市百合商贸有限公司", EnterpriseKind.FOUR_ABOVE, "批发零售"),
    ("潮州市南方物流有限公司", EnterpriseKind.FOUR_ABOVE, "交通物流"),
    ("饶平县联华超市有限公司", EnterpriseKind.FOUR_ABOVE, "批发零售"),
    ("潮州市韩江信息服务有限公司", EnterpriseKind.FOUR_ABOVE, "软件和信息服务"),
    ("潮州市枫溪瓷韵工艺品有限公司", EnterpriseKind.SME, "工艺品"),
    ("潮州市绿源农业发展有限公司", EnterpriseKind.SME, "农业"),
    ("潮州市新兴砖厂", EnterpriseKind.SME, "砖瓦"),
    ("潮州市中石加油站有限公司", EnterpriseKind.SME, "加油站"),
    ("潮州市恒达混凝土搅拌站", EnterpriseKind.SME, "建筑施工"),
    ("潮州市乐韵文化传媒有限公司", EnterpriseKind.SME, "文化娱乐"),
    ("潮州市庵埠食品包装有限公司", EnterpriseKind.SME, "包装印刷"),
    ("潮州市锦绣服装有限公司", EnterpriseKind.SME, "服装"),
    ("潮州开发区智造科技有限公司", EnterpriseKind.SME, "智能装备"),
    ("饶平县茶香茶叶有限公司", EnterpriseKind.SME, "茶叶"),
    ("庵埠镇老陈牛肉丸店", EnterpriseKind.INDIVIDUAL, "餐饮"),
    ("庵埠镇阿娟粿条店", EnterpriseKind.INDIVIDUAL, "餐饮"),
    ("庵埠镇明发五金店", EnterpriseKind.INDIVIDUAL, "零售"),
    ("庵埠镇好时光KTV", EnterpriseKind.INDIVIDUAL, "文化娱乐"),
    ("庵埠镇小林理发店", EnterpriseKind.INDIVIDUAL, "居民服务"),
    ("庵埠镇晨光便利店", EnterpriseKind.INDIVIDUAL, "零售"),
    ("饶平县海边大排档", EnterpriseKind.INDIVIDUAL, "餐饮"),
    ("潮州开发区鸿运汽修店", EnterpriseKind.INDIVIDUAL, "汽车维修"),
)

SHANTOU_DEPARTMENTS = (
    "市工业和信息化局",
    "市自然资源局",
    "市市场监督管理局",
    "市人力资源和社会保障局",
    "市商务局",
)
LONGHU_DEPARTMENTS = ("区工业和信息化局", "区自然资源局", "区市场监督管理局")
SHANTOU_ENTERPRISES = (
    ("汕头市澄海宏达玩具有限公司", EnterpriseKind.ABOVE_SCALE_INDUSTRY, "玩具制造"),
    ("汕头市龙湖区海韵纺织有限公司", EnterpriseKind.SME, "纺织"),
    ("龙湖区老妈宫粽球店", EnterpriseKind.INDIVIDUAL, "餐饮"),
)


# Dalu 一: which unit contacts which enterprise, by kind and industry.
def credit_code(prefix: str, division: str, n: int) -> str:
    first17 = f"{prefix}{division}MA{n:07d}"
    return first17 + check_character(first17)


def _enterprise(session, n, name, kind, industry, code, home, now) -> Enterprise:
    """The demo's n-th enterprise, at an address in `home`, with contact 138000000nn."""
    e = Enterprise(
        name=name,
        kind=kind,
        industry=industry,
        credit_code=code,
        jurisdiction=home,
        address=f"{home.name}{n}号",
        contact_name=f"联系人{n}",
        contact_phone=f"138{n:08d}",
        created_at=now,
    )
    session.add(e)
    return e


def is_empty(session) -> bool:
    return session.scalar(sa.select(sa.func.count()).select_from(User)) == 0


def load(session, *, password: str, now: datetime) -> dict[str, User]:
    """Write the demo world; returns the demo users by login."""
    profiles = policies.install_seed_profiles(session)
    J = JurisdictionLevel

    def place(code, name, level, parent=None, policy=None):
        j = Jurisdiction(
            code=code,
            name=name,
            level=level,
            parent=parent,
            policy=profiles[policy] if policy else None,
        )
        session.add(j)
        return j

    city = place("445100", "潮州市", J.CITY, policy="chaozhou")
    chaoan = place("445103", "潮安区", J.COUNTY, city)
    raoping = place("445122", "饶平县", J.COUNTY, city)
    zone = place("445171", "潮州经济开发区", J.ZONE, city)
    anbu = place("445103100", "庵埠镇", J.TOWN, chaoan, policy="dalu")
    caitang = place("445103101", "彩塘镇", J.TOWN, chaoan)
    huanggang = place("445122100", "黄冈镇", J.TOWN, raoping)
    village = place("445103100001", "庵埠镇文里社区", J.VILLAGE, anbu)
    place("445103100002", "庵埠镇郭陇村", J.VILLAGE, anbu)

    def unit(j, name, kind, phone=None, address=None):
        u = OrgUnit(jurisdiction=j, name=name, kind=kind, phone=phone, address=address)
        session.add(u)
        return u

    city_office = unit(
        city,
        "市领导小组办公室",
        UnitKind.OFFICE,
        "0768-2201234",
        "潮州市工业和信息化局（市府大院3号楼）",
    )
    leading_group = unit(city, "市“企业吹哨、部门报到”服务机制工作领导小组", UnitKind.LEADING_GROUP)
    inspection = unit(city, "市政府督查室", UnitKind.DEPARTMENT)
    city_units = {name: unit(city, name, UnitKind.DEPARTMENT) for name in CITY_DEPARTMENTS}
    county_units = {}
    for county, prefix in ((chaoan, "区"), (raoping, "县")):
        county_units[county.name] = unit(
            county, f"{county.name}领导小组办公室", UnitKind.OFFICE, "0768-5800000"
        )
        unit(
            county,
            f"{county.name}企业服务中心",
            UnitKind.SERVICE_CENTRE,
            "0768-5800001",
            f"{county.name}政务服务中心一楼",
        )
        for name in COUNTY_DEPARTMENTS:
            county_units[f"{county.name}{prefix}{name}"] = unit(
                county, f"{prefix}{name}", UnitKind.DEPARTMENT
            )
    unit(zone, "开发区管委会企业服务办", UnitKind.OFFICE, "0768-6300000")
    town_units = {name: unit(anbu, name, kind, "0768-5810000") for name, kind in TOWN_UNITS}
    unit(caitang, "经发办", UnitKind.OFFICE)
    unit(huanggang, "经发办", UnitKind.OFFICE)
    committee = unit(village, "文里社区居委会", UnitKind.VILLAGE_COMMITTEE, "0768-5810099")
    town_units["村委会"] = committee
    # The people the monthly ledgers name (Dalu 附件1-4).
    for n, u in enumerate(town_units.values()):
        u.head_name, u.head_phone = f"负责人{n + 1}", f"0768-58100{n + 10}"
        u.leader_name, u.leader_phone = "王建华", "0768-5810001"
    committee.head_name = "林书记"
    session.flush()

    for j in (city, chaoan, raoping, zone):
        catalogue.install_categories(session, j, catalogue.CHAOZHOU)

    hashed = hash_password(password)
    phones = itertools.count(2201240)

    def user(login, name, role, unit=None, enterprise=None, mobile=None):
        u = User(
            username=None if mobile else login,
            mobile=mobile,
            name=name,
            role=role,
            unit=unit,
            enterprise=enterprise,
            password_hash=hashed,
            created_at=now,
            phone=f"0768-{next(phones)}",
        )
        session.add(u)
        return u

    users = {
        "office": user("office", "陈晓华", Role.OFFICE, city_office),
        "handler": user("handler", "林志强", Role.HANDLER, city_units["市人力资源和社会保障局"]),
        "head": user("head", "黄建国", Role.HEAD, city_units["市人力资源和社会保障局"]),
        "leader": user("leader", "郑伟明", Role.LEADER, leading_group),
        "liaison": user("liaison", "许丽娜", Role.LIAISON, town_units["经发办"]),
        "inspector": user("inspector", "吴振华", Role.INSPECTOR, inspection),
        "admin": user("admin", "系统管理员", Role.ADMIN),
        "chaoan-office": user("chaoan-office", "李秋燕", Role.OFFICE, county_units["潮安区"]),
        "chaoan-handler": user(
            "chaoan-handler", "蔡俊杰", Role.HANDLER, county_units["潮安区区人力资源和社会保障局"]
        ),
        "chaoan-head": user(
            "chaoan-head", "陈国栋", Role.HEAD, county_units["潮安区区人力资源和社会保障局"]
        ),
        "anbu-office": user("anbu-office", "郑晓东", Role.OFFICE, town_units["经发办"]),
    }
    village_liaison = users["liaison2"] = user("liaison2", "蔡秀英", Role.LIAISON, committee)

    places = (anbu, anbu, caitang, chaoan, raoping, zone, huanggang, village)
    enterprises = []
    for n, (name, kind, industry) in enumerate(ENTERPRISES, start=1):
        home = places[n % len(places)] if "庵埠" not in name else anbu
        if kind is EnterpriseKind.INDIVIDUAL:
            code = credit_code("92", home.code[:6], n) if n % 2 else None
        else:
            code = credit_code("91", home.code[:6], n)
        enterprises.append(_enterprise(session, n, name, kind, industry, code, home, now))
    session.flush()

    # Dalu's table as 庵埠镇's rules. The demo's enterprises are spread over the city but all
    # contacted by 庵埠镇's units; an individual business outside a village with a committee
    # goes to 文里社区's.
    rules = registry.install_rules(session, anbu)
    for e in enterprises:
        unit = registry.unit_for(session, rules, e) or committee
        person = (
            users["liaison"]
            if unit is town_units["经发办"]
            else (village_liaison if unit is committee else None)
        )
        session.add(LiaisonAssignment(enterprise=e, unit=unit, user=person, assigned_at=now))

    first = enterprises[0]
    users["13800000001"] = user(
        "13800000001", "王福源", Role.ENTERPRISE, enterprise=first, mobile="13800000001"
    )
    session.flush()

    calendar = WorkCalendar()
    categories = {c.number: c for c in categories_of(session, city)}
    samples = (
        ("招工难，春节后一线工人缺口约80人", CaseType.BUSINESS, 4, Channel.PORTAL, 6),
        ("咨询高新技术企业认定的申报条件", CaseType.CONSULTATION, 1, Channel.HOTLINE_12345, 3),
        ("厂区扩建用地指标迟迟未落实", CaseType.COMPLAINT, 2, Channel.PHONE, 1),
    )
    cases = []
    for title, case_type, category, channel, days_ago in samples:
        cases.append(
            register_case(
                session,
                calendar,
                jurisdiction=city,
                applicant_name=first.name,
                contact_name=users["13800000001"].name,
                contact_phone=first.contact_phone,
                title=title,
                content=title + "。请相关部门协调解决。",
                case_type=case_type,
                channel=channel,
                at=now - timedelta(days=days_ago),
                by=users["13800000001"] if channel is Channel.PORTAL else users["office"],
                enterprise=first,
                category=categories[category],
                receiving_unit=city_office,
            )
        )
    session.flush()
    _advance(session, calendar, now, users, cases, city_units["市人力资源和社会保障局"])
    _more_cases(
        session,
        calendar,
        now,
        users,
        enterprises,
        city,
        chaoan,
        county_units["潮安区"],
        city_units["市自然资源局"],
    )
    _shantou(session, calendar, now, profiles, user, users)
    session.flush()
    return users


def _advance(session, calendar, now, users, cases, labour_bureau) -> None:
    """The demo enterprise's cases at different steps: one being handled by the city's
    人社局 (the `handler` sees it), one answered and waiting for its rating, one new."""
    office, handler = users["office"], users["handler"]
    hiring, consultation, _land = cases

    def ago(days: float) -> datetime:
        return now - timedelta(days=days)

    workflow.accept(session, calendar, hiring, by=office, at=ago(5.9))
    workflow.dispatch(
        session,
        calendar,
        hiring,
        by=office,
        at=ago(5.8),
        lead=labour_bureau,
        note="请联系企业了解岗位需求，对接专场招聘会。",
    )
    workflow.sign(session, hiring, by=handler, at=ago(5.5))
    workflow.contact(
        session,
        hiring,
        by=handler,
        at=ago(5),
        method="visit",
        when=ago(5),
        note="上门了解：成型、施釉岗位缺口约80人。",
    )
    workflow.progress(
        session,
        hiring,
        by=handler,
        at=ago(2),
        visible=True,
        text="已将贵司岗位纳入本月镇级专场招聘会。",
    )
    workflow.accept(session, calendar, consultation, by=office, at=ago(2.9))
    workflow.answer(
        session,
        calendar,
        consultation,
        by=office,
        at=ago(2.8),
        text="高新技术企业认定需：注册满一年、拥有核心自主知识产权、研发人员占比"
        "不低于10%、近三年研发费用占比达标等。申报材料清单已短信发送。",
    )


def _more_cases(
    session, calendar, now, users, enterprises, city, chaoan, chaoan_office, land_bureau
) -> None:
    """A whistle waiting at the 潮安区 office (`chaoan-office`), and one the city office sent
    for a leader's approval (呈批, the `leader` sees it)."""
    local = next(e for e in enterprises[1:] if e.jurisdiction.parent is chaoan)
    register_case(
        session,
        calendar,
        jurisdiction=chaoan,
        applicant_name=local.name,
        contact_name=local.contact_name,
        contact_phone=local.contact_phone,
        title="厂区门前道路破损，货车进出困难",
        content="厂区门前道路破损严重，雨天积水，货车进出困难，请协调修复。",
        case_type=CaseType.BUSINESS,
        channel=Channel.PORTAL,
        at=now - timedelta(hours=20),
        by=None,
        enterprise=local,
        receiving_unit=chaoan_office,
    )
    big = enterprises[2]
    case = register_case(
        session,
        calendar,
        jurisdiction=city,
        applicant_name=big.name,
        contact_name=big.contact_name,
        contact_phone=big.contact_phone,
        title="新建冷链仓库用地审批涉及多个部门",
        content="新建冷链仓库用地审批涉及自然资源、住建、环保多个部门，希望统筹协调。",
        case_type=CaseType.COMPLAINT,
        channel=Channel.VISIT,
        at=now - timedelta(days=2),
        by=users["office"],
        enterprise=big,
        receiving_unit=users["office"].unit,
    )
    workflow.accept(session, calendar, case, by=users["office"], at=now - timedelta(days=2))
    workflow.dispatch(
        session,
        calendar,
        case,
        by=users["office"],
        at=now - timedelta(days=1),
        lead=land_bureau,
        needs_approval=True,
        note="涉及多个部门，拟由市自然资源局牵头，呈领导审定。",
    )


def _shantou(session, calendar, now, profiles, user, users) -> None:
    """The second city, 汕头市, running Shantou's preset: 龙湖区 below it inherits it. Its
    cases show the seed's clocks: a unit confirms within 1 working day (三(二)), contacts the
    enterprise within 1 and finishes by the type (三(三): consultation 1, suggestion 2,
    complaint 3), and reports progress on Thursdays (三(四))."""
    city = Jurisdiction(
        code="440500", name="汕头市", level=JurisdictionLevel.CITY, policy=profiles["shantou"]
    )
    longhu = Jurisdiction(code="440507", name="龙湖区", level=JurisdictionLevel.COUNTY, parent=city)
    session.add_all([city, longhu])
    office = OrgUnit(
        jurisdiction=city,
        name="市政企直通车工作专班",
        kind=UnitKind.OFFICE,
        phone="0754-88861234",
        address="汕头市工业和信息化局（金砂路）",
    )
    units = {
        name: OrgUnit(jurisdiction=city, name=name, kind=UnitKind.DEPARTMENT)
        for name in SHANTOU_DEPARTMENTS
    }
    district_office = OrgUnit(
        jurisdiction=longhu, name="龙湖区工作专班", kind=UnitKind.OFFICE, phone="0754-88990000"
    )
    district_units = {
        name: OrgUnit(jurisdiction=longhu, name=name, kind=UnitKind.DEPARTMENT)
        for name in LONGHU_DEPARTMENTS
    }
    session.add_all([office, district_office, *units.values(), *district_units.values()])
    session.flush()
    for place in (city, longhu):
        catalogue.install_categories(session, place, catalogue.SHANTOU)
    market = units["市市场监督管理局"]
    users["st-office"] = user("st-office", "蔡文杰", Role.OFFICE, office)
    users["st-handler"] = user("st-handler", "郑洁", Role.HANDLER, market)
    users["st-head"] = user("st-head", "陈立新", Role.HEAD, market)
    users["longhu-office"] = user("longhu-office", "许伟", Role.OFFICE, district_office)
    users["longhu-handler"] = user(
        "longhu-handler", "黄丽", Role.HANDLER, district_units["区市场监督管理局"]
    )
    enterprises = []
    for n, (name, kind, industry) in enumerate(SHANTOU_ENTERPRISES, start=31):
        prefix = "92" if kind is EnterpriseKind.INDIVIDUAL else "91"
        code = credit_code(prefix, longhu.code, n)
        enterprises.append(_enterprise(session, n, name, kind, industry, code, longhu, now))
    toys = enterprises[0]
    owner = users["13800000031"] = user(
        "13800000031", "林宏达", Role.ENTERPRISE, enterprise=toys, mobile="13800000031"
    )
    session.flush()
    office_user, handler = users["st-office"], users["st-handler"]
    categories = {
        place: {c.number: c for c in categories_of(session, place)} for place in (city, longhu)
    }

    def ago(days: float) -> datetime:
        return now - timedelta(days=days)

    def whistle(title, case_type, number, channel, days, place=city, by=owner, who=toys):
        return register_case(
            session,
            calendar,
            jurisdiction=place,
            applicant_name=who.name,
            contact_name=who.contact_name,
            contact_phone=who.contact_phone,
            title=title,
            content=title + "。请协调解决。",
            case_type=case_type,
            channel=channel,
            at=ago(days),
            by=by,
            enterprise=who,
            category=categories[place][number],
            receiving_unit=office if place is city else district_office,
        )

    # In hand at the 市场监管局 (`st-handler`): a complaint, 3 working days (三(三)).
    fees = whistle("检测机构收费项目不公示", CaseType.COMPLAINT, 4, Channel.PORTAL, 2)
    # Waiting for the 自然资源局 to confirm it takes the case (三(二), 1 working day).
    land = whistle("新厂房用地规划调整", CaseType.SUGGESTION, 1, Channel.PORTAL, 1)
    # Answered by the 市场监管局 and reviewed: waiting for the enterprise's rating.
    licence = whistle(
        "咨询个体户转为企业的登记流程", CaseType.CONSULTATION, 2, Channel.HOTLINE_12345, 3,
        by=office_user,
    )  # fmt: skip
    session.flush()
    for case, lead, days in ((fees, market, 1.9), (land, units["市自然资源局"], 0.9),
                             (licence, market, 2.9)):  # fmt: skip
        workflow.accept(session, calendar, case, by=office_user, at=ago(days))
        workflow.dispatch(session, calendar, case, by=office_user, at=ago(days - 0.1), lead=lead)
    for case, days in ((fees, 1.7), (licence, 2.7)):
        workflow.sign(session, case, by=handler, at=ago(days))
        moment = ago(days - 0.1)
        workflow.contact(session, case, by=handler, at=moment, method="phone", when=moment, note="")
    workflow.progress(
        session, fees, by=handler, at=ago(1), visible=True, text="已约谈检测机构，核查收费项目。"
    )
    workflow.reply(
        session,
        calendar,
        licence,
        by=handler,
        at=ago(2.5),
        text="个体户转为企业可在“粤商通”一次办理，原字号可保留，材料清单已短信发送。",
    )
    workflow.approve_reply(session, calendar, licence, by=office_user, at=ago(2.4))
    # New: on the 专班's desk, and a complaint on the 龙湖区 desk (`longhu-office`); Shantou
    # takes no 业务办理 (三(三) sets limits for consultations, suggestions and complaints).
    whistle("建议延长政务服务窗口午间办公时间", CaseType.SUGGESTION, 3, Channel.PORTAL, 0.2)
    whistle(
        "农贸市场摊位管理费上涨三成",
        CaseType.COMPLAINT,
        2,
        Channel.PHONE,
        0.1,
        place=longhu,
        by=users["longhu-office"],
        who=enterprises[2],
    )


def utcnow() -> datetime:
    return datetime.now(UTC)
