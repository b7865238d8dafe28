"""Seed clocks that were wrong on a real deployment (issue 16 item 5), each quoting its clause:
Shantou's confirm and handling clocks, the 12345 hotline's own limits, the 受理人 on the
registration form, category 3's financial institutions, and (item 1) the category's default
co-handling units on the dispatch form."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa
import time_machine
from bs4 import BeautifulSoup

from portal.domain import catalogue, policies, workflow
from portal.domain.calendar import WorkCalendar
from portal.domain.errors import RuleViolation
from portal.domain.models import Case, CaseState, CaseType, Category, JurisdictionLevel, UnitKind
from tests import factories
from tests.conftest import csrf_from
from tests.test_api import ORDER as API_ORDER
from tests.test_api import hotline  # noqa: F401 (a fixture)
from tests.test_documents import pdf_text

CAL = WorkCalendar()


def at(day: date, hour: int = 9) -> datetime:
    """A Beijing wall-clock time as UTC."""
    return datetime(day.year, day.month, day.day, hour - 8, tzinfo=UTC)


def page(response) -> BeautifulSoup:
    return BeautifulSoup(response.text, "html.parser")


def cli_lines(runner, *args) -> dict[str, str]:
    result = runner.invoke(args=["policy", "deadlines", *args])
    assert result.exit_code == 0, result.output
    return {line.split(":")[0]: line for line in result.output.splitlines()}


# --------------------------------------------------------------------------- Shantou 三(二)-(三)


def test_shantou_takes_no_business_handling_cases(client, db, world, profiles, runner, login_as):
    """Shantou 三(三) "咨询类诉求事项应在1个工作日内办结反馈；意见建议类诉求事项应在2个工作日内
    办结反馈；涉企服务投诉事项应在3个工作日内办结反馈" and 二 受理范围 (consultations, problems to
    coordinate, suggestions): the seed has no 业务办理 and no limit for it, so on its profile the
    forms offer no such type and a business case is refused, not left without a limit."""
    world.city.policy = profiles["shantou"]
    db.session.commit()
    assert policies.case_types_for(profiles["shantou"]) == (
        CaseType.CONSULTATION,
        CaseType.SUGGESTION,
        CaseType.COMPLAINT,
    )
    assert policies.case_types_for(profiles["chaozhou"]) == tuple(CaseType)
    with pytest.raises(RuleViolation) as refused:
        factories.case(db.session, world.city, case_type=CaseType.BUSINESS)
    assert refused.value.field == "case_type"
    # The office's registration form and the enterprise's whistle form offer the three.
    login_as("office")
    offered = {i["value"] for i in page(client.get("/office/register")).select("[name=case_type]")}
    assert offered == {"consultation", "suggestion", "complaint"}
    client.post("/auth/logout", data={"csrf_token": csrf_from(client.get("/office/").text)})
    login_as("enterprise")
    offered = {i["value"] for i in page(client.get("/whistle")).select("[name=case_type]")}
    assert offered == {"consultation", "suggestion", "complaint"}
    # The CLI says so instead of printing a clock the seed never set.
    result = runner.invoke(
        args=["policy", "deadlines", "shantou", "--type", "business", "--at", "2026-02-13"]
    )
    assert result.exit_code != 0 and "consultation, suggestion, complaint" in result.output


def test_a_whistle_of_no_stated_type_takes_the_profiles_longest_limit(
    db, world, profiles, tmp_path
):
    """An e-mail names no type. On Shantou's profile, which takes no business handling
    (三(三)), it is registered as 涉企服务投诉, the type with the longest limit ("3个工作日内
    办结反馈"), not refused onto the review list; elsewhere it stays business handling."""
    from portal.domain import intake
    from tests.test_intake import whistle_mail

    assert policies.default_case_type(profiles["chaozhou"]) is CaseType.BUSINESS
    assert policies.default_case_type(profiles["shantou"]) is CaseType.COMPLAINT
    world.city.policy = profiles["shantou"]
    row, _new = intake.take_message(
        db.session,
        CAL,
        whistle_mail().as_bytes(),
        jurisdiction=world.city,
        at=factories.now(),
        upload_root=tmp_path,
    )
    assert row.status == "registered" and row.case.type is CaseType.COMPLAINT


def test_the_confirm_limits_extra_day_follows_the_receiving_units_level(
    db, world, profiles, runner
):
    """Shantou 三(二) "拟承办单位在接到市工作专班通知后，需在1个工作日内（各功能区、区县可适当
    延长1个工作日）确认是否受理": the day more is the receiving unit's, by its level — a city
    case sent to a county's unit gets it, the same case sent to a city department does not.
    The CLI's `--unit-level` gives the same dates."""
    world.city.policy = profiles["shantou"]
    office = world.users["office"]
    day = date(2026, 2, 13)  # Friday; 14 Feb a make-up working Saturday, 15-23 Feb off
    to_city, to_county = (
        factories.case(
            db.session, world.city, case_type=CaseType.COMPLAINT, at=at(day), title=title
        )
        for title in ("市级部门", "区县单位")
    )
    for case, lead in ((to_city, world.department), (to_county, world.county_department)):
        workflow.accept(db.session, CAL, case, by=office, at=at(day))
        workflow.dispatch(db.session, CAL, case, by=office, at=at(day), lead=lead)
    assert world.city.level is JurisdictionLevel.CITY
    assert to_city.sign_due == date(2026, 2, 14)  # 1 working day
    assert to_county.sign_due == date(2026, 2, 24)  # 2: 14 Feb, then 24 Feb after the holiday
    city = cli_lines(runner, "shantou", "--type", "complaint", "--at", "2026-02-13")
    county = cli_lines(
        runner, "shantou", "--type", "complaint", "--at", "2026-02-13", "--unit-level", "county"
    )
    assert city["confirm"].startswith("confirm: 2026-02-14 (1 working day")
    assert county["confirm"].startswith("confirm: 2026-02-24 (2 working days")
    assert "各功能区、区县可适当延长1个工作日" in county["confirm"]


def test_shantou_handling_starts_when_the_transfer_letter_issues_after_confirmation(
    client, db, world, profiles, runner, login_as
):
    """Shantou 三(二) the unit confirms "是否受理" first; the office then "向承办单位发出
    《转办函》"; 三(三) "承办单位接到《转办函》后，需在1个工作日内联系诉求企业……涉企服务投诉
    事项应在3个工作日内办结反馈". So the unit's contact and handling clocks start on its
    confirmation (签收), not on the office's notice: until then only the confirm limit runs."""
    world.city.policy = profiles["shantou"]
    office, handler = world.users["office"], world.users["handler"]
    notified = date(2026, 2, 12)  # Thursday
    case = factories.case(
        db.session,
        world.city,
        enterprise=world.enterprise,
        case_type=CaseType.COMPLAINT,
        at=at(notified),
    )
    workflow.accept(db.session, CAL, case, by=office, at=at(notified))
    workflow.dispatch(db.session, CAL, case, by=office, at=at(notified), lead=world.department)
    assert (case.sign_due, case.contact_due, case.finish_due) == (date(2026, 2, 13), None, None)
    assert case.current_due == date(2026, 2, 13)  # the confirmation alone is owed
    db.session.commit()
    # The unit confirms on its last day, through its workbench.
    with time_machine.travel(at(date(2026, 2, 13), 15), tick=False):
        login_as("handler")
        shown = client.get(f"/workbench/cases/{case.number}")
        token = csrf_from(shown.text)
        version = page(shown).select_one('input[name="sign-version"]')["value"]
        response = client.post(
            f"/workbench/cases/{case.number}/sign",
            data={"csrf_token": token, "sign-version": version},
        )
    assert response.status_code == 303, response.text[:300]
    db.session.expire_all()
    assert case.state is CaseState.IN_HAND
    # The 转办函 issued on Friday 13 Feb: contact by Saturday 14 Feb (a make-up working day),
    # complaint finished by 3 working days: 14, 24, 25 Feb across the Spring Festival.
    assert (case.contact_due, case.finish_due) == (date(2026, 2, 14), date(2026, 2, 25))
    # The calculator counts from the confirmation's last day, as this unit confirmed.
    lines = cli_lines(runner, "shantou", "--type", "complaint", "--at", "2026-02-12")
    assert lines["confirm"].startswith("confirm: 2026-02-13")
    assert lines["contact"].startswith("contact: 2026-02-14 (1 working day after the 转办函")
    assert lines["finish"].startswith(
        "finish: 2026-02-25 (3 working days after the 转办函, issued on confirmation by 2026-02-13"
    )
    assert handler.unit_id == world.department.id


def test_chaozhou_handling_still_starts_at_the_dispatch(db, world):
    """Chaozhou 四(四)2 "在直接受理或收到本级领导小组办公室转交诉求和意见后5个工作日内办结": no
    confirm limit, so the clock runs from the dispatch and signing moves nothing."""
    office, handler = world.users["office"], world.users["handler"]
    case = factories.case(db.session, world.city, enterprise=world.enterprise)
    workflow.accept(db.session, CAL, case, by=office, at=at(date(2026, 11, 23)))
    workflow.dispatch(
        db.session, CAL, case, by=office, at=at(date(2026, 11, 23)), lead=world.department
    )
    assert case.finish_due == date(2026, 11, 30)
    workflow.sign(db.session, case, by=handler, at=at(date(2026, 11, 25)), calendar=CAL)
    assert case.finish_due == date(2026, 11, 30)


# --------------------------------------------------------------------------- 12345 work orders

ORDER = {**API_ORDER, "external_id": "12345-2026-0009001"}


def test_a_12345_work_order_keeps_the_hotlines_own_limits(
    client,
    db,
    world,
    hotline,  # noqa: F811
):
    """Chaozhou 四(四)1 "企业在潮州市12345投诉平台反映的诉求和意见，按照12345平台的工作流程和处理
    时限办理": a work order that carries the platform's limits keeps them instead of the
    profile's (contact 1, finish 5), also after the profile is edited."""
    sent = {**ORDER, "limits": {"contact_days": 2, "finish_days": 10}}
    with_limits = client.post("/api/v1/work-orders", json=sent, headers=hotline[1])
    assert with_limits.status_code == 201, with_limits.text
    plain = client.post(
        "/api/v1/work-orders",
        json={**ORDER, "external_id": "12345-2026-0009002"},
        headers=hotline[1],
    )
    assert plain.status_code == 201
    db.session.expire_all()
    own, usual = (
        db.session.scalar(sa.select(Case).where(Case.number == r.get_json()["case_number"]))
        for r in (with_limits, plain)
    )
    assert own.own_limits["finish_days"] == 10 and usual.own_limits is None
    # Received by the portal now; the platform reads the contact limit back as the due date.
    received = own.received_at
    assert own.contact_due == CAL.due_date(received, 2)
    assert usual.contact_due == CAL.due_date(received, 1)
    status = client.get(f"/api/v1/work-orders/{sent['external_id']}", headers=hotline[1])
    assert status.get_json()["due"] == own.contact_due.isoformat()
    # An edit of the city's profile later does not reach the hotline's limit.
    admin, office = world.users["admin"], world.users["office"]
    copy = policies.copy_profile(
        db.session, world.city.policy, key="cz-fast", name="快", by=admin, at=factories.now()
    )
    policies.edit_profile(
        db.session, copy, {"finish_days": 3}, note="压缩", by=admin, at=factories.now()
    )
    world.city.policy = copy
    day = at(date(2026, 11, 23))
    for case in (own, usual):
        workflow.accept(db.session, CAL, case, by=office, at=day)
        workflow.dispatch(db.session, CAL, case, by=office, at=day, lead=world.department)
    assert own.finish_due == CAL.add_working_days(date(2026, 11, 23), 10)  # the hotline's 10
    assert usual.finish_due == CAL.add_working_days(date(2026, 11, 23), 3)  # the profile's


def test_a_12345_work_order_of_a_type_the_profile_does_not_take(
    client,
    db,
    world,
    profiles,
    hotline,  # noqa: F811
):
    """Shantou 三(一)2 "由12345热线按照《汕头市12345政务服务便民热线管理办法》规定……直派工单":
    a business work order carrying the hotline's own finish limit is taken under it; one
    without falls under 三(三), which sets no limit for business, and is refused by name."""
    world.city.policy = profiles["shantou"]
    db.session.commit()
    refused = client.post("/api/v1/work-orders", json=ORDER, headers=hotline[1])
    assert refused.status_code == 422
    assert [e["field"] for e in refused.get_json()["errors"]] == ["type"]
    taken = client.post(
        "/api/v1/work-orders",
        json={**ORDER, "external_id": "12345-2026-0009003", "limits": {"finish_days": 4}},
        headers=hotline[1],
    )
    assert taken.status_code == 201, taken.text
    bad = client.post(
        "/api/v1/work-orders",
        json={**ORDER, "external_id": "12345-2026-0009004", "limits": {"finish_days": -1}},
        headers=hotline[1],
    )
    assert bad.status_code == 422
    assert [e["field"] for e in bad.get_json()["errors"]] == ["limits.finish_days"]


# --------------------------------------------------------------------------- Chaozhou 附件2


def test_the_receiver_is_on_the_registration_form_once_a_person_accepts(
    client, db, world, login_as, tmp_path
):
    """Chaozhou 四(四)1 "登记内容包括企业名称（姓名）、有效联系方式、诉求和意见、受理时间、
    受理单位、受理人等（见附件2）": a whistle from the portal has no 受理人 until a person of
    the office accepts it; from then on every registration form names that person."""
    case = factories.case(
        db.session, world.city, enterprise=world.enterprise, by=world.users["enterprise"]
    )
    assert case.received_by is None
    office = world.users["office"]
    workflow.accept(db.session, CAL, case, by=office, at=factories.now())
    assert case.received_by is office
    db.session.commit()
    login_as("office")
    response = client.get(f"/office/cases/{case.number}/registration.pdf")
    assert response.status_code == 200
    text = pdf_text(tmp_path, response.data, "registration")
    assert f"受理人{office.name}" in text
    dossier = client.get(f"/office/cases/{case.number}/dossier.pdf")
    assert f"受理人{office.name}" in pdf_text(tmp_path, dossier.data, "dossier")


def test_a_call_registered_at_the_office_keeps_who_took_it(db, world):
    """The person who took the call at the office registered it (受理登记): accepting it
    later, a colleague does not replace them as 受理人."""
    taker = world.users["office"]
    colleague = factories.user(db.session, taker.role, unit=world.office)
    case = factories.case(db.session, world.city, by=taker)
    case.receiving_unit = world.office
    workflow.accept(db.session, CAL, case, by=colleague, at=factories.now())
    assert case.received_by is taker


def test_category_3_goes_to_the_financial_institutions(db, world):
    """Chaozhou 四(一)3 "企业面临的融资贵、融资难，制约企业发展的事项。[责任部门：市各金融机构、
    各县区政府（管委会）等]": the financial institutions lead, not the financial bureau."""
    spec = next(c for c in catalogue.CHAOZHOU if c.number == 3)
    assert spec.responsible == ("各金融机构",)
    banks = factories.unit(db.session, world.city, name="市各金融机构")
    bureau = factories.unit(db.session, world.city, name="市金融局")
    catalogue.install_categories(db.session, world.city, catalogue.CHAOZHOU)
    three = db.session.scalar(
        sa.select(Category).where(Category.jurisdiction_id == world.city.id, Category.number == 3)
    )
    assert three.lead_units == [banks] and bureau not in three.lead_units
    assert three.responsible == "各金融机构"


def test_the_demo_city_routes_category_3_to_its_financial_institutions(db):
    """The demo (`make run`) has the unit the seed names for category 3."""
    from portal import demo

    demo.load(db.session, password="demo password 42", now=factories.now())
    three = db.session.scalar(
        sa.select(Category)
        .join(Category.jurisdiction)
        .where(Category.number == 3, Category.jurisdiction.has(code="445100"))
    )
    assert [u.name for u in three.lead_units] == ["市各金融机构"]
    assert three.lead_units[0].kind is UnitKind.DEPARTMENT


# --------------------------------------------------------------------------- item 1


def test_the_dispatch_form_prefills_the_categorys_co_handlers(client, db, world, login_as):
    """Issue 16 item 1: a category has its lead and default co-handling units; the office's
    dispatch form suggests both (Chaozhou 四(三)2 "涉及多部门（单位）的，由受理部门牵头相关部门
    协调解决")."""
    four = db.session.scalar(
        sa.select(Category).where(Category.jurisdiction_id == world.city.id, Category.number == 4)
    )
    four.co_handlers = [world.other_department]
    case = factories.case(db.session, world.city, enterprise=world.enterprise)
    case.category = four
    workflow.accept(db.session, CAL, case, by=world.users["office"], at=factories.now())
    db.session.commit()
    login_as("office")
    form = page(client.get(f"/office/cases/{case.number}"))
    lead = form.select_one('select[name="dispatch-lead"] option[selected]')
    co = form.select('select[name="dispatch-co"] option[selected]')
    assert lead["value"] == str(world.department.id)  # 4 引才用工 → 人社局
    assert [o["value"] for o in co] == [str(world.other_department.id)]
