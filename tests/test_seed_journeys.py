"""End to end, one seed at a time (issue 16 item 6).

Each test starts from an empty database holding only what the migrations install (the
five presets of migration 0016; the test database's tables are emptied between tests, so
`install_seed_profiles` puts back what the migration wrote). A jurisdiction is then built
the way a new office would build it: the first administrator from `accounts create-admin`,
the organisation and its staff from the .xlsx templates uploaded on /admin/import (filled
in here with openpyxl under the template's own headers), the whistle categories the same
way, and the seed's profile chosen on /admin/policies. Nothing comes from the demo loader
or the factories.

Then one case goes through the pages over HTTP, each person signed in with the account
the import made (its one-time password changed at the first sign-in) or registered on
/auth/register: whistle, the office's triage and dispatch, the department's sign, contact,
handling and reply, the office's review, the enterprise's rating. The portal's clock is
moved with time_machine (as tests/test_contacts.py does) across National Day 2026: 25
September (Mid-Autumn) and 1-7 October are holidays, Sunday 20 September and Saturday 10
October make-up working days (国办发明电〔2025〕7号). Each clock the seed sets is asserted
as the date the case and its page carry, quoting the clause.
"""

from __future__ import annotations

import io
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa
import time_machine
from bs4 import BeautifulSoup
from openpyxl import load_workbook

from portal.domain import ledger, policies
from portal.domain.calendar import WorkCalendar
from portal.domain.credit_code import check_character
from portal.domain.models import Case, CaseEvent, CaseState
from portal.extensions import db as _db
from tests.conftest import csrf_from
from tests.sms_inbox import SmsInbox

pytestmark = pytest.mark.slow

NEW_PASSWORD = "Seed-Journey-2026!"
ENTERPRISE_PASSWORD = "whistle pass 8"


def beijing(day: date, hour: int = 10, minute: int = 0) -> datetime:
    """A Beijing wall-clock time as UTC."""
    return datetime(day.year, day.month, day.day, hour - 8, minute, tzinfo=UTC)


@contextmanager
def on(day: date, hour: int = 10, minute: int = 0):
    """The portal's clock stands at this Beijing time while the block runs."""
    with time_machine.travel(beijing(day, hour, minute), tick=False):
        yield


def soup(response) -> BeautifulSoup:
    return BeautifulSoup(response.text, "html.parser")


def written(day: date) -> str:
    """A date as the Chinese pages write it (the `day` filter): 2026年10月8日."""
    return f"{day.year}年{day.month}月{day.day}日"


def facts(response) -> dict[str, str]:
    """The staff case page's status facts: label → value (办结期限, 联系企业期限 …)."""
    status = soup(response).select_one("#status dl.facts")
    assert status is not None, response.text[:300]
    return {
        dt.get_text(strip=True): dt.find_next_sibling("dd").get_text(" ", strip=True)
        for dt in status.select("dt")
    }


# The status labels, as the zh_Hans_CN catalogue has them.
FINISH_BY, CONTACT_BY, NEXT_DUE = "办结期限", "联系企业期限", "当前环节期限"
PROGRESS_DUE = "本周须报送办理进展。"


def credit_code(division: str, n: int) -> str:
    first17 = f"91{division}MA{n:07d}"
    return first17 + check_character(first17)


# --------------------------------------------------------------------------- people


@dataclass
class Person:
    """One account and its password; `client()` signs in afresh (the clock moves days
    between steps, past the idle timeout)."""

    app: object
    login: str
    password: str
    prefix: str = ""  # where its case pages are: /office, /workbench or "" (enterprise)
    changed: bool = False
    _signed_in: tuple = ()

    def client(self):
        """A client signed in now; the same one again while the clock stands still."""
        now = datetime.now(UTC)
        if self._signed_in and self._signed_in[0] == now:
            return self._signed_in[1]
        client = self.app.test_client()
        token = csrf_from(client.get("/auth/login").text)
        response = client.post(
            "/auth/login",
            data={"login": self.login, "password": self.password, "csrf_token": token},
        )
        assert response.status_code == 303, (self.login, response.text[:300])
        if not self.changed:  # a one-time password: the first sign-in changes it
            page = client.get("/auth/password")
            changed = client.post(
                "/auth/password",
                data={
                    "csrf_token": csrf_from(page.text),
                    "current": self.password,
                    "password": NEW_PASSWORD,
                },
            )
            assert changed.status_code == 303, changed.text[:500]
            self.password, self.changed = NEW_PASSWORD, True
        self._signed_in = (now, client)
        return client

    def case_page(self, client, case: Case):
        response = client.get(f"{self.prefix}/cases/{case.number}")
        assert response.status_code == 200, response.status_code
        return response

    def step(self, case: Case, step: str, expect: int = 303, **fields):
        """POST a step as its form on the case page would (prefix, version, CSRF)."""
        client = self.client()
        shown = self.case_page(client, case)
        page = soup(shown)
        assert page.select_one(f"#step-{step}") is not None, (step, self.login)
        version = page.select_one(f'input[name="{step}-version"]')
        data = {"csrf_token": csrf_from(shown.text), f"{step}-version": version["value"]}
        data.update({f"{step}-{name}": value for name, value in fields.items()})
        response = client.post(
            f"{self.prefix}/cases/{case.number}/{step.replace('_', '-')}", data=data
        )
        assert response.status_code == expect, (step, response.status_code, response.text[:800])
        return response

    def unit_option(self, case: Case, step: str, name: str) -> str:
        """The value of the unit `name` among the step form's lead units."""
        page = soup(self.case_page(self.client(), case))
        select = page.select_one(f'select[name="{step}-lead"]')
        assert select is not None, step
        values = [o["value"] for o in select.select("option") if o.get_text(strip=True) == name]
        assert values, (name, [o.get_text(strip=True) for o in select.select("option")])
        return values[0]


