"""Full-coverage contact service (全覆盖联系服务, Dalu 大路街办发〔2021〕34号) from a 360 px phone,
with JavaScript on and off, through the pages only:

1. the town liaison (`liaison`, 庵埠镇经发办) opens its month, "尚未联系" first, and records
   three contacts on three enterprises (the first refused once, a problem without its
   具体内容), one with a problem forwarded to the office; the unit's problems list shows the
   forwarded one with its case number;
2. the town office (`anbu-office`) finds the forwarded case waiting for it ("待我办理") and
   opens it: its channel is the liaison (报送经发办);
3. the liaison opens the coverage page (3 contacted, the others listed as not yet) and
   downloads the month's ledger as .xlsx (the seed's two sheets and headers, the three
   contacts) and as PDF (the CJK font embedded, two pages, rendered to PNG under
   test-artifacts for a human to look at);
4. the town office imports an .xlsx into the enterprise registry (a plain multipart post:
   staff browse whole pages) and reads a row-by-row report: each row added, updated or
   refused with its reason.

The database is only read, to check what the pages did. Every page landed on passes axe (no
serious or critical violation) and fits the width.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
from openpyxl import Workbook, load_workbook
from playwright.sync_api import Page, expect

from portal.demo import utcnow
from portal.domain.calendar import local_date
from portal.domain.models import (
    Case,
    CaseState,
    Channel,
    ContactMethod,
    ContactRecord,
    Enterprise,
    EnterpriseKind,
    Jurisdiction,
    LiaisonAssignment,
    Role,
)
from tests.browser.conftest import ARTIFACTS, DEMO_PASSWORD, screenshot
from tests.browser.test_enterprise_flow import (  # noqa: F401  (domain: a fixture)
    domain,
    inspect,
    main_button,
    notice,
    path_is,
)
from tests.browser.test_smoke import HOME, open_login, sign_in
from tests.factories import credit_code

pytestmark = pytest.mark.browser

LIAISON, TOWN_OFFICE = "liaison", "anbu-office"
ROLE = {LIAISON: Role.LIAISON, TOWN_OFFICE: Role.OFFICE}
UNIT = "经发办"  # 庵埠镇经发办: the liaison's unit, and the town office's

# What the zh-CN pages say (portal/translations/zh_Hans_CN/LC_MESSAGES/messages.po).
RECORD_HEADING = "登记联系情况"
NOT_YET = "尚未联系"
FORWARD = "不属本单位职责：报送办公室作为诉求办理"
LIAISON_CHANNEL = "联系服务人报送"  # labels.py: Channel.LIAISON, "Forwarded by a liaison"
WAITING_FOR_ME = "待我办理"
SUBMITTED = "待受理"

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


def suffix(js: bool) -> str:
    return "js" if js else "nojs"


def today() -> date:
    """Today in Beijing, as the portal counts days."""
    return local_date(utcnow())


# -- signing in and out -------------------------------------------------------------------


def sign_in_as(page: Page, js: bool, check_accessibility, login: str) -> None:
    home, heading = HOME[ROLE[login]]
    open_login(page, js, check_accessibility)
    sign_in(page, login, DEMO_PASSWORD)
    expect(page).to_have_url(path_is(home))
    expect(page.locator("h1")).to_have_text(heading)
    inspect(page, js, check_accessibility)


def sign_out(page: Page, js: bool, check_accessibility) -> None:
    page.get_by_role("button", name="退出").click()
    expect(page).to_have_url(path_is("/auth/login"))
    inspect(page, js, check_accessibility)
    expect(page.get_by_role("button", name="退出")).to_have_count(0)


# -- 1: the liaison's month and three contacts ---------------------------------------------


@dataclass(frozen=True)
class Problem:
    name: str
    content: str
    forward: bool = False


@dataclass(frozen=True)
class Contact:
    method: str  # the radio's label
    note: str
    problems: tuple[Problem, ...] = ()


CONTACTS = (
    Contact(
        "电话",
        "电话了解本月生产经营情况。",
        (Problem("用电负荷不足", "新增窑炉后高峰期跳闸，请协调供电所增容。"),),
    ),
    Contact(
        "走访",
        "实地走访，与企业负责人面谈。",
        (
            Problem("厂区门前道路破损", "货车进出困难，雨天积水，不属镇经发办职责。", forward=True),
            Problem("招工难", "缺普工约20人，希望参加镇专场招聘会。"),
        ),
    ),
    Contact("座谈", "参加镇企业座谈会，无新问题。"),
)
FORWARDED = CONTACTS[1].problems[0]  # 不属本单位职责
METHODS = {"电话": ContactMethod.PHONE, "走访": ContactMethod.VISIT, "座谈": ContactMethod.TALKS}


def my_enterprises(page: Page):
    return page.locator("main ul.enterprises > li")


def expect_month(page: Page, done: int, total: int) -> None:
    month = f"{today():%Y-%m}"
    expect(page.locator("main")).to_contain_text(f"{month}已联系 {done} 家，共 {total} 家")
    items = my_enterprises(page)
    expect(items).to_have_count(total)
    # Those not yet contacted come first, each saying so; then those contacted.
    texts = items.all_inner_texts()
    assert [NOT_YET in t for t in texts] == [True] * (total - done) + [False] * done, texts
    assert all("已联系" in t for t in texts[total - done :]), texts


def problem_slot(page: Page, n: int):
    return page.get_by_role("group", name=f"问题诉求{n}", exact=True)


def fill_problem(page: Page, n: int, problem: Problem) -> None:
    slot = problem_slot(page, n)
    slot.get_by_label("问题诉求名称", exact=True).fill(problem.name)
    slot.get_by_label("具体内容", exact=True).fill(problem.content)
    if problem.forward:
        slot.get_by_label(FORWARD, exact=True).check()


def record_contact(
    page: Page,
    js: bool,
    check_accessibility,
    contact: Contact,
    shot: str,
    *,
    first_without_details: bool = False,
) -> tuple[str, int]:
    """From /contacts/, the first enterprise not yet contacted: open "登记联系情况", fill it
    in and save. Returns the enterprise's name and id; lands back on /contacts/.

    `first_without_details`: save once with the first problem's 具体内容 left out, read the
    refusal beside the problems, then complete it."""
    first = my_enterprises(page).first
    expect(first).to_contain_text(NOT_YET)
    link = first.get_by_role("link").first
    name = link.inner_text().strip()
    link.click()

    expect(page).to_have_url(re.compile(r"/contacts/enterprises/\d+/contact$"))
    enterprise_id = int(re.search(r"/enterprises/(\d+)/", page.url).group(1))
    expect(page.locator("h1")).to_have_text(RECORD_HEADING)
    expect(page.locator("main")).to_contain_text(name)
    inspect(page, js, check_accessibility)
    expect(page.get_by_label("联系时间")).to_have_value(today().isoformat())
    how = page.get_by_role("group", name="方式")
    expect(how.get_by_label("走访", exact=True)).to_be_checked()  # the default
    how.get_by_label(contact.method, exact=True).check()
    page.get_by_label("备注（选填）").fill(contact.note)
    expect(page.locator("#problems [role=group]")).to_have_count(3)  # three empty slots
    if first_without_details:
        named = contact.problems[0]
        fill_problem(page, 1, Problem(named.name, ""))
        main_button(page, "保存联系记录").click()
        problems = page.locator("#problems")
        expect(problems.locator(".error-message")).to_have_text(
            "错误： 问题诉求1：请填写具体内容。"
        )
        expect(problems).to_have_attribute("aria-describedby", "problems-error")
        expect(page).to_have_title(re.compile(r"^错误："))
        expect(page.locator("h1")).to_have_text(RECORD_HEADING)
        # Everything typed is kept.
        expect(
            page.get_by_role("group", name="方式").get_by_label(contact.method, exact=True)
        ).to_be_checked()
        expect(page.get_by_label("备注（选填）")).to_have_value(contact.note)
        expect(problem_slot(page, 1).get_by_label("问题诉求名称", exact=True)).to_have_value(
            named.name
        )
        inspect(page, js, check_accessibility)
        screenshot(page, f"contacts-{shot}-refused-{suffix(js)}")
    for n, problem in enumerate(contact.problems, start=1):
        fill_problem(page, n, problem)
    screenshot(page, f"contacts-{shot}-filled-{suffix(js)}")
    main_button(page, "保存联系记录").click()

    expect(page).to_have_url(path_is("/contacts/"))
    expect(notice(page)).to_contain_text(f"已登记与{name}的联系。")
    expect(page.locator("h1")).to_have_text("我联系的企业")
    inspect(page, js, check_accessibility)
    screenshot(page, f"contacts-{shot}-{suffix(js)}")
    return name, enterprise_id


def test_three_contacts_one_forwarded_to_the_office_and_the_month_ledger(
    page, js, check_accessibility, domain, tmp_path
):
    # 1. The liaison's month: nobody contacted yet.
    sign_in_as(page, js, check_accessibility, LIAISON)
    total = my_enterprises(page).count()
    assert total >= 3
    expect_month(page, 0, total)
    screenshot(page, f"contacts-month-{suffix(js)}")

    recorded: list[tuple[str, int]] = []
    number = None
    for n, contact in enumerate(CONTACTS, start=1):
        recorded.append(
            record_contact(
                page, js, check_accessibility, contact, f"contact{n}", first_without_details=n == 1
            )
        )
        shown = notice(page).inner_text()
        if any(p.forward for p in contact.problems):
            found = re.search(r"已报送办公室，事项编号(\S+?)。", shown)
            assert found, shown
            number = found.group(1)
        else:
            assert "已报送办公室" not in shown, shown
        expect_month(page, n, total)
    names = [name for name, _id in recorded]
    assert len(set(names)) == 3
    assert number is not None

    # What the pages did, read from the database.
    with domain.session() as session:
        for (name, enterprise_id), contact in zip(recorded, CONTACTS):
            (record,) = session.scalars(
                sa.select(ContactRecord).where(ContactRecord.enterprise_id == enterprise_id)
            ).all()
            assert record.enterprise.name == name
            assert record.contacted_on == today() and record.method is METHODS[contact.method]
            assert record.note == contact.note and record.user.username == LIAISON
            assert [(p.name, p.content, p.case is not None) for p in record.problems] == [
                (p.name, p.content, p.forward) for p in contact.problems
            ]
        case = session.scalar(sa.select(Case).where(Case.number == number))
        assert case.channel is Channel.LIAISON and case.state is CaseState.SUBMITTED
        assert case.title == FORWARDED.name and case.content == FORWARDED.content
        assert case.enterprise_id == recorded[1][1] and case.applicant_name == names[1]
        assert case.office.name == UNIT and case.office.jurisdiction.name == "庵埠镇"

    # The unit's problems: the forwarded one follows its case, the others wait to be settled.
    page.get_by_role("link", name="本单位收集的问题诉求").click()
    expect(page).to_have_url(path_is("/contacts/problems"))
    expect(page.locator("h1")).to_have_text("问题诉求登载")
    listed = page.locator("main ul.list > li")
    expect(listed).to_have_count(3)
    expect(listed.filter(has_text=FORWARDED.name)).to_contain_text(
        f"已报送办公室，事项编号{number}：{SUBMITTED}"
    )
    for problem in (CONTACTS[0].problems[0], CONTACTS[1].problems[1]):
        expect(
            listed.filter(has_text=problem.name).get_by_role("link", name="登记办理情况")
        ).to_be_visible()
    inspect(page, js, check_accessibility)
    screenshot(page, f"contacts-problems-{suffix(js)}")

    # 2. The town office finds it waiting for it, and opens it.
    sign_out(page, js, check_accessibility)
    sign_in_as(page, js, check_accessibility, TOWN_OFFICE)
    expect(page.get_by_role("group", name="显示").get_by_label(WAITING_FOR_ME)).to_be_checked()
    row = page.locator("main table.queue tbody tr").filter(has_text=number)
    expect(row).to_have_count(1)
    expect(row).to_contain_text(FORWARDED.name)
    expect(row).to_contain_text(names[1])
    expect(row).to_contain_text(SUBMITTED)
    screenshot(page, f"contacts-office-queue-{suffix(js)}")
    row.get_by_role("link", name=number).click()
    expect(page).to_have_url(path_is(f"/office/cases/{number}"))
    expect(page.locator("h1")).to_have_text(FORWARDED.name)
    facts = page.locator("main p.hint").filter(has_text="事项编号")
    expect(facts).to_contain_text(number)
    expect(facts).to_contain_text(LIAISON_CHANNEL)
    expect(page.locator("#status-title")).to_contain_text(SUBMITTED)
    expect(page.locator("main")).to_contain_text(FORWARDED.content)
    inspect(page, js, check_accessibility)
    screenshot(page, f"contacts-office-case-{suffix(js)}")

    # 3. The liaison downloads the month's ledger from the coverage page.
    sign_out(page, js, check_accessibility)
    sign_in_as(page, js, check_accessibility, LIAISON)
    page.get_by_role("link", name="联系覆盖率及月台帐").click()
    expect(page).to_have_url(path_is("/contacts/coverage"))
    month = f"{today():%Y-%m}"
    expect(page.locator("h1")).to_have_text(f"{month}联系覆盖情况")
    inspect(page, js, check_accessibility)
    screenshot(page, f"contacts-coverage-{suffix(js)}")
    unit_row = page.locator("main table tbody tr").filter(has_text=UNIT)
    expect(unit_row).to_have_count(1)
    # Each cell names itself (联系企业数：…) where the phone stacks the table's cells.
    expect(unit_row.locator("td").nth(1)).to_have_text(f"联系企业数：{total}")  # assigned
    expect(unit_row.locator("td").nth(2)).to_have_text("已联系：3")  # this month
    # The unit's name opens the list of those not yet contacted.
    unit_row.get_by_role("link", name=UNIT, exact=True).click()
    expect(page).to_have_url(re.compile(r"/contacts/coverage\?month=[\d-]+&unit=\d+$"))
    missing = page.locator("main h2:has-text('尚未联系') + ul.list > li")
    expect(missing).to_have_count(total - 3)
    for name in names:
        expect(missing.filter(has_text=name)).to_have_count(0)
    inspect(page, js, check_accessibility)
    unit_row = page.locator("main table tbody tr").filter(has_text=UNIT)

    xlsx = download(page, unit_row.get_by_role("link", name=re.compile(r"^Excel表")), tmp_path)
    assert xlsx.suffix == ".xlsx" and xlsx.name.startswith(f"{UNIT}{today().year}年")
    check_workbook(xlsx, recorded, number)
    pdf = download(page, unit_row.get_by_role("link", name=re.compile(r"^PDF")), tmp_path)
    assert pdf.suffix == ".pdf" and pdf.read_bytes().startswith(b"%PDF")
    check_pdf(pdf, f"contacts-ledger-{suffix(js)}")
    # A download leaves the page where it was.
    expect(page).to_have_url(re.compile(r"/contacts/coverage\?month=[\d-]+&unit=\d+$"))
    inspect(page, js, check_accessibility)


# -- 3: the month's ledger ------------------------------------------------------------------


def download(page: Page, link, folder: Path) -> Path:
    with page.expect_download() as info:
        link.click()
    got = info.value
    assert got.failure() is None, got.failure()
    path = folder / got.suggested_filename
    got.save_as(path)
    return path


def check_workbook(path: Path, recorded: list[tuple[str, int]], number: str) -> None:
    book = load_workbook(path)
    assert book.sheetnames == ["月台帐", "问题诉求登载表"]
    monthly, problems = book["月台帐"], book["问题诉求登载表"]
    assert tuple(c.value for c in monthly[4]) == MONTHLY_COLUMNS
    assert tuple(c.value for c in problems[4]) == PROBLEM_COLUMNS

    rows = [[c.value for c in monthly[r]] for r in range(5, 5 + len(CONTACTS))]
    assert [r[0] for r in rows] == [1, 2, 3]
    assert [r[1] for r in rows] == [name for name, _id in recorded]  # in the order recorded
    for row, contact in zip(rows, CONTACTS):
        assert row[4] == UNIT and row[6].startswith("许丽娜")  # the liaison
        assert row[7] == today().isoformat() and row[8] == contact.method
        assert row[9] == len(contact.problems)
    assert monthly.cell(5 + len(CONTACTS), 1).value.startswith("备注：")

    collected = [(name, p) for (name, _id), c in zip(recorded, CONTACTS) for p in c.problems]
    rows = [[c.value for c in problems[r]] for r in range(5, 5 + len(collected))]
    assert [r[0] for r in rows] == list(range(1, len(collected) + 1))
    for row, (name, problem) in zip(rows, collected):
        assert (row[1], row[2], row[5]) == (name, problem.name, problem.content)
        if problem.forward:
            assert row[7] == f"已报送经发办（编号{number}），{SUBMITTED}", row[7]
        else:
            assert row[7] == "办理中", row[7]
    assert problems.cell(5 + len(collected), 1).value is None  # nothing more


def check_pdf(path: Path, shot: str) -> None:
    fonts = subprocess.run(
        ["pdffonts", str(path)], capture_output=True, text=True, check=True
    ).stdout
    cjk = [line for line in fonts.splitlines()[2:] if "Noto-Sans-CJK" in line]
    assert cjk, fonts
    assert all(line.split()[-5] == "yes" for line in cjk), fonts  # the "emb" column
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for old in ARTIFACTS.glob(f"{shot}-*.png"):
        old.unlink()
    subprocess.run(["pdftoppm", "-png", "-r", "60", str(path), str(ARTIFACTS / shot)], check=True)
    pages = sorted(ARTIFACTS.glob(f"{shot}-*.png"))
    assert [p.name for p in pages] == [f"{shot}-1.png", f"{shot}-2.png"], pages


# -- 4: importing into the registry ---------------------------------------------------------

HEADER = [
    "企业名称",
    "统一社会信用代码",
    "企业类别",
    "行业",
    "地址",
    "联系人",
    "联系电话",
    "所在村（社区）",
]
NEW_CODE = credit_code(8801)
NEW = "潮州市庵埠新悦包装材料有限公司"
SHOP = "庵埠镇文里阿香糖水铺"
BAD_CODE = "91445100MA0000000X"


def spreadsheet(path: Path, update_code: str) -> Path:
    book = Workbook()
    sheet = book.active
    for row in (
        HEADER,
        [NEW, NEW_CODE, "中小微企业", "包装印刷", "庵埠镇梅溪路8号", "陈先生", "13866668888", ""],
        [SHOP, "", "个体工商户", "餐饮", "文里社区3号", "林阿香", "0768-5812345", "庵埠镇文里社区"],
        ["坏码公司", BAD_CODE, "中小微企业", "", "", "", "", ""],
        ["外资示范公司", "", "外资企业", "", "", "", "", ""],
        ["", "", "中小微企业", "五金", "庵埠镇某路", "", "", ""],
        [
            "潮州市福源陶瓷有限公司",
            update_code,
            "规上工业",
            "陶瓷制造",
            "",
            "王福源",
            "13800000001",
            "",
        ],
    ):
        sheet.append(row)
    book.save(path)
    return path


def test_town_office_imports_a_spreadsheet_and_reads_every_row(
    page, js, check_accessibility, domain, tmp_path
):
    with domain.session() as session:
        update_code = session.scalar(
            sa.select(Enterprise.credit_code).where(Enterprise.name == "潮州市福源陶瓷有限公司")
        )
        before = session.scalar(sa.select(sa.func.count()).select_from(Enterprise))
    assert update_code
    path = spreadsheet(tmp_path / "庵埠镇企业名单.xlsx", update_code)

    sign_in_as(page, js, check_accessibility, TOWN_OFFICE)
    page.locator("header").get_by_role("link", name="企业库").click()
    expect(page).to_have_url(path_is("/contacts/registry"))
    expect(page.locator("h1")).to_have_text("企业库")
    inspect(page, js, check_accessibility)
    page.locator("main").get_by_role("link", name="导入表格").click()
    expect(page).to_have_url(path_is("/contacts/registry/import"))
    expect(page.locator("h1")).to_have_text("导入表格")
    inspect(page, js, check_accessibility)

    # Without a file: said beside the field.
    main_button(page, "导入").click()
    expect(page.locator("main .field--error")).to_contain_text("请选择文件。")
    expect(page).to_have_title(re.compile(r"^错误："))
    inspect(page, js, check_accessibility)

    page.get_by_label("表格文件（.xlsx或.csv）").set_input_files(path)
    with page.expect_request(
        lambda r: r.method == "POST" and r.url.endswith("/contacts/registry/import")
    ) as posted:
        main_button(page, "导入").click()
    headers = posted.value.headers
    assert headers["content-type"].startswith("multipart/form-data"), headers
    assert headers.get("hx-request") is None, headers  # staff pages are not boosted
    expect(page).to_have_url(path_is("/contacts/registry/import"))
    report = page.locator("main section").filter(has=page.get_by_role("heading", name="导入结果"))
    expect(report).to_contain_text("新增2家，更新1家，未导入3行。")
    rows = report.locator("table tbody tr")
    expect(rows).to_have_count(6)
    got = [
        [" ".join(cell.split()) for cell in row.locator("td").all_inner_texts()]
        for row in rows.all()
    ]
    assert got == [
        ["2", NEW, "已新增"],
        ["3", SHOP, "已新增"],
        [
            "4",
            "坏码公司",
            f"未导入： 统一社会信用代码{BAD_CODE}无效（请核对18位代码及最后一位校验码）。",
        ],
        [
            "5",
            "外资示范公司",
            "未导入： 企业类别“外资企业”无法识别：请填写规上工业、四上企业、中小微企业或个体工商户。",  # noqa: E501
        ],
        ["6", "", "未导入： 企业名称为空。"],
        ["7", "潮州市福源陶瓷有限公司", "已更新"],
    ], got
    expect(page.locator("main .field--error")).to_have_count(0)
    inspect(page, js, check_accessibility)
    screenshot(page, f"contacts-registry-imported-{suffix(js)}")

    with domain.session() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Enterprise)) == before + 2
        new = session.scalar(sa.select(Enterprise).where(Enterprise.name == NEW))
        assert new.credit_code == NEW_CODE and new.kind is EnterpriseKind.SME
        assert new.jurisdiction.name == "庵埠镇" and new.contact_phone == "13866668888"
        shop = session.scalar(sa.select(Enterprise).where(Enterprise.name == SHOP))
        assert shop.kind is EnterpriseKind.INDIVIDUAL and shop.credit_code is None
        assert shop.jurisdiction.name == "庵埠镇文里社区"
        for refused in ("坏码公司", "外资示范公司"):
            assert session.scalar(sa.select(Enterprise).where(Enterprise.name == refused)) is None
        updated = session.scalar(sa.select(Enterprise).where(Enterprise.credit_code == update_code))
        assert updated.contact_name == "王福源" and updated.jurisdiction.name == "庵埠镇"


# -- 5: the assignment rules --------------------------------------------------------------


def test_town_office_adds_a_rule_with_a_mistake_then_applies_it(
    page, js, check_accessibility, domain
):
    """Dalu's table on the page that lists it: a rule added before the catch-all; empty words
    said beside the field with what was typed kept; the next run of the rules uses it."""
    sign_in_as(page, js, check_accessibility, TOWN_OFFICE)
    page.goto("/contacts/registry/rules")
    expect(page.locator("h1")).to_have_text("联系分工规则")
    inspect(page, js, check_accessibility)
    added = page.locator("#add-rule")
    added.get_by_label("规则内容").fill("应急办负责汽修厂")
    added.get_by_label("顺序").fill("1")
    added.get_by_label("单位").select_option(label="应急办")
    added.get_by_role("button", name="添加规则").click()
    added = page.locator("#add-rule")
    expect(added.locator(".field--error")).to_contain_text("请填写本规则查找的行业关键词")
    expect(added.get_by_label("规则内容")).to_have_value("应急办负责汽修厂")
    expect(page).to_have_title(re.compile(r"^错误："))
    inspect(page, js, check_accessibility)
    screenshot(page, f"contacts-rules-error-{suffix(js)}")
    added.get_by_label("行业关键词").fill("汽修、汽车维修")
    added.get_by_role("button", name="添加规则").click()
    expect(page.locator("main ol.rules > li").first).to_contain_text("应急办负责汽修厂")
    inspect(page, js, check_accessibility)
    with domain.session() as session:
        town = session.scalar(
            sa.select(Enterprise).where(Enterprise.name == "潮州市福源陶瓷有限公司")
        ).jurisdiction
        garage = Enterprise(
            name="庵埠汽修厂",
            kind=EnterpriseKind.SME,
            industry="汽车维修",
            jurisdiction=town,
            created_at=utcnow(),
        )
        session.add(garage)
        session.commit()
    page.get_by_role("button", name="按规则分配").click()
    expect(page.get_by_text(re.compile(r"已按规则分配\d+家企业。"))).to_be_visible()
    with domain.session() as session:
        garage = session.scalar(sa.select(Enterprise).where(Enterprise.name == "庵埠汽修厂"))
        assert garage.liaison.unit.name == "应急办"


# -- 6: a place's enterprises reassigned at once --------------------------------------------


def test_town_office_reassigns_a_communitys_enterprises_after_confirming(
    page, js, check_accessibility, domain
):
    sign_in_as(page, js, check_accessibility, TOWN_OFFICE)
    page.goto("/contacts/registry")
    page.get_by_label("镇街、村（社区）").select_option(label="庵埠镇文里社区")
    page.get_by_role("button", name="搜索").click()
    expect(page.get_by_label("镇街、村（社区）")).to_have_value(re.compile(r"\d+"))
    inspect(page, js, check_accessibility)
    with domain.session() as session:
        place = session.scalar(
            sa.select(Jurisdiction.id).where(Jurisdiction.name == "庵埠镇文里社区")
        )
        expected = session.scalar(
            sa.select(sa.func.count())
            .select_from(Enterprise)
            .where(Enterprise.jurisdiction_id == place)
        )
    assert expected
    page.get_by_label("本次搜索找到的全部企业（含各页）").check()
    page.get_by_label("单位", exact=True).select_option(label="文里社区居委会")
    page.get_by_label("联系服务人（选填）").select_option(label="蔡秀英（文里社区居委会）")
    main_button(page, "重新分配").click()
    expect(page.locator("h1")).to_have_text("重新分配搜索到的企业")
    expect(page.locator("main")).to_contain_text("地点：庵埠镇文里社区")
    inspect(page, js, check_accessibility)
    screenshot(page, f"contacts-registry-bulk-confirm-{suffix(js)}")
    confirm = page.get_by_role("button", name=re.compile(r"^重新分配\d+家企业$"))
    changing = int(re.search(r"\d+", confirm.inner_text()).group())
    confirm.click()
    expect(page.get_by_text(f"已重新分配{changing}家企业。")).to_be_visible()
    with domain.session() as session:
        holders = session.scalars(
            sa.select(LiaisonAssignment).join(Enterprise).where(Enterprise.jurisdiction_id == place)
        ).all()
        assert len(holders) == expected
        assert {(h.unit.name, h.user.name) for h in holders} == {("文里社区居委会", "蔡秀英")}
