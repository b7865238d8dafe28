"""Full-coverage contact service (Dalu 大路街办发〔2021〕34号) through its pages: the liaison's
month, recording a contact with its problems (one forwarded to the office as a case), the
unit's own handling, coverage and the month's submission."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
import time_machine
from bs4 import BeautifulSoup
from sqlalchemy import event

from portal.domain import ledger
from portal.domain.models import (
    Case,
    CaseState,
    Channel,
    ContactMethod,
    ContactProblem,
    ContactRecord,
    EnterpriseKind,
    JurisdictionLevel,
    LedgerAmendment,
    LiaisonAssignment,
    Role,
    UnitKind,
)
from portal.extensions import db as _db
from tests import factories
from tests.conftest import csrf_from

NOW = datetime(2026, 11, 25, 4, tzinfo=UTC)  # noon in Beijing, a Wednesday


@pytest.fixture(autouse=True)
def frozen():
    """The portal's clock at NOW (moving on as the test runs), so "today" is known."""
    with time_machine.travel(NOW, tick=True):
        yield


def page(response) -> BeautifulSoup:
    return BeautifulSoup(response.text, "html.parser")


def login_user(client, user):
    token = csrf_from(client.get("/auth/login").text)
    assert (
        client.post(
            "/auth/login",
            data={
                "login": user.username or user.mobile,
                "password": factories.PASSWORD,
                "csrf_token": token,
            },
        ).status_code
        == 303
    )


def contact_form(client, enterprise, **fields):
    shown = client.get(f"/contacts/enterprises/{enterprise.id}/contact")
    assert shown.status_code == 200
    data = {
        "csrf_token": csrf_from(shown.text),
        "contacted_on": "2026-11-24",
        "method": "visit",
        "note": "",
    }
    data.update(fields)
    return client.post(f"/contacts/enterprises/{enterprise.id}/contact", data=data)


@pytest.fixture
def liaison_world(db, world):
    """The world's liaison (county 经发办, also the county's office) with two more
    enterprises; one of the three contacted this month already."""
    liaison = world.users["liaison"]
    more = [factories.enterprise(db.session, world.county, name=f"联系企业{n}") for n in range(2)]
    for e in more:
        e.created_at = NOW - timedelta(days=400)
        db.session.add(
            LiaisonAssignment(enterprise=e, unit=liaison.unit, user=liaison, assigned_at=NOW)
        )
    world.enterprise.created_at = NOW - timedelta(days=400)
    db.session.add(
        ContactRecord(
            enterprise=more[0],
            unit_id=liaison.unit_id,
            user=liaison,
            contacted_on=date(2026, 11, 3),
            method=ContactMethod.PHONE,
            created_at=NOW,
        )
    )
    db.session.commit()
    return more


class TestMyMonth:
    def test_the_month_lists_who_is_not_yet_contacted_first(
        self, client, db, world, liaison_world, login_as
    ):
        login_as("liaison")
        soup = page(client.get("/contacts/"))
        items = [li.text for li in soup.select("ul.enterprises li")]
        assert len(items) == 3
        assert "尚未联系" in items[0] and "尚未联系" in items[1]
        assert liaison_world[0].name in items[2] and "11月3日" in items[2]
        assert "已联系 1 家，共 3 家" in soup.text
        todo = page(client.get("/contacts/?only=todo")).select("ul.enterprises li")
        assert len(todo) == 2
        october = page(client.get("/contacts/?month=2026-10")).select("ul.enterprises li")
        assert all("尚未联系" in li.text for li in october)

    def test_a_bad_month_is_said_not_a_500(self, client, world, liaison_world, login_as):
        login_as("liaison")
        response = client.get("/contacts/?month=2026-13")
        assert response.status_code == 200
        assert "请选择月份，例如2026-11。" in response.text

    def test_the_page_sends_the_same_statements_for_3_or_30_enterprises(
        self, client, db, world, liaison_world, login_as
    ):
        login_as("liaison")

        def statements():
            seen = []

            def count(*_args):
                seen.append(1)

            event.listen(_db.engine, "before_cursor_execute", count)
            try:
                assert client.get("/contacts/").status_code == 200
            finally:
                event.remove(_db.engine, "before_cursor_execute", count)
            return len(seen)

        few = statements()
        for _n in range(27):
            e = factories.enterprise(db.session, world.county)
            db.session.add(
                LiaisonAssignment(
                    enterprise=e,
                    unit=world.users["liaison"].unit,
                    user=world.users["liaison"],
                    assigned_at=NOW,
                )
            )
        db.session.commit()
        assert statements() == few