def bootstrap_admin(app, runner) -> Person:
    """SECURITY.md 8: the first account comes from `accounts create-admin`."""
    result = runner.invoke(args=["accounts", "create-admin", "root-admin"])
    assert result.exit_code == 0, result.output
    return Person(app, "root-admin", result.output.strip().splitlines()[-1].strip())


def fill(template: bytes, rows: dict[str, list[dict[str, str]]]) -> bytes:
    """The downloaded template with `rows` under its own headers, sheet by sheet."""
    book = load_workbook(io.BytesIO(template))
    for sheet_name, sheet_rows in rows.items():
        sheet = book[sheet_name]
        headers = [cell.value for cell in sheet[1]]
        for row in sheet_rows:
            assert set(row) <= set(headers), set(row) - set(headers)
            sheet.append([row.get(h, "") for h in headers])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def import_workbook(admin_client, kind: str, rows: dict[str, list[dict[str, str]]]):
    """Download the template of `kind`, fill it, dry-run it, import it; returns the
    one-time passwords by username."""
    template = admin_client.get(f"/admin/import/{kind}.xlsx")
    assert template.status_code == 200
    data = fill(template.data, rows)

    def post(dry_run: bool):
        page = admin_client.get("/admin/import")
        form = {"csrf_token": csrf_from(page.text), "file": (io.BytesIO(data), f"{kind}.xlsx")}
        if dry_run:
            form["dry_run"] = "y"
        return admin_client.post("/admin/import", data=form, content_type="multipart/form-data")

    dry = post(dry_run=True)
    assert dry.status_code == 200
    report = soup(dry).select_one("#report-title").find_parent("section")
    assert not report.select("tr.refused"), report.get_text(" ", strip=True)
    assert "试导入：所有行均无误，未写入。" in report.text  # nothing written yet
    done = post(dry_run=False)
    report = soup(done).select_one("#report-title").find_parent("section")
    assert not report.select("tr.refused"), report.get_text(" ", strip=True)
    assert "已写入。" in report.text
    passwords = {}
    for item in report.select("ul.list li"):
        username, _colon, _rest = item.get_text(strip=True).partition(":")
        passwords[username] = item.select_one("code").get_text(strip=True)
    return passwords


def choose_profile(admin_client, place_name: str, key: str) -> None:
    """/admin/policies: the jurisdiction runs the seed's preset (item 3)."""
    page = soup(admin_client.get("/admin/policies"))
    item = next(li for li in page.select("li[id^=j]") if li.select_one("strong").text == place_name)
    select = item.select_one("select")
    option = next(o for o in select.select("option") if o.text.endswith(f"({key})"))
    form = item.select_one("form")
    response = admin_client.post(
        form["action"],
        data={"csrf_token": csrf_from(str(page)), select["name"]: option["value"]},
    )
    assert response.status_code == 303, response.text[:500]
    again = soup(admin_client.get("/admin/policies"))
    item = next(
        li for li in again.select("li[id^=j]") if li.select_one("strong").text == place_name
    )
    assert option.text.split(" (")[0] in item.get_text(" ", strip=True)


def build(app, runner, *, day: date, units: dict, categories: list, profile: tuple[str, str]):
    """A jurisdiction from the two templates and the profile choice; returns its people."""
    with on(day, 9):
        _db.session.commit()
        policies.install_seed_profiles(_db.session)  # what migration 0016 installs
        _db.session.commit()
        admin = bootstrap_admin(app, runner)
        client = admin.client()
        passwords = import_workbook(client, "units", units)
        import_workbook(client, "categories", {"类别": categories})
        choose_profile(client, *profile)
    people = {}
    for row in units["人员"]:
        prefix = "/office" if row["角色"] in ("办公室", "协调办") else "/workbench"
        people[row["用户名"]] = Person(app, row["用户名"], passwords[row["用户名"]], prefix)
    return people


