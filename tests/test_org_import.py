"""Bulk set-up from spreadsheets (issue 16 item 2): the templates' Chinese headers, a dry run
that reports every row with its sheet, row and column, nothing written until the whole file
is clean, and a second import of the same file that changes nothing."""

from __future__ import annotations

import io

import sqlalchemy as sa
from openpyxl import Workbook, load_workbook

from portal.domain import org_import
from portal.domain.models import AuditLog, Category, Jurisdiction, OrgUnit, Role, User
from tests import factories


def workbook(sheets: dict[str, list[list]]) -> bytes:
    book = Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        sheet.append(list(org_import.SHEETS[name]))
        for row in rows:
            sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


CHENGKOU_UNITS = {
    "辖区": [["500229", "城口县", "县", ""], ["500229100", "葛城街道", "街道", "500229"]],
    "单位": [
        ["500229", "县“企业吹哨·部门报到”工作专班", "办公室", "", "张专班", "023-59221234"],
        ["500229", "县发展改革委", "部门", "", "李主任"],
        ["500229", "县经济信息委", "部门"],
        ["500229", "县政府督查室", "督查室"],
        ["500229100", "葛城街道经发办", "经发办"],
    ],
    "人员": [
        ["500229", "县“企业吹哨·部门报到”工作专班", "王专班", "ck-office", "办公室"],
        ["500229", "县发展改革委", "赵经办", "ck-handler", "经办人"],
        ["500229", "县政府督查室", "钱督查", "ck-inspector", "督查"],
    ],
}


def run(db, data: bytes, *, dry_run: bool):
    report = org_import.import_workbook(
        db.session,
        org_import.read_workbook(data),
        by=None,
        at=factories.now(),
        dry_run=dry_run,
    )
    db.session.commit()
    return report