class TestRecording:
    def test_a_contact_with_two_problems_one_forwarded(
        self, client, db, world, liaison_world, login_as
    ):
        login_as("liaison")
        form = page(client.get(f"/contacts/enterprises/{world.enterprise.id}/contact"))
        assert form.select_one('input[name="contacted_on"]')["value"] == "2026-11-25"
        response = contact_form(
            client,
            world.enterprise,
            method="talks",
            note="座谈了解经营情况",
            **{
                "problems-0-name": "招工难",
                "problems-0-content": "缺普工20人",
                "problems-1-name": "门前道路破损",
                "problems-1-content": "货车进出困难",
                "problems-1-forward": "y",
            },
        )
        assert response.status_code == 303
        contact = db.session.scalar(
            sa.select(ContactRecord).where(ContactRecord.enterprise_id == world.enterprise.id)
        )
        assert contact.method is ContactMethod.TALKS and contact.contacted_on == date(2026, 11, 24)
        own, forwarded = contact.problems
        assert own.case is None and forwarded.case is not None
        case = forwarded.case
        assert case.channel is Channel.LIAISON and case.enterprise is world.enterprise
        assert case.office is world.county_office and case.state is CaseState.SUBMITTED
        assert case.received_by is world.users["liaison"]
        # It waits on the office's desk.
        client.post("/auth/logout", data={"csrf_token": csrf_from(client.get("/contacts/").text)})
        login_user(client, world.county_office_user)
        assert case.number in client.get("/office/").text

    def test_bad_dates_are_explained_and_everything_kept(
        self, client, db, world, liaison_world, login_as
    ):
        login_as("liaison")
        future = contact_form(
            client,
            world.enterprise,
            contacted_on="2026-11-27",
            note="记下的话",
            **{"problems-0-name": "用电"},
        )
        assert future.status_code == 422
        soup = page(future)
        assert "联系时间不能晚于现在。" in soup.select_one("#contacted_on-error").text
        assert soup.select_one('textarea[name="note"]').text.strip() == "记下的话"
        assert soup.select_one('input[name="problems-0-name"]')["value"] == "用电"
        before = contact_form(client, world.enterprise, contacted_on="2025-01-01")
        assert "不能早于企业登记日期" in page(before).select_one("#contacted_on-error").text
        nameless = contact_form(
            client, world.enterprise, **{"problems-0-content": "只有内容没有名称"}
        )
        assert (
            "问题诉求1：请填写简短的名称。"
            in page(nameless).select_one("#problems-0-name-error").text
        )
        garbage = contact_form(client, world.enterprise, contacted_on="昨天")
        assert garbage.status_code == 422
        assert (
            db.session.scalar(
                sa.select(sa.func.count())
                .select_from(ContactRecord)
                .where(ContactRecord.enterprise_id == world.enterprise.id)
            )
            == 0
        )

    def test_every_wrong_field_is_told_at_once_beside_it(
        self, client, db, world, liaison_world, login_as
    ):
        """Issue 17 item 3: the day and each problem's missing parts in one pass."""
        login_as("liaison")
        response = contact_form(
            client,
            world.enterprise,
            contacted_on="2026-11-27",
            **{"problems-0-content": "只有内容", "problems-1-name": "只有名称"},
        )
        soup = page(response)
        assert "不能晚于现在" in soup.select_one("#contacted_on-error").text
        assert "问题诉求1" in soup.select_one("#problems-0-name-error").text
        assert "问题诉求2" in soup.select_one("#problems-1-content-error").text
        links = [a["href"] for a in soup.select(".error-summary a")]
        assert links == ["#contacted_on", "#problems-0-name", "#problems-1-content"]
        assert soup.select("details.problems[open]")  # what was typed stays in view

    def test_the_problem_slots_fold_away_for_a_plain_contact(
        self, client, world, liaison_world, login_as
    ):
        login_as("liaison")
        soup = page(client.get(f"/contacts/enterprises/{world.enterprise.id}/contact"))
        outer = soup.select_one("form details.problems")
        assert outer.select_one("summary").get_text(strip=True) == "添加问题诉求"
        assert not soup.select("details[open]")
        assert outer.find_next_sibling("button").get_text(strip=True) == "保存联系记录"

    def test_another_liaisons_enterprise_is_404(self, client, db, world, liaison_world):
        stranger = factories.user(db.session, Role.LIAISON, unit=world.department)
        db.session.commit()
        login_user(client, stranger)
        assert client.get(f"/contacts/enterprises/{world.enterprise.id}/contact").status_code == 404
        assert world.enterprise.name not in client.get("/contacts/").text

    def test_a_submitted_month_is_locked_and_corrections_are_amendments(
        self, client, db, world, liaison_world, login_as
    ):
        login_as("liaison")
        contact_form(
            client,
            world.enterprise,
            **{"problems-0-name": "用电", "problems-0-content": "电压不稳"},
        )
        coverage = client.get("/contacts/coverage?month=2026-11")
        response = client.post(
            "/contacts/submit", data={"csrf_token": csrf_from(coverage.text), "month": "2026-11"}
        )
        assert response.status_code == 303
        again = client.post(
            "/contacts/submit",
            data={"csrf_token": csrf_from(coverage.text), "month": "2026-11"},
            follow_redirects=True,
        )
        assert "2026-11的台帐已报送。" in again.text
        late = contact_form(client, liaison_world[1])
        assert (
            "2026-11的台帐已报送，不能再补录联系记录"
            in page(late).select_one("#contacted_on-error").text
        )
        problem = db.session.scalar(sa.select(ContactProblem))
        shown = client.get(f"/contacts/problems/{problem.id}")
        assert "登记为更正记录" in shown.text
        settled = client.post(
            f"/contacts/problems/{problem.id}",
            data={
                "csrf_token": csrf_from(shown.text),
                "finished_on": "2026-11-25",
                "outcome": "已联系供电所调压",
                "reason": "补登办结情况",
            },
        )
        assert settled.status_code == 303
        db.session.expire_all()
        assert problem.finished_on == date(2026, 11, 25)
        amendment = db.session.scalar(sa.select(LedgerAmendment))
        assert "已联系供电所调压" in amendment.what and "补登办结情况" in amendment.what