def register_enterprise(app, *, day: date, place: str, name: str, mobile: str, n: int) -> Person:
    """The enterprise opens its account on /auth/register, in `place` (its county or town)."""
    with on(day, 9):
        client = app.test_client()
        page = client.get("/auth/register")
        options = {
            o.get_text(strip=True): o["value"]
            for o in soup(page).select('select[name="jurisdiction"] option')
        }
        chosen = next(v for label, v in options.items() if label.endswith(place))
        data = {
            "csrf_token": csrf_from(page.text),
            "name": "企业联系人",
            "mobile": mobile,
            "password": ENTERPRISE_PASSWORD,
            "enterprise_name": name,
            "kind": "sme",
            "credit_code": credit_code("500000", n),
            "jurisdiction": chosen,
        }
        # The mobile is verified by the code in the SMS (issue 17 item 7).
        with SmsInbox() as inbox:
            client.post("/auth/register", data={**data, "send_code": "1"})
            code = inbox.code(mobile)
        response = client.post("/auth/register", data={**data, "code": code})
        assert response.status_code == 303, response.text[:800]
    return Person(app, mobile, ENTERPRISE_PASSWORD, "", changed=True)


def whistle(
    enterprise: Person, *, level: str, case_type: str, category: str, title: str, content=""
) -> Case:
    client = enterprise.client()
    page = client.get("/whistle")
    form = soup(page)
    offered = {i["value"] for i in form.select('input[name="case_type"]')}
    assert case_type in offered, offered
    response = client.post(
        "/whistle",
        data={
            "csrf_token": csrf_from(page.text),
            "submission_key": form.select_one("#submission_key")["value"],
            "level": level,
            "case_type": case_type,
            "category": category,
            "title": title,
            "content": content or title + "，请有关部门协调解决。",
            "contact_name": "王经理",
            "contact_phone": "13800000001",
        },
    )
    assert response.status_code == 303, response.text[:800]
    return newest_case()


def newest_case() -> Case:
    _db.session.expire_all()
    return _db.session.scalars(sa.select(Case).order_by(Case.id.desc())).first()


def reload(case: Case) -> Case:
    _db.session.expire_all()
    return _db.session.get(Case, case.id)


def rate(enterprise: Person, case: Case, *, level: str, solved: str = "yes") -> list[str]:
    """The enterprise rates on its case page; returns the levels it was offered."""
    client = enterprise.client()
    page = client.get(f"/cases/{case.number}")
    assert page.status_code == 200
    offered = [i["value"] for i in soup(page).select('input[name="rating-level"]')]
    response = client.post(
        f"/cases/{case.number}/rating",
        data={
            "csrf_token": csrf_from(page.text),
            "rating-level": level,
            "rating-solved": solved,
            "rating-comment": "",
        },
    )
    assert response.status_code == 303, response.text[:800]
    return offered


def units_sheet(place: str, *rows: tuple[str, str]) -> list[dict[str, str]]:
    return [{"辖区代码": place, "单位名称": name, "类型": kind} for name, kind in rows]


def staff(place: str, unit: str, username: str, role: str, name: str) -> dict[str, str]:
    return {"辖区代码": place, "单位名称": unit, "姓名": name, "用户名": username, "角色": role}


def category(place: str, number: int, name: str, leads: str, responsible: str = ""):
    return {
        "辖区代码": place,
        "序号": str(number),
        "类别名称": name,
        "事项内容": name,
        "责任部门（原文）": responsible or leads,
        "牵头单位": leads,
    }


def when(day: date, hour: int = 10) -> str:
    """A datetime-local value as staff type it (Beijing time)."""
    return f"{day.isoformat()}T{hour:02d}:00"


def events(case: Case) -> list[str]:
    return [
        e.action
        for e in _db.session.scalars(
            sa.select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id)
        )
    ]


# --------------------------------------------------------------------------- 潮州 Chaozhou


