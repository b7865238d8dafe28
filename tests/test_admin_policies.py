"""The administrator's policy pages (issue 16 item 3): the presets and who runs them, a
jurisdiction's choice, copy and edit with errors beside their fields, and the calculator as
a page and as an htmx fragment."""

from __future__ import annotations

import sqlalchemy as sa
from bs4 import BeautifulSoup

from portal.domain.models import AuditLog, PolicyProfile
from tests.conftest import csrf_from


def soup(response) -> BeautifulSoup:
    return BeautifulSoup(response.text, "html.parser")


def test_the_index_lists_the_presets_and_each_jurisdictions_choice(client, world, login_as):
    login_as("admin")
    page = soup(client.get("/admin/policies"))
    assert page.h1.text == "时限方案"
    names = [a.text for a in page.select("table a")]
    assert {"潮州市", "城口县", "璧山区大路街道", "汕头市", "海门区"} <= set(names)
    county = page.select_one(f"#j{world.county.id}").text
    assert "执行“潮州市”" in county and "沿用上级" in county


def test_a_jurisdiction_chooses_a_profile_and_the_top_cannot_inherit(
    client, db, world, login_as, profiles
):
    login_as("admin")
    token = csrf_from(client.get("/admin/policies").text)
    response = client.post(
        f"/admin/jurisdictions/{world.county.id}/policy",
        data={"csrf_token": token, f"j{world.county.id}-profile": str(profiles["shantou"].id)},
    )
    assert response.status_code == 303
    db.session.expire_all()
    assert world.county.effective_policy.key == "shantou"
    assert db.session.scalar(sa.select(AuditLog.detail).where(AuditLog.action == "policy_choose"))
    response = client.post(
        f"/admin/jurisdictions/{world.city.id}/policy",
        data={"csrf_token": token, f"j{world.city.id}-profile": ""},
    )
    assert response.status_code == 200
    error = soup(response).select_one(f"#j{world.city.id}-profile-error")
    assert "最上级辖区没有可继承的上级" in error.text


def test_the_profile_page_quotes_each_clause_and_shows_its_history(client, world, login_as):
    login_as("admin")
    page = soup(client.get(f"/admin/policies/{world.city.policy_id}"))
    assert page.h1.text == "潮州市"
    assert "四(四)2 “经部门主要领导批准" in page.text
    assert "预置方案（只读）" in page.text
    assert page.select_one("a[href$='/edit']") is None  # a preset is not edited


def test_the_calculator_as_a_page_and_as_a_fragment(client, world, login_as):
    login_as("admin")
    url = f"/admin/policies/{world.city.policy_id}?type=complaint&at=2026-02-13&unit_level=city"
    page = soup(client.get(url))
    assert page.h1 is not None
    rows = [tr.select("td") for tr in page.select("#deadlines tbody tr")]
    assert [r[0].text for r in rows][:3] == ["联系企业", "确认是否受理", "办结"]
    assert "2026年2月27日" in rows[2][1].text  # 5 working days across the Spring Festival
    fragment = client.get(url, headers={"HX-Request": "true"})
    assert "<h1" not in fragment.text and "<html" not in fragment.text
    assert soup(fragment).select_one("#deadlines") is not None
    assert "2026年2月27日" in fragment.text
    bad = soup(client.get(url.replace("2026-02-13", "2026-02-31"), headers={"HX-Request": "true"}))
    assert "请填写真实存在的日期" in bad.text


def test_copy_then_edit_with_errors_beside_their_fields(client, db, world, login_as):
    login_as("admin")
    detail = f"/admin/policies/{world.city.policy_id}"
    token = csrf_from(client.get(detail).text)
    response = client.post(
        f"{detail}/copy", data={"csrf_token": token, "key": "Chaozhou!", "name": "潮州市副本"}
    )
    assert response.status_code == 200
    page = soup(response)
    assert "标识须为2至32个小写字母" in page.select_one("#key-error").text
    assert page.select_one("#name")["value"] == "潮州市副本"
    response = client.post(
        f"{detail}/copy", data={"csrf_token": token, "key": "chaozhou-2027", "name": "潮州市2027"}
    )
    assert response.status_code == 303
    copy = db.session.scalar(sa.select(PolicyProfile).where(PolicyProfile.key == "chaozhou-2027"))
    edit = response.headers["Location"]
    assert edit.endswith(f"/admin/policies/{copy.id}/edit")
    form = soup(client.get(edit))
    data = {
        field["name"]: field.get("value", "")
        for field in form.select("form input")
        if field.get("type") != "checkbox"
    }
    data.update(
        {
            field["name"]: "y"
            for field in form.select("form input[type=checkbox]")
            if field.has_attr("checked")
        }
    )
    data.update(
        {
            select["name"]: (select.select_one("option[selected]") or {}).get("value", "")
            for select in form.select("form select")
        }
    )
    data.update({"finish_days": "99", "note": ""})
    response = client.post(edit, data=data)
    assert response.status_code == 200
    assert "请填写 0 至 60 之间的整数" in soup(response).select_one("#finish_days-error").text
    data.update({"finish_days": "4"})
    response = client.post(edit, data=data)
    assert "请说明修改时限的依据" in soup(response).select_one("#note-error").text
    data.update({"note": "2027年起压缩为4个工作日"})
    response = client.post(edit, data=data)
    assert response.status_code == 303
    db.session.expire_all()
    assert (copy.finish_days, copy.revision, copy.reply_days) == (4, 2, 1)
    assert copy.clauses["finish_days"] == "2027年起压缩为4个工作日"
    page = client.get(f"/admin/policies/{copy.id}").text
    assert "已保存为第 2 版。" in page and "2027年起压缩为4个工作日" in page