class TestCoverage:
    def test_coverage_per_unit_and_the_list_not_contacted(
        self, client, db, world, liaison_world, login_as
    ):
        login_as("liaison")
        soup = page(client.get("/contacts/coverage?month=2026-11"))
        row = soup.select_one("table tbody tr")
        cells = [td.text.strip() for td in row.select("td")]
        assert cells[1:3] == ["联系企业数：3", "已联系：1"] and cells[3].startswith("覆盖率：33 %")
        assert "尚未全部联系" in cells[3]  # from the 20th, below 100 % is flagged
        assert cells[4].startswith("尚未报送：应于2026年11月25日前报送")
        unit = world.users["liaison"].unit
        listing = page(client.get(f"/contacts/coverage?month=2026-11&unit={unit.id}"))
        names = [li.text for li in listing.select("ul.list li")]
        assert sorted(names) == sorted([world.enterprise.name, liaison_world[1].name])

    def test_the_office_sees_every_unit_of_its_jurisdiction(self, client, db, world, liaison_world):
        login_user(client, world.county_office_user)
        assert client.get("/contacts/coverage").status_code == 200
        assert world.users["liaison"].unit.name in client.get("/contacts/coverage").text

    def test_no_assignment_shows_a_dash_not_an_error(self, db, world):
        rows = ledger.coverage(db.session, [world.department.id], 2026, 11)
        assert rows[0].assigned == 0 and rows[0].percent is None


def test_forwarded_progress_flows_back_into_the_problem_row(
    client, db, world, liaison_world, login_as
):
    from portal.domain import workflow
    from portal.domain.calendar import WorkCalendar

    login_as("liaison")
    contact_form(
        client,
        world.enterprise,
        **{
            "problems-0-name": "门前道路破损",
            "problems-0-content": "请修路",
            "problems-0-forward": "y",
        },
    )
    case = db.session.scalar(sa.select(Case).where(Case.channel == Channel.LIAISON))
    office = world.county_office_user
    workflow.answer(
        db.session, WorkCalendar(), case, by=office, at=NOW, text="已转交交通部门，本月内修复。"
    )
    db.session.commit()
    listing = client.get("/contacts/problems").text
    assert case.number in listing and "待评价" in listing and "本月内修复" in listing