def test_chaozhou_journey_across_national_day(app, runner):
    """潮州市 (city, 2020) 四(四): "非现场或电话接收的、有企业联系方式的，应在1个工作日内与企业
    取得对接联系" (1); "在直接受理或收到本级领导小组办公室转交诉求和意见后5个工作日内办结……经部门
    主要领导批准，可以适当延长办理时限，但延长时限最多不得超过10个工作日" (2); "办理完成后，由
    主办部门在1个工作日内将结果反馈给企业" (3); 附件3 服务反馈评价单: 满意 / 不满意."""
    city, county = "445100", "445103"
    people = build(
        app,
        runner,
        day=date(2026, 9, 21),
        units={
            "辖区": [
                {"代码": city, "名称": "潮州市", "层级": "市"},
                {"代码": county, "名称": "潮安区", "层级": "区", "上级代码": city},
            ],
            "单位": units_sheet(
                city,
                ("市领导小组办公室", "领导小组办公室"),
                ("市“企业吹哨、部门报到”服务机制工作领导小组", "领导小组"),
                ("市人力资源和社会保障局", "部门"),
                ("市自然资源局", "部门"),
            )
            + units_sheet(county, ("潮安区领导小组办公室", "领导小组办公室")),
            "人员": [
                staff(city, "市领导小组办公室", "cz-office", "办公室", "陈晓华"),
                staff(city, "市人力资源和社会保障局", "cz-handler", "经办人", "林志强"),
                staff(city, "市人力资源和社会保障局", "cz-head", "部门主要领导", "黄建国"),
            ],
        },
        categories=[
            category(city, 1, "政策法规咨询", "市领导小组办公室", "相关部门"),
            category(city, 4, "人力资源保障", "市人力资源和社会保障局", "人社局"),
        ],
        profile=("潮州市", "chaozhou"),
    )
    office, handler, head = people["cz-office"], people["cz-handler"], people["cz-head"]
    enterprise = register_enterprise(
        app, day=date(2026, 9, 28), place="潮安区", name="潮州市福源陶瓷有限公司",
        mobile="13900000001", n=1,
    )  # fmt: skip

    # Wednesday 30 September: the enterprise whistles to the city, a complaint.
    with on(date(2026, 9, 30), 10):
        case = whistle(
            enterprise, level="city", case_type="complaint", category="4", title="春节后缺工80人"
        )
    # 四(四)1: contact within 1 working day — across 1-7 October, the 8th.
    assert case.contact_due == date(2026, 10, 8)
    with on(date(2026, 10, 8), 9):
        office.step(case, "accept", note="属人社职能")
        shown = facts(office.case_page(office.client(), case))
    # Accepting does not end the contact limit (四(四)1): it holds until contact is made.
    assert written(date(2026, 10, 8)) in shown[CONTACT_BY]
    with on(date(2026, 10, 8), 10):
        office.step(case, "office_contact", method="phone", when=when(date(2026, 10, 8), 9))
        lead = office.unit_option(case, "dispatch", "市人力资源和社会保障局")
        office.step(case, "dispatch", lead=lead, note="请5个工作日内办结")
    case = reload(case)
    # 四(四)2: 5 working days from the office's transfer: 9, 10 (make-up Saturday), 12, 13, 14.
    assert case.finish_due == date(2026, 10, 14)
    assert case.contact_due == date(2026, 10, 9)  # the department's own contact, 1 day
    with on(date(2026, 10, 9), 9):
        handler.step(case, "sign")
        handler.step(case, "contact", method="visit", when=when(date(2026, 10, 9), 9))
        shown = facts(handler.case_page(handler.client(), case))
    assert written(date(2026, 10, 14)) in shown[FINISH_BY]
    # 四(四)2: an extension of at most 10 working days, approved by the department head.
    with on(date(2026, 10, 12), 10):
        refused = handler.step(
            case, "request_extension", expect=409, days="11", reason="需协调外地劳务"
        )  # a rule refuses the step: its words beside the field, what was typed kept
        error = soup(refused).select_one("#request_extension-days-error")
        assert error is not None and "可申请延期1至10个工作日" in error.text
        handler.step(case, "request_extension", days="10", reason="需协调外地劳务输出地")
        head.step(case, "decide_extension", decision="approve", note="同意")
    case = reload(case)
    cap = [c for c in policies.deadlines(case.policy, case.type, date(2026, 10, 8), WorkCalendar())
           if c.name == "extension cap"][0]  # fmt: skip
    # The cap: 10 more working days after the 14th — 15, 16, 19-23, 26, 27, 28.
    assert case.finish_due == cap.due == date(2026, 10, 28)
    # 四(四)3: the reply reaches the enterprise within 1 working day of completion; the
    # office's review does not lengthen it.
    with on(date(2026, 10, 27), 15):
        handler.step(case, "reply", text="已对接两场专场招聘会，缺工已补齐。")
    case = reload(case)
    assert case.review_due == date(2026, 10, 28)
    with on(date(2026, 10, 28), 9):
        shown = facts(office.case_page(office.client(), case))
        assert written(date(2026, 10, 28)) in shown[NEXT_DUE]
        office.step(case, "approve_reply")
    with on(date(2026, 10, 29), 9):
        offered = rate(enterprise, case, level="satisfied")
    assert offered == ["satisfied", "unsatisfied"]  # 附件3: 满意 / 不满意
    case = reload(case)
    assert case.state is CaseState.RATED
    assert events(case)[:2] == ["register", "accept"]


# --------------------------------------------------------------------------- 城口 Chengkou


