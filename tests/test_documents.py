"""The case documents as PDF (issue 7): each form renders on A4 with the CJK font embedded
and the case's values in it; access exactly as the case pages; the enterprise's forms hold
no internal note; every download is audited."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest
import sqlalchemy as sa
import time_machine
from bs4 import BeautifulSoup

from portal.domain import workflow
from portal.domain.calendar import WorkCalendar
from portal.domain.models import AuditLog, RatingLevel
from tests import factories
from tests.conftest import csrf_from

CAL = WorkCalendar()
INTERNAL = "内部意见：先核实用地红线"  # a progress note kept from the enterprise
INSTRUCTION = "请会同自然资源局现场核实"  # the office's 转办意见 to the department
REPLY = "已协调用工招聘会，企业招到工人30名。"
COMMENT = "办事高效，感谢"
STAFF_DOCUMENTS = (
    "registration",
    "approval-form",
    "transfer-letter",
    "assignment-slip",
    "handling-form",
    "evaluation",
)


def pdf_text(tmp_path, data: bytes, name: str = "doc") -> str:
    """The PDF's text (pdftotext), after checking it is A4 with the CJK font embedded."""
    for tool in ("pdffonts", "pdftotext", "pdfinfo"):
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} missing: run `make setup-test` (poppler-utils)")
    assert data.startswith(b"%PDF")
    path = tmp_path / f"{name}.pdf"
    path.write_bytes(data)
    fonts = subprocess.run(
        ["pdffonts", str(path)], capture_output=True, text=True, check=True
    ).stdout
    cjk = [line for line in fonts.splitlines()[2:] if "CJK" in line]
    assert cjk and all(line.split()[-5] == "yes" for line in cjk), fonts  # the "emb" column
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    assert "595.276 x 841.89 pts (A4)" in info, info
    text = subprocess.run(
        ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    return re.sub(r"\s+", "", text)  # a value may wrap inside its cell


@pytest.fixture
def handled(db, world):
    """A case through its whole life: registered with the enterprise's address, accepted,
    sent for a leader's approval (呈批) with a co-handler, approved, signed, contacted on a
    visit, an internal progress note, replied, published, rated satisfied, called back."""
    s, office, handler = db.session, world.users["office"], world.users["handler"]
    world.enterprise.address = "测试市枫溪区陶瓷路8号"
    handler.phone = "0768-2201111"
    case = factories.case(
        s, world.city, enterprise=world.enterprise, title="招工难求协调", by=office
    )
    t = factories.now()
    workflow.accept(s, CAL, case, by=office, at=t)
    workflow.dispatch(
        s,
        CAL,
        case,
        by=office,
        at=t,
        lead=world.department,
        co=[world.other_department],
        note=INSTRUCTION,
        needs_approval=True,
    )
    workflow.approve_dispatch(s, CAL, case, by=world.users["leader"], at=t, note="同意转办")
    workflow.sign(s, case, by=handler, at=t)
    workflow.contact(s, case, by=handler, at=t, method="visit", when=t, note="")
    workflow.progress(s, case, by=handler, at=t, text=INTERNAL, visible=False)
    workflow.reply(s, CAL, case, by=handler, text=REPLY, at=t)
    workflow.approve_reply(s, CAL, case, by=office, at=t)
    workflow.rate(
        s,
        CAL,
        case,
        by=world.users["enterprise"],
        level=RatingLevel.SATISFIED,
        solved=True,
        comment=COMMENT,
        at=t,
    )
    workflow.callback(
        s,
        CAL,
        case,
        by=office,
        at=t,
        method="phone",
        outcome="reached",
        level=RatingLevel.SATISFIED,
        solved=True,
        note="回访确认已解决",
    )
    s.commit()
    return case


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(factories.now(), tick=True):
        yield


def _get(client, url: str) -> bytes:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    assert response.mimetype == "application/pdf"
    return response.data


def test_every_staff_document_renders_with_the_cases_values(
    client, world, login_as, handled, tmp_path
):
    login_as("office")
    base = f"/office/cases/{handled.number}"
    common = (handled.number, world.enterprise.name, "招工难求协调")
    expect = {
        "registration": ("受理登记表", "有效联系方式", "受理人", world.users["office"].name),
        "approval-form": (
            "呈批表",
            "领导审核意见",
            INSTRUCTION,
            "同意转办",
            world.users["leader"].name,
            world.department.name,
        ),
        "transfer-letter": (
            "转办函",
            world.department.name,
            world.other_department.name,
            INSTRUCTION,
            "个工作日内联系诉求企业",
        ),
        "assignment-slip": (
            "企业问题诉求部门交办单",
            "市领导小组办公室",
            "测试市枫溪区陶瓷路8号",
            world.department.name,
            REPLY,
            "0768-2201111",
            "回访情况",
            "对部门服务是否满意：满意（√）",
            "解决（√）",
            "回访确认已解决",
            "回访日期：2026年11月25日",
        ),
        "handling-form": (
            "事项办理（反馈）表",
            "赴现场调查核实（√）",
            REPLY,
            "审核通过",
            "满意（√）",
        ),
        "evaluation": ("服务反馈评价单", world.department.name, REPLY, "满意（√）", COMMENT),
    }
    for slug in STAFF_DOCUMENTS:
        text = pdf_text(tmp_path, _get(client, f"{base}/{slug}.pdf"), slug)
        for value in common + expect[slug]:
            assert value in text, (slug, value)
        assert "None" not in text, slug


def test_the_dossier_holds_every_document_the_whole_record_and_the_evaluation(
    client, world, login_as, handled, tmp_path
):
    """Shantou 三(七) "将投诉件、呈批表、转办函、回复意见等材料逐宗建档、汇编成卷"."""
    login_as("office")
    response = client.get(f"/office/cases/{handled.number}/dossier.pdf")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment")
    text = pdf_text(tmp_path, response.data)
    for title in (
        "企业诉求办理档案",
        "卷内目录",
        "受理登记表",
        "呈批表",
        "转办函",
        "企业问题诉求部门交办单",
        "事项办理（反馈）表",
        "服务反馈评价单",
        "办理记录",
        "评价及回访情况",
    ):
        assert title in text, title
    for value in (
        handled.number,
        world.enterprise.name,
        INTERNAL,
        INSTRUCTION,
        REPLY,
        COMMENT,
        world.users["handler"].name,
        world.users["leader"].name,
        "企业评价",
        "回访",
    ):
        assert value in text, value
    assert text.count("2026年11月25日10:00") >= len(handled.events)  # every event: when


def test_a_blank_form_prints_lines_not_none(client, db, world, login_as, tmp_path):
    """A case just registered: its 交办单 has no lead unit, reply or callback yet."""
    case = factories.case(db.session, world.city, enterprise=world.enterprise)
    db.session.commit()
    login_as("office")
    text = pdf_text(tmp_path, _get(client, f"/office/cases/{case.number}/assignment-slip.pdf"))
    assert case.number in text and "None" not in text and "回访日期：年月日" in text


def test_the_staff_case_page_links_the_documents_that_apply(client, db, world, login_as, handled):
    login_as("office")
    page = BeautifulSoup(client.get(f"/office/cases/{handled.number}").text, "html.parser")
    links = {a["href"] for a in page.select(".documents a")}
    assert links == {
        f"/office/cases/{handled.number}/{slug}.pdf" for slug in (*STAFF_DOCUMENTS, "dossier")
    }
    fresh = factories.case(db.session, world.city, enterprise=world.enterprise)
    db.session.commit()
    page = BeautifulSoup(client.get(f"/office/cases/{fresh.number}").text, "html.parser")
    assert {a["href"] for a in page.select(".documents a")} == {
        f"/office/cases/{fresh.number}/registration.pdf",
        f"/office/cases/{fresh.number}/dossier.pdf",
    }


def test_the_workbench_has_the_documents_of_its_units_cases(
    client, world, login_as, handled, tmp_path
):
    login_as("handler")
    page = BeautifulSoup(client.get(f"/workbench/cases/{handled.number}").text, "html.parser")
    assert page.select_one(f'a[href="/workbench/cases/{handled.number}/handling-form.pdf"]')
    text = pdf_text(tmp_path, _get(client, f"/workbench/cases/{handled.number}/dossier.pdf"))
    assert INTERNAL in text


def test_the_enterprise_gets_its_two_forms_without_internal_notes(
    client, world, login_as, handled, tmp_path
):
    login_as("enterprise")
    page = BeautifulSoup(client.get(f"/cases/{handled.number}").text, "html.parser")
    hrefs = {a["href"] for a in page.select("a[href$='.pdf']")}
    assert hrefs == {
        f"/cases/{handled.number}/registration.pdf",
        f"/cases/{handled.number}/evaluation.pdf",
    }
    for slug in ("registration", "evaluation"):
        text = pdf_text(tmp_path, _get(client, f"/cases/{handled.number}/{slug}.pdf"), slug)
        assert handled.number in text and world.enterprise.name in text
        for secret in (INTERNAL, INSTRUCTION, "同意转办", "回访确认已解决"):
            assert secret not in text, (slug, secret)
    assert "满意（√）" in pdf_text(
        tmp_path, _get(client, f"/cases/{handled.number}/evaluation.pdf")
    )
    # The staff documents are not the enterprise's: no such page under "/" or elsewhere.
    assert client.get(f"/cases/{handled.number}/dossier.pdf").status_code == 404
    assert client.get(f"/office/cases/{handled.number}/dossier.pdf").status_code == 403


@pytest.mark.parametrize("path", ["/cases/{n}/registration.pdf", "/cases/{n}/evaluation.pdf"])
def test_another_enterprises_case_is_404(client, db, world, login_as, path):
    theirs = factories.case(db.session, world.county, enterprise=world.other_enterprise)
    db.session.commit()
    login_as("enterprise")
    assert client.get(path.format(n=theirs.number)).status_code == 404


@pytest.mark.parametrize("slug", [*STAFF_DOCUMENTS, "dossier"])
def test_another_units_case_is_404(client, db, world, login_as, slug):
    """The department sees only the cases it leads or co-handles, as on its case page."""
    case = factories.dispatched(db.session, world, world.other_department)
    db.session.commit()
    login_as("handler")
    assert client.get(f"/workbench/cases/{case.number}").status_code == 404
    assert client.get(f"/workbench/cases/{case.number}/{slug}.pdf").status_code == 404


def test_downloads_are_audited_as_exports(client, db, world, login_as, handled):
    login_as("office")
    client.get(f"/office/cases/{handled.number}/transfer-letter.pdf")
    client.get("/office/cases/445100-2026-09999/dossier.pdf")
    rows = db.session.execute(
        sa.select(AuditLog.object_id, AuditLog.result, AuditLog.detail)
        .where(AuditLog.action == "export")
        .order_by(AuditLog.id)
    ).all()
    assert [tuple(r) for r in rows] == [
        (handled.number, "ok", "transfer"),
        ("445100-2026-09999", "denied", "dossier"),
    ]


def test_the_summary_list_holds_the_months_cases(client, db, world, login_as, handled, tmp_path):
    """Haimen 附件2: 编号, 企业名称, 存在问题, 问题来源, 企业联系人, 联系电话, one row a case."""
    theirs = factories.case(
        db.session, world.county, enterprise=world.other_enterprise, title="县里的事"
    )
    db.session.commit()
    login_as("office")
    page = BeautifulSoup(client.get("/office/").text, "html.parser")
    form = page.select_one("form.summary-list")
    assert form["action"] == "/office/summary-list.pdf"
    assert form.select_one("input[name=month]")["value"] == "2026-11"
    response = client.get("/office/summary-list.pdf?month=2026-11")
    text = pdf_text(tmp_path, response.data)
    for value in (
        "企业问题诉求汇总清单",
        "填表单位",
        "市领导小组办公室",
        "编号",
        "存在问题",
        handled.number,
        world.enterprise.name,
        "招工难求协调",
        "网上",
        theirs.number,
    ):
        assert value in text, value
    assert "本期无企业问题诉求" in pdf_text(
        tmp_path, client.get("/office/summary-list.pdf?month=2026-10").data
    )
    assert client.get("/office/summary-list.pdf?month=junk").status_code == 200
    audit = db.session.scalar(sa.select(AuditLog).where(AuditLog.object_type == "summary_list"))
    assert audit.object_id == "2026-11" and handled.number in audit.detail


def test_a_department_lists_only_its_own_cases(client, db, world, login_as, handled, tmp_path):
    other = factories.case(db.session, world.city, enterprise=world.enterprise, title="别的")
    db.session.commit()
    login_as("handler")
    text = pdf_text(tmp_path, _get(client, "/workbench/summary-list.pdf?month=2026-11"))
    assert handled.number in text and other.number not in text
    assert world.department.name in text  # 填表单位


def test_documents_print_in_chinese_whatever_the_readers_language(
    client, world, login_as, handled, tmp_path
):
    login_as("office")
    token = csrf_from(client.get("/office/").text)
    client.post("/auth/language", data={"lang": "en", "csrf_token": token})
    assert "Documents (PDF)" in client.get(f"/office/cases/{handled.number}").text
    text = pdf_text(tmp_path, _get(client, f"/office/cases/{handled.number}/dossier.pdf"))
    assert "Signed" not in text and "Satisfied" not in text
    assert "承办单位已签收" in text and "满意" in text
    assert "Documents (PDF)" in client.get(f"/office/cases/{handled.number}").text