SECTION_FIELDS = ["填报科室", "填报人", "科室负责人", "分管领导", "填报时间"]  # 附件1, 附件3
VILLAGE_FIELDS = ["填报村（社区）", "填报人", "村（社区）书记", "填报时间"]  # 附件2, 附件4
MONTHLY_COLUMNS = [
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
]
PROBLEM_COLUMNS = [
    "序号",
    "企业名称",
    "问题诉求名称",
    "企业联络人员及电话",
    "部门联系服务人及电话",
    "具体内容",
    "办结时间",
    "办理情况",
]


def header_fields(header: str) -> list[str]:
    """The names of a sheet's header fields ("填报人：张三    填报时间：…"), in order."""
    return [part.split("：", 1)[0] for part in header.split("    ")]


def ledger_sheets(response):
    import io

    from openpyxl import load_workbook

    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment")
    book = load_workbook(io.BytesIO(response.data))
    assert book.sheetnames == ["月台帐", "问题诉求登载表"]
    return book["月台帐"], book["问题诉求登载表"]


def pdf_text(response, tmp_path) -> str:
    """The ledger PDF's text, once `pdffonts` shows the CJK font embedded and `pdfinfo` two
    A4 landscape pages (issue 6: "PDF (WeasyPrint, A4 landscape, CJK font embedded)")."""
    import shutil
    import subprocess

    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    path = tmp_path / "ledger.pdf"
    path.write_bytes(response.data)
    if shutil.which("pdffonts") is None:
        pytest.fail("pdffonts missing: run `make setup-test` (poppler-utils)")
    fonts = subprocess.run(
        ["pdffonts", str(path)], capture_output=True, text=True, check=True
    ).stdout
    assert "Noto-Sans-CJK-SC" in fonts
    assert all(
        line.split()[-5] == "yes" for line in fonts.splitlines()[2:] if "CJK" in line
    )  # the "emb" column
    pages = subprocess.run(
        ["pdfinfo", str(path)], capture_output=True, text=True, check=True
    ).stdout
    assert re.search(r"Pages:\s+2\n", pages)
    assert "841.89 x 595.276 pts (A4)" in pages  # landscape
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


class TestLedgers:
    @pytest.fixture
    def month_with_contacts(self, client, db, world, liaison_world, login_as):
        login_as("liaison")
        contact_form(
            client,
            world.enterprise,
            method="phone",
            **{
                "problems-0-name": "用电",
                "problems-0-content": "电压不稳",
                "problems-1-name": "门前道路破损",
                "problems-1-content": "请修路",
                "problems-1-forward": "y",
            },
        )
        unit = world.users["liaison"].unit
        unit.head_name, unit.leader_name, unit.leader_phone = "陈主任", "王建华", "0768-5810001"
        db.session.commit()
        return unit

    def test_the_xlsx_has_the_seeds_columns_in_order(self, client, db, world, month_with_contacts):
        """附件1 and 附件3 (科室): the seed's titles, header fields and columns in order."""
        monthly, problems = ledger_sheets(client.get("/contacts/ledger.xlsx?month=2026-11"))
        assert monthly["A1"].value == "“企业吹哨 部门报到”全覆盖联系服务企业月台帐情况表"
        assert problems["A1"].value == "“企业吹哨 部门报到”全覆盖联系服务企业解决问题诉求登载表"
        assert monthly["A2"].value == problems["A2"].value == "（科室）"
        assert [c.value for c in monthly[4]] == MONTHLY_COLUMNS
        header = monthly["A3"].value
        assert header_fields(header) == header_fields(problems["A3"].value) == SECTION_FIELDS
        for field in ("科室负责人：陈主任", "分管领导：王建华"):
            assert field in header
        earlier, row = [c.value for c in monthly[5]], [c.value for c in monthly[6]]
        assert earlier[:2] == [1, "联系企业0"] and earlier[7] == "2026-11-03"  # date order
        assert row[0] == 2 and row[1] == world.enterprise.name and row[2] == "中小微企业"
        assert row[5] == "王建华 0768-5810001" and row[7] == "2026-11-24"
        assert row[8] == "电话" and row[9] == 2
        assert monthly.cell(7, 1).value == "备注：企业行业类别为中小微企业、个体工商户。"
        assert [c.value for c in problems[4]] == PROBLEM_COLUMNS
        own, forwarded = [c.value for c in problems[5]], [c.value for c in problems[6]]
        assert own[2] == "用电" and own[7] == "办理中"
        assert forwarded[2] == "门前道路破损" and forwarded[7].startswith("已报送经发办（编号")

    def test_the_pdf_embeds_the_cjk_font(self, client, db, world, month_with_contacts, tmp_path):
        response = client.get("/contacts/ledger.pdf?month=2026-11")
        text = pdf_text(response, tmp_path)
        assert "全覆盖联系服务企业月台帐情况表" in text and "用电" in text

    def test_another_units_ledger_is_404_and_the_office_gets_all_units(
        self, client, db, world, month_with_contacts
    ):
        assert (
            client.get(
                f"/contacts/ledger.xlsx?month=2026-11&unit={world.department.id}"
            ).status_code
            == 404
        )
        assert client.get("/contacts/ledgers.xlsx?month=2026-11").status_code == 403
        client.post("/auth/logout", data={"csrf_token": csrf_from(client.get("/contacts/").text)})
        login_user(client, world.county_office_user)
        response = client.get("/contacts/ledgers.xlsx?month=2026-11")
        assert response.status_code == 200
        import io

        from openpyxl import load_workbook

        names = load_workbook(io.BytesIO(response.data)).sheetnames
        assert f"{month_with_contacts.name[:12]}-月台帐" in names