def test_chengkou_journey_across_national_day(app, runner):
    """城口县 (county, 2022) 五(三): "按事项所涉辖区和职能，在2个工作日内分别交办" (1); "原则上
    在3个工作日内办结；短期内无法办结的，在5个工作日内制定办理计划、承诺办理时限" (2); "满意"
    "基本满意""不满意"等次评价 (3)."""
    city, county = "500000", "500229"
    office_name = "县“企业吹哨·部门报到”专项行动办公室"
    people = build(
        app,
        runner,
        day=date(2026, 9, 21),
        units={
            "辖区": [
                {"代码": city, "名称": "重庆市", "层级": "市"},
                {"代码": county, "名称": "城口县", "层级": "县", "上级代码": city},
            ],
            "单位": units_sheet(
                county,
                (office_name, "领导小组办公室"),
                ("县人力社保局", "部门"),
                ("县经济信息委", "部门"),
            ),
            "人员": [
                staff(county, office_name, "ck-office", "办公室", "刘明"),
                staff(county, "县人力社保局", "ck-handler", "经办人", "向红"),
            ],
        },
        categories=[
            category(county, 2, "要素保障协调", "县经济信息委"),
            category(county, 4, "招工引才协调", "县人力社保局"),
        ],
        profile=("城口县", "chengkou"),
    )
    office, handler = people["ck-office"], people["ck-handler"]
    enterprise = register_enterprise(
        app, day=date(2026, 9, 28), place="城口县", name="城口县山里红食品有限公司",
        mobile="13900000002", n=2,
    )  # fmt: skip
    with on(date(2026, 9, 29), 10):
        case = whistle(
            enterprise, level="local", case_type="business", category="4", title="缺熟练工20人"
        )
    assert case.contact_due is None  # the seed sets no contact limit
    with on(date(2026, 9, 29), 11):
        office.step(case, "accept")
        shown = facts(office.case_page(office.client(), case))
    # 五(三)1: dispatched within 2 working days — 30 September, then 8 October.
    assert reload(case).dispatch_due == date(2026, 10, 8)
    assert written(date(2026, 10, 8)) in shown[NEXT_DUE]
    with on(date(2026, 10, 8), 10):
        lead = office.unit_option(case, "dispatch", "县人力社保局")
        office.step(case, "dispatch", lead=lead)
    case = reload(case)
    # 五(三)2: 3 working days to finish: 9, 10 (make-up Saturday), 12.
    assert case.finish_due == date(2026, 10, 12)
    [plan_clock] = [
        c
        for c in policies.deadlines(case.policy, case.type, date(2026, 10, 8), WorkCalendar())
        if c.name == "plan"
    ]
    assert plan_clock.due == date(2026, 10, 14)  # 5 working days: 9, 10, 12, 13, 14
    with on(date(2026, 10, 9), 9):
        handler.step(case, "sign")
        handler.step(case, "contact", method="talks", when=when(date(2026, 10, 9), 9))
    with on(date(2026, 10, 13), 9):
        shown = facts(handler.case_page(handler.client(), case))
    assert written(date(2026, 10, 12)) in shown[NEXT_DUE] and "已逾期" in shown[NEXT_DUE]
    # The plan on the 5th working day, in time: its promised date is the finish date.
    with on(date(2026, 10, 14), 16):
        handler.step(case, "plan", text="联合县就业中心开展专场招聘", promised="2026-10-23")
        shown = facts(handler.case_page(handler.client(), case))
    case = reload(case)
    assert case.finish_due == date(2026, 10, 23)
    assert written(date(2026, 10, 23)) in shown[FINISH_BY]
    plan_event = _db.session.scalars(
        sa.select(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.action == "plan")
    ).one()
    assert not plan_event.data.get("late")
    with on(date(2026, 10, 22), 15):
        handler.step(case, "reply", text="已招聘到岗18人，剩余岗位持续对接。")
    assert reload(case).review_due == date(2026, 10, 23)  # the office reviews, 1 day
    with on(date(2026, 10, 23), 9):
        office.step(case, "approve_reply")
    with on(date(2026, 10, 26), 9):
        offered = rate(enterprise, case, level="basically_satisfied", solved="yes")
    assert offered == ["satisfied", "basically_satisfied", "unsatisfied"]  # 五(三)3
    case = reload(case)
    assert case.state is CaseState.RATED and case.rating_level.value == "basically_satisfied"


# --------------------------------------------------------------------------- 大路 Dalu