def count(db, model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_the_templates_have_the_chinese_headers(db):
    units = load_workbook(io.BytesIO(org_import.template("units")))
    assert units.sheetnames == ["辖区", "单位", "人员", "说明"]
    assert [c.value for c in units["单位"][1]][:3] == ["辖区代码", "单位名称", "类型"]
    categories = load_workbook(io.BytesIO(org_import.template("categories")))
    assert [c.value for c in categories["类别"][1]] == list(org_import.SHEETS["类别"])


def test_a_dry_run_reports_every_row_and_writes_nothing(db):
    data = workbook(CHENGKOU_UNITS)
    report = run(db, data, dry_run=True)
    assert report.clean and not report.written
    assert [(r.sheet, r.row, r.outcome) for r in report.rows][:3] == [
        ("辖区", 2, "added"),
        ("辖区", 3, "added"),
        ("单位", 2, "added"),
    ]
    assert len(report.rows) == 10 and report.passwords == []
    assert count(db, Jurisdiction) == 0 and count(db, User) == 0 and count(db, AuditLog) == 0


def test_one_bad_cell_keeps_the_whole_file_out_and_says_where(db):
    bad = {
        **CHENGKOU_UNITS,
        "单位": [*CHENGKOU_UNITS["单位"], ["500229", "县财政局", "财务科"]],
        "人员": [*CHENGKOU_UNITS["人员"], ["500229", "县教委", "孙老师", "ck-teacher", "经办人"]],
    }
    report = run(db, workbook(bad), dry_run=False)
    assert not report.written
    errors = [(r.sheet, r.row, r.column) for r in report.rows if r.outcome == "error"]
    assert errors == [("单位", 7, "类型"), ("人员", 5, "单位名称")]
    [unknown] = [r for r in report.rows if r.column == "单位名称"]
    assert unknown.message % unknown.params == "城口县 has no unit named 县教委."
    assert count(db, Jurisdiction) == 0 and count(db, OrgUnit) == 0 and count(db, User) == 0


def test_importing_writes_then_the_same_file_changes_nothing(db):
    data = workbook(CHENGKOU_UNITS)
    report = run(db, data, dry_run=False)
    assert report.written and report.count("added") == 10
    assert [u for u, _p in report.passwords] == ["ck-office", "ck-handler", "ck-inspector"]
    office = db.session.scalar(sa.select(User).where(User.username == "ck-office"))
    assert (office.role, office.unit.name, office.must_change_password) == (
        Role.OFFICE,
        "县“企业吹哨·部门报到”工作专班",
        True,
    )
    street = db.session.scalar(sa.select(Jurisdiction).where(Jurisdiction.code == "500229100"))
    assert street.parent.name == "城口县"
    audited = count(db, AuditLog)
    again = run(db, data, dry_run=False)
    assert again.written and {r.outcome for r in again.rows} == {"unchanged"}
    assert count(db, AuditLog) == audited and again.passwords == []
    categories = workbook(
        {
            "类别": [
                ["500229", "1", "政务服务协调", "行政审批、用地规划……", "", "县发展改革委"],
                [
                    "500229",
                    "2",
                    "要素保障协调",
                    "",
                    "",
                    "县经济信息委",
                    "县发展改革委、县政府督查室",
                ],
            ]
        }
    )
    assert run(db, categories, dry_run=False).count("added") == 2
    second = db.session.scalar(sa.select(Category).where(Category.number == 2))
    assert [u.name for u in second.co_handlers] == ["县发展改革委", "县政府督查室"]
    assert {r.outcome for r in run(db, categories, dry_run=False).rows} == {"unchanged"}


def test_a_missing_header_is_named(db):
    book = Workbook()
    sheet = book.active
    sheet.title = "单位"
    sheet.append(["辖区代码", "类型"])
    sheet.append(["500229", "部门"])
    out = io.BytesIO()
    book.save(out)
    report = run(db, out.getvalue(), dry_run=True)
    [row] = report.rows
    assert (row.row, row.column, row.outcome) == (1, "单位名称", "error")


def test_the_cli_imports_and_dry_runs(db, runner, tmp_path):
    path = tmp_path / "chengkou.xlsx"
    path.write_bytes(workbook(CHENGKOU_UNITS))
    dry = runner.invoke(args=["org", "import", str(path), "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "辖区 row 2 城口县: added" in dry.output and "dry run, nothing written" in dry.output
    done = runner.invoke(args=["org", "import", str(path)])
    assert done.exit_code == 0 and "one-time password for ck-office" in done.output
    again = runner.invoke(args=["org", "import", str(path)])
    assert "written: 0 added, 0 changed, 10 unchanged, 0 error" in again.output
    template = tmp_path / "t.xlsx"
    assert runner.invoke(args=["org", "template", "categories", str(template)]).exit_code == 0
    assert load_workbook(template).sheetnames == ["类别", "说明"]


def test_the_import_page_dry_runs_then_writes(client, db, world, login_as):
    from bs4 import BeautifulSoup

    from tests.conftest import csrf_from

    login_as("admin")
    page = client.get("/admin/import")
    token = csrf_from(page.text)
    template = client.get("/admin/import/units.xlsx")
    assert template.status_code == 200 and "attachment" in template.headers["Content-Disposition"]
    assert load_workbook(io.BytesIO(template.data)).sheetnames == ["辖区", "单位", "人员", "说明"]
    data = workbook(CHENGKOU_UNITS)

    def post(**extra):
        return client.post(
            "/admin/import",
            data={"csrf_token": token, "file": (io.BytesIO(data), "ck.xlsx"), **extra},
            content_type="multipart/form-data",
        )

    dry = BeautifulSoup(post(dry_run="y").text, "html.parser")
    assert "试导入：所有行均无误，未写入。" in dry.text
    assert "辖区 · 第 2 行" in dry.select_one("table.report").text
    assert db.session.scalar(sa.select(Jurisdiction).where(Jurisdiction.code == "500229")) is None
    done = BeautifulSoup(post().text, "html.parser")
    assert "已写入。" in done.text and "ck-office" in done.select_one("ul.list").text
    assert db.session.scalar(sa.select(Jurisdiction).where(Jurisdiction.code == "500229"))
    missing = client.post("/admin/import", data={"csrf_token": token})
    assert missing.status_code == 422
    assert BeautifulSoup(missing.text, "html.parser").select_one("#file-error")