class TestVillageLedgers:
    """附件2 and 附件4: the same ledgers for a village or community committee (村（社区）)."""

    @pytest.fixture
    def village_month(self, client, db, world):
        village = factories.jurisdiction(
            db.session, name="石堰村", parent=world.county, level=JurisdictionLevel.VILLAGE
        )
        committee = factories.unit(
            db.session, village, name="石堰村委会", kind=UnitKind.VILLAGE_COMMITTEE
        )
        committee.head_name = "李书记"
        liaison = factories.user(db.session, Role.LIAISON, unit=committee)
        shop = factories.enterprise(
            db.session, village, name="石堰小卖部", kind=EnterpriseKind.INDIVIDUAL
        )
        shop.created_at = NOW - timedelta(days=400)
        db.session.add(
            LiaisonAssignment(enterprise=shop, unit=committee, user=liaison, assigned_at=NOW)
        )
        db.session.commit()
        login_user(client, liaison)
        assert (
            contact_form(
                client,
                shop,
                method="talks",
                **{
                    "problems-0-name": "招牌审批",
                    "problems-0-content": "门头招牌怎么报批",
                    "problems-1-name": "路灯不亮",
                    "problems-1-content": "村口路灯坏了",
                    "problems-1-forward": "y",
                },
            ).status_code
            == 303
        )
        return committee

    def test_the_xlsx_has_the_seeds_village_forms(self, client, village_month):
        monthly, problems = ledger_sheets(client.get("/contacts/ledger.xlsx?month=2026-11"))
        # 附件2 writes 台账, 附件1 台帐: each title as its seed prints it.
        assert monthly["A1"].value == "“企业吹哨 部门报到”全覆盖联系服务企业月台账情况表"
        assert problems["A1"].value == "“企业吹哨 部门报到”全覆盖联系服务企业解决问题诉求登载表"
        assert monthly["A2"].value == problems["A2"].value == "村（社区）"
        assert (
            header_fields(monthly["A3"].value)
            == header_fields(problems["A3"].value)
            == VILLAGE_FIELDS
        )
        assert "填报村（社区）：石堰村委会" in monthly["A3"].value
        assert "村（社区）书记：李书记" in problems["A3"].value
        assert [c.value for c in monthly[4]] == MONTHLY_COLUMNS
        assert [c.value for c in problems[4]] == PROBLEM_COLUMNS
        row = [c.value for c in monthly[5]]
        assert row[:3] == [1, "石堰小卖部", "个体工商户"] and row[4] == "石堰村委会"
        assert row[7] == "2026-11-24" and row[8] == "座谈" and row[9] == 2
        assert monthly.cell(6, 1).value == "备注：企业行业类别为中小微企业、个体工商户。"
        own, forwarded = [c.value for c in problems[5]], [c.value for c in problems[6]]
        assert own[:3] == [1, "石堰小卖部", "招牌审批"] and own[5] == "门头招牌怎么报批"
        assert forwarded[2] == "路灯不亮" and forwarded[7].startswith("已报送经发办（编号")
        assert problems.max_row == 6

    def test_the_pdf_embeds_the_cjk_font(self, client, village_month, tmp_path):
        text = pdf_text(client.get("/contacts/ledger.pdf?month=2026-11"), tmp_path)
        assert "全覆盖联系服务企业月台账情况表" in text and "台帐情况表" not in text
        assert "填报村（社区）：石堰村委会" in text and "村（社区）书记：李书记" in text
        assert "分管领导" not in text and "路灯不亮" in text