def test_dalu_journey_across_national_day(app, runner):
    """璧山区大路街道 (street, 2021) 二(三): the street's own matters "迅速高效地回应、办理",
    others "及时报送经发办" — dispatched at once, which on a holiday is the first working day
    after it; the seed sets no handling limit. 二(二): ledgers "每月25日前报送经发办".
    The problem reaches the 经发办 on a visit (Dalu's liaison whistles on the enterprise's
    behalf), registered on /office/register: an enterprise's own whistle goes to its district
    (Chaozhou 四(三)1, `workflow.whistle_targets`)."""
    city, district, street = "500000", "500120", "500120004"
    people = build(
        app,
        runner,
        day=date(2026, 9, 21),
        units={
            "辖区": [
                {"代码": city, "名称": "重庆市", "层级": "市"},
                {"代码": district, "名称": "璧山区", "层级": "区", "上级代码": city},
                {"代码": street, "名称": "大路街道", "层级": "街道", "上级代码": district},
            ],
            "单位": units_sheet(
                street,
                ("经发办", "经发办"),
                ("应急办", "科室"),
                ("建设环保服务中心", "服务中心"),
            ),
            "人员": [
                staff(street, "经发办", "dl-office", "办公室", "周敏"),
                staff(street, "建设环保服务中心", "dl-handler", "经办人", "唐军"),
            ],
        },
        categories=[category(street, 1, "建设环保", "建设环保服务中心")],
        profile=("大路街道", "dalu"),
    )
    office, handler = people["dl-office"], people["dl-handler"]
    enterprise = register_enterprise(
        app, day=date(2026, 9, 28), place="大路街道", name="重庆大路混凝土搅拌站有限公司",
        mobile="13900000003", n=3,
    )  # fmt: skip
    # Saturday 3 October, in the holiday: the 经发办 registers and accepts it.
    with on(date(2026, 10, 3), 15):
        client = office.client()
        page = client.get("/office/register")
        form = soup(page)
        category_id = next(
            o["value"]
            for o in form.select('select[name="category"] option')
            if "建设环保" in o.text
        )
        response = client.post(
            "/office/register",
            data={
                "csrf_token": csrf_from(page.text),
                "channel": "liaison",
                "applicant_name": "重庆大路混凝土搅拌站有限公司",
                "credit_code": credit_code("500000", 3),
                "contact_name": "唐经理",
                "contact_phone": "13900000003",
                "case_type": "business",
                "category": category_id,
                "title": "临时搅拌站环评手续",
                "content": "临时搅拌站需办理环评手续，请街道协助对接。",
            },
        )
        assert response.status_code == 303, response.text[:800]
        case = newest_case()
        assert case.enterprise is not None and case.jurisdiction.code == street
        office.step(case, "accept")
        shown = facts(office.case_page(office.client(), case))
    # At once (0 working days): received in the holiday, the 8th.
    assert reload(case).dispatch_due == date(2026, 10, 8)
    assert written(date(2026, 10, 8)) in shown[NEXT_DUE]
    with on(date(2026, 10, 8), 9):
        lead = office.unit_option(case, "dispatch", "建设环保服务中心")
        office.step(case, "dispatch", lead=lead)
    case = reload(case)
    assert (case.finish_due, case.sign_due, case.contact_due) == (None, None, None)
    with on(date(2026, 10, 9), 9):
        handler.step(case, "sign")
        shown = facts(handler.case_page(handler.client(), case))
        assert FINISH_BY not in shown  # no handling limit in the seed
        handler.step(case, "contact", method="visit", when=when(date(2026, 10, 9), 9))
        handler.step(case, "reply", text="已协助办理环评备案。")
    # The office reviews in 1 working day: Saturday 10 October, a make-up working day.
    assert reload(case).review_due == date(2026, 10, 10)
    with on(date(2026, 10, 10), 9):
        office.step(case, "approve_reply")
    with on(date(2026, 10, 12), 9):
        assert rate(enterprise, case, level="satisfied") == ["satisfied", "unsatisfied"]
    case = reload(case)
    assert case.state is CaseState.RATED
    # 二(二): the street's ledgers are due on the 25th.
    assert ledger.due_day_of(case.jurisdiction) == 25


# --------------------------------------------------------------------------- 汕头 Shantou

SHANTOU_CITY, LONGHU = "440500", "440507"


def shantou(app, runner) -> dict[str, Person]:
    return build(
        app,
        runner,
        day=date(2026, 9, 21),
        units={
            "辖区": [
                {"代码": SHANTOU_CITY, "名称": "汕头市", "层级": "市"},
                {"代码": LONGHU, "名称": "龙湖区", "层级": "区", "上级代码": SHANTOU_CITY},
            ],
            "单位": units_sheet(
                SHANTOU_CITY,
                ("市政企直通车工作专班", "工作专班"),
                ("市市场监督管理局", "部门"),
                ("市工业和信息化局", "部门"),
            )
            + units_sheet(LONGHU, ("龙湖区工作专班", "工作专班"), ("区市场监督管理局", "部门")),
            "人员": [
                staff(SHANTOU_CITY, "市政企直通车工作专班", "st-office", "办公室", "蔡文"),
                staff(SHANTOU_CITY, "市市场监督管理局", "st-handler", "经办人", "郑洁"),
                staff(LONGHU, "龙湖区工作专班", "lh-office", "办公室", "许伟"),
                staff(LONGHU, "区市场监督管理局", "lh-handler", "经办人", "黄丽"),
            ],
        },
        categories=[
            category(SHANTOU_CITY, 1, "涉企服务投诉", "市市场监督管理局"),
            category(SHANTOU_CITY, 2, "政策咨询", "市工业和信息化局"),
        ],
        profile=("汕头市", "shantou"),
    )


def test_shantou_journey_across_national_day(app, runner):
    """汕头市 (city) 三(二): "拟承办单位在接到市工作专班通知后，需在1个工作日内……确认是否受理";
    三(三): "承办单位接到《转办函》后，需在1个工作日内联系诉求企业……涉企服务投诉事项应在3个工作日
    内办结反馈"; 三(四): "承办单位需对于未办结事项每周四需向工作专班反馈一次进展情况".
    The unit confirms on the day it is told, so the 转办函 issues that day and the clocks read
    the same whichever of the two they count from (the test below counts from the 转办函)."""
    people = shantou(app, runner)
    office, handler = people["st-office"], people["st-handler"]
    enterprise = register_enterprise(
        app, day=date(2026, 9, 21), place="龙湖区", name="汕头市澄海玩具有限公司",
        mobile="13900000004", n=4,
    )  # fmt: skip
    with on(date(2026, 9, 28), 10):
        case = whistle(
            enterprise, level="city", case_type="complaint", category="1", title="检测收费不透明"
        )
    with on(date(2026, 9, 29), 9):
        office.step(case, "accept")
        lead = office.unit_option(case, "dispatch", "市市场监督管理局")
        office.step(case, "dispatch", lead=lead)
        shown = facts(office.case_page(office.client(), case))
    # 三(二): a city unit confirms within 1 working day.
    assert reload(case).sign_due == date(2026, 9, 30)
    assert written(date(2026, 9, 30)) in shown[NEXT_DUE]
    with on(date(2026, 9, 29), 15):
        handler.step(case, "sign")
        shown = facts(handler.case_page(handler.client(), case))
    case = reload(case)
    # 三(三): contact within 1 working day; a complaint in 3: 30 September, 8 and 9 October.
    assert (case.contact_due, case.finish_due) == (date(2026, 9, 30), date(2026, 10, 9))
    assert written(date(2026, 9, 30)) in shown[CONTACT_BY]
    assert written(date(2026, 10, 9)) in shown[FINISH_BY]
    with on(date(2026, 9, 30), 9):
        handler.step(case, "contact", method="phone", when=when(date(2026, 9, 30), 9))
    # 三(四): Thursday 8 October, the first Thursday after the dispatch, a report is owed.
    with on(date(2026, 10, 8), 10):
        page = handler.case_page(handler.client(), case)
        assert PROGRESS_DUE in page.text
        handler.step(case, "progress", text="已约谈检测机构，正在核查收费项目。")
        assert PROGRESS_DUE not in handler.case_page(handler.client(), case).text
    with on(date(2026, 10, 9), 16):
        handler.step(case, "reply", text="已责令检测机构公示收费标准并退还多收费用。")
    assert reload(case).review_due == date(2026, 10, 10)  # a make-up Saturday
    with on(date(2026, 10, 10), 9):
        office.step(case, "approve_reply")
    with on(date(2026, 10, 12), 9):
        assert rate(enterprise, case, level="satisfied") == ["satisfied", "unsatisfied"]
    assert reload(case).state is CaseState.RATED


def test_shantou_confirm_and_handling_clocks_follow_the_transfer_letter(app, runner):
    """汕头市 三(二)-(三), three rules of its clocks:

    1. "咨询类……1个工作日……意见建议类……2个工作日……涉企服务投诉事项应在3个工作日内办结反馈":
       a 业务办理 case gets a handling limit, or the whistle form does not offer the type;
    2. "拟承办单位在接到市工作专班通知后，需在1个工作日内（各功能区、区县可适当延长1个工作日）
       确认是否受理": the extra day follows the receiving unit's level (a 区县 unit told by the
       city's 专班), not the case's jurisdiction;
    3. "市工作专班在确定牵头单位及协办单位后……向承办单位发出《转办函》" and "承办单位接到《转办函》
       后，需在1个工作日内联系诉求企业……": the 转办函 issues once the unit has confirmed, and the
       contact and handling clocks start then, not at the office's notice.
    """
    people = shantou(app, runner)
    office, handler = people["st-office"], people["st-handler"]
    district_office = people["lh-office"]
    enterprise = register_enterprise(
        app, day=date(2026, 9, 21), place="龙湖区", name="汕头市澄海玩具有限公司",
        mobile="13900000004", n=4,
    )  # fmt: skip
    with on(date(2026, 9, 28), 10):
        told_late = whistle(
            enterprise,
            level="city",
            case_type="complaint",
            category="1",
            title="检测收费不透明",
            content="产品质量检测机构收费项目不公示，同一批次重复收费。",
        )
        to_district = whistle(
            enterprise,
            level="city",
            case_type="complaint",
            category="1",
            title="市场摊位收费",
            content="龙湖区农贸市场摊位管理费上涨三成，未见任何依据。",
        )
        offered = {
            i["value"]
            for i in soup(enterprise.client().get("/whistle")).select('input[name="case_type"]')
        }
        business = None
        if "business" in offered:
            business = whistle(
                enterprise,
                level="local",
                case_type="business",
                category="1",
                title="营业执照变更",
                content="公司迁址后需变更营业执照住所，想了解办理材料与时限。",
            )
    with on(date(2026, 9, 29), 9):
        for case, unit in (
            (told_late, "市市场监督管理局"),
            (to_district, "龙湖区 区市场监督管理局"),
        ):
            office.step(case, "accept")
            office.step(case, "dispatch", lead=office.unit_option(case, "dispatch", unit))
        if business is not None:
            district_office.step(business, "accept")
            lead = district_office.unit_option(business, "dispatch", "区市场监督管理局")
            district_office.step(business, "dispatch", lead=lead)
    # 1. A business case has a handling limit (where the form offers the type at all).
    if business is not None:
        assert reload(business).finish_due is not None
    # 2. A 区县 unit told on Tuesday 29 September confirms within 2 working days: the 8th.
    assert reload(to_district).sign_due == date(2026, 10, 8)
    # 3. Confirmed on 30 September: the 转办函 issues then; contact by the next working day
    #    (8 October), a complaint finished in 3 (8, 9, 10 October).
    with on(date(2026, 9, 30), 10):
        handler.step(told_late, "sign")
    told_late = reload(told_late)
    assert told_late.contact_due == date(2026, 10, 8)
    assert told_late.finish_due == date(2026, 10, 10)