def test_the_ledger_stands_against_the_25th():
    """Dalu 二(二): "每月25日前报送经发办"; units below 100 % are reminded from the 20th."""

    def at(day, hour=4):
        return ledger.LedgerSubmission(submitted_at=datetime(2026, 11, day, hour, tzinfo=UTC))

    assert ledger.ledger_standing(2026, 11, None, date(2026, 11, 19)) == "open"
    assert ledger.ledger_standing(2026, 11, None, date(2026, 11, 20)) == "due_soon"
    assert ledger.ledger_standing(2026, 11, None, date(2026, 11, 25)) == "due_soon"
    assert ledger.ledger_standing(2026, 11, None, date(2026, 11, 26)) == "overdue"
    assert ledger.ledger_standing(2026, 11, at(25), date(2026, 12, 1)) == "on_time"
    # 25 Nov 17:00 UTC is already the 26th in Beijing: late.
    assert ledger.ledger_standing(2026, 11, at(25, 17), date(2026, 12, 1)) == "late"
    row = ledger.Coverage(None, assigned=3, contacted=2, submitted=None, year=2026, month=11)
    assert not row.needs_reminder(date(2026, 11, 19)) and row.needs_reminder(date(2026, 11, 20))
    full = ledger.Coverage(None, assigned=3, contacted=3, submitted=None, year=2026, month=11)
    assert not full.needs_reminder(date(2026, 11, 26))


def test_the_liaison_is_reminded_from_the_20th_and_sees_late_and_corrections(
    client, db, world, liaison_world, login_as
):
    login_as("liaison")
    reminder = page(client.get("/contacts/?month=2026-11")).select_one('[role="status"]')
    assert "本单位本月还有2家企业未联系" in reminder.text
    assert "应于2026年11月25日前报送" in reminder.text
    assert (
        re.search(r"台帐：\S", reminder.text) and "台帐： " not in reminder.text
    )  # one colon, no space
    with time_machine.travel(datetime(2026, 11, 27, 2, tzinfo=UTC), tick=True):
        client._cookies.clear()  # two days on, the old session has timed out
        login_as("liaison")
        contact_form(
            client,
            world.enterprise,
            **{"problems-0-name": "用电", "problems-0-content": "电压不稳"},
        )
        month = page(client.get("/contacts/?month=2026-11")).text
        assert "已逾期" in month
        coverage = client.get("/contacts/coverage?month=2026-11")
        assert (
            client.post(
                "/contacts/submit",
                data={"csrf_token": csrf_from(coverage.text), "month": "2026-11"},
            ).status_code
            == 303
        )
        problem = db.session.scalar(sa.select(ContactProblem))
        shown = client.get(f"/contacts/problems/{problem.id}")
        client.post(
            f"/contacts/problems/{problem.id}",
            data={
                "csrf_token": csrf_from(shown.text),
                "finished_on": "2026-11-27",
                "outcome": "已联系供电所调压",
                "reason": "补登办结情况",
            },
        )
        unit = world.users["liaison"].unit
        soup = page(client.get(f"/contacts/coverage?month=2026-11&unit={unit.id}"))
        assert "已超过报送期限" in soup.select_one("table tbody tr").text
        corrections = soup.find("h2", string="报送后的更正记录").find_next("ul").text
        assert "已联系供电所调压" in corrections and "补登办结情况" in corrections