# --------------------------------------------------------------------------- 海门 Haimen


def test_haimen_journey_across_national_day(app, runner):
    """海门区 (district, 2020) 三: "收到问题后，第一时间与企业联系核实" (一); "第一时间交办主办
    部门……主办部门对常规问题，3个工作日内给予答复……内容复杂……3个工作日内向企业作出初步答复，
    并在承诺的时间内办结" (二); "区服务企业办每天跟踪交办事项办理情况" (四)."""
    city, district = "320600", "320684"
    people = build(
        app,
        runner,
        day=date(2026, 9, 21),
        units={
            "辖区": [
                {"代码": city, "名称": "南通市", "层级": "市"},
                {"代码": district, "名称": "海门区", "层级": "区", "上级代码": city},
            ],
            "单位": units_sheet(
                district,
                ("区服务企业办", "领导小组办公室"),
                ("区工业和信息化局", "部门"),
                ("区市场监督管理局", "部门"),
            ),
            "人员": [
                staff(district, "区服务企业办", "hm-office", "办公室", "施磊"),
                staff(district, "区工业和信息化局", "hm-handler", "经办人", "季红"),
            ],
        },
        categories=[category(district, 1, "企业生产经营", "区工业和信息化局")],
        profile=("海门区", "haimen"),
    )
    office, handler = people["hm-office"], people["hm-handler"]
    enterprise = register_enterprise(
        app, day=date(2026, 9, 28), place="海门区", name="海门市叠石桥家纺有限公司",
        mobile="13900000005", n=5,
    )  # fmt: skip
    # Saturday 3 October, 20:00, in the holiday.
    with on(date(2026, 10, 3), 20):
        case = whistle(
            enterprise, level="local", case_type="business", category="1", title="双电源改造"
        )
    # 三(一) 第一时间: at once, which in the holiday is the first working day, the 8th.
    assert case.contact_due == date(2026, 10, 8)
    with on(date(2026, 10, 8), 9):
        shown = facts(office.case_page(office.client(), case))
        assert written(date(2026, 10, 8)) in shown[CONTACT_BY]
        office.step(case, "office_contact", method="phone", when=when(date(2026, 10, 8), 9))
        office.step(case, "accept")
        assert reload(case).dispatch_due == date(2026, 10, 8)  # 三(二) 第一时间交办
        lead = office.unit_option(case, "dispatch", "区工业和信息化局")
        office.step(case, "dispatch", lead=lead)
    case = reload(case)
    # 三(二): an answer in 3 working days: 9, 10 (make-up Saturday), 12; the unit's own
    # contact at once.
    assert (case.contact_due, case.finish_due) == (date(2026, 10, 8), date(2026, 10, 12))
    with on(date(2026, 10, 8), 14):
        handler.step(case, "sign")
        handler.step(case, "contact", method="visit", when=when(date(2026, 10, 8), 14))
    # 三(四): tracked every day — on the 9th the unit owes the day's progress.
    with on(date(2026, 10, 9), 10):
        assert PROGRESS_DUE in handler.case_page(handler.client(), case).text
        handler.step(case, "progress", text="已联系供电公司现场踏勘。")
        assert PROGRESS_DUE not in handler.case_page(handler.client(), case).text
    # 三(二): a complex matter — a preliminary reply on the 3rd working day with a
    # promised date, which becomes the finish date.
    with on(date(2026, 10, 12), 16):
        handler.step(case, "plan", text="需供电公司排期施工，初步答复企业", promised="2026-10-20")
        shown = facts(handler.case_page(handler.client(), case))
    assert reload(case).finish_due == date(2026, 10, 20)
    assert written(date(2026, 10, 20)) in shown[FINISH_BY]
    with on(date(2026, 10, 19), 15):
        handler.step(case, "reply", text="双电源改造已完成并通电。")
    assert reload(case).review_due == date(2026, 10, 20)
    with on(date(2026, 10, 20), 9):
        office.step(case, "approve_reply")
    with on(date(2026, 10, 21), 9):
        assert rate(enterprise, case, level="satisfied", solved="yes") == [
            "satisfied",
            "unsatisfied",
        ]
    case = reload(case)
    assert (case.state, case.rating_solved) == (CaseState.RATED, True)
