"""Organisation set-up by the administrator (issue 16 item 1): the jurisdiction tree with
codes, units with their heads, categories with lead and default co-handling units, staff
bound to units; every change audited, errors beside their fields, a unit or category in use
retired and never deleted."""

from __future__ import annotations

import sqlalchemy as sa
from bs4 import BeautifulSoup

from portal.domain import organisation as org
from portal.domain.models import AuditLog, Category, Jurisdiction, OrgUnit, UnitKind
from tests import factories
from tests.conftest import csrf_from


def soup(response) -> BeautifulSoup:
    return BeautifulSoup(response.text, "html.parser")


def audit_rows(db, prefix="org_"):
    return db.session.scalars(
        sa.select(AuditLog).where(AuditLog.action.startswith(prefix)).order_by(AuditLog.id)
    ).all()


def test_the_tree_grows_through_the_pages_with_errors_beside_the_fields(
    client, db, world, login_as
):
    admin = login_as("admin")
    page = client.get("/admin/jurisdictions")
    assert soup(page).h1.text == "组织架构"
    token = csrf_from(page.text)
    bad = client.post(
        "/admin/jurisdictions",
        data={"csrf_token": token, "code": "44x", "name": "新区", "level": "county", "parent": ""},
    )
    assert bad.status_code == 200
    assert "请填写代码：2至12位数字" in soup(bad).select_one("#code-error").text
    assert soup(bad).select_one("#name")["value"] == "新区"
    below = client.post(
        "/admin/jurisdictions",
        data={
            "csrf_token": token,
            "code": "445199",
            "name": "新区",
            "level": "city",
            "parent": str(world.county.id),
        },
    )
    assert "只能隶属于更高一级" in soup(below).select_one("#parent-error").text
    done = client.post(
        "/admin/jurisdictions",
        data={
            "csrf_token": token,
            "code": "445199",
            "name": "新区",
            "level": "county",
            "parent": str(world.city.id),
        },
    )
    assert done.status_code == 303
    place = db.session.scalar(sa.select(Jurisdiction).where(Jurisdiction.code == "445199"))
    assert place.parent == world.city and place.effective_policy.key == "chaozhou"
    [row] = audit_rows(db)
    assert (row.action, row.user_id, row.object_id) == (
        "org_jurisdiction_add",
        admin.id,
        str(place.id),
    )
    tree = soup(client.get("/admin/jurisdictions")).select_one("ul.tree").text
    assert tree.index("测试市") < tree.index("新区")


def test_units_with_heads_one_office_and_retired_when_in_use(client, db, world, login_as):
    login_as("admin")
    url = f"/admin/jurisdictions/{world.county.id}/units/new"
    token = csrf_from(client.get(url).text)
    clash = client.post(url, data={"csrf_token": token, "name": "第二个办公室", "kind": "office"})
    assert "本辖区已有：经发办" in soup(clash).select_one("#kind-error").text
    done = client.post(
        url,
        data={
            "csrf_token": token,
            "name": "县政府督查室",
            "kind": "inspection",
            "head_name": "陈主任",
            "head_phone": "0768-1234567",
        },
    )
    assert done.status_code == 303
    unit = db.session.scalar(sa.select(OrgUnit).where(OrgUnit.name == "县政府督查室"))
    assert (unit.kind, unit.head_name) == (UnitKind.INSPECTION, "陈主任")
    edit = client.post(
        f"/admin/units/{unit.id}",
        data={
            "csrf_token": token,
            "name": "县政府督查室",
            "kind": "inspection",
            "head_name": "李主任",
        },
    )
    assert edit.status_code == 303
    assert "head_name: 陈主任 → 李主任" in audit_rows(db)[-1].detail
    # Nothing names it: deleted. The department has staff: retired, kept.
    assert (
        client.post(f"/admin/units/{unit.id}/remove", data={"csrf_token": token}).status_code == 303
    )
    assert db.session.get(OrgUnit, unit.id) is None
    dept = world.department
    response = client.post(f"/admin/units/{dept.id}/remove", data={"csrf_token": token})
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(OrgUnit, dept.id).active is False
    assert "已被使用，因此停用" in client.get(response.headers["Location"]).text
    client.post(f"/admin/units/{dept.id}/restore", data={"csrf_token": token})
    db.session.expire_all()
    assert dept.active
    assert [r.action for r in audit_rows(db)][-3:] == [
        "org_unit_delete",
        "org_unit_retire",
        "org_unit_restore",
    ]


def test_categories_with_leads_and_co_handlers(client, db, world, login_as):
    login_as("admin")
    url = f"/admin/jurisdictions/{world.county.id}/categories/new"
    page = client.get(url)
    token = csrf_from(page.text)
    taken = client.post(url, data={"csrf_token": token, "number": "1", "name": "用工", "leads": []})
    assert "请至少选择一个牵头单位" in soup(taken).select_one("#leads-error").text
    data = {
        "csrf_token": token,
        "number": "1",
        "name": "引才用工",
        "leads": [str(world.county_department.id)],
        "co_handlers": [str(world.department.id)],  # a city department may co-handle
    }
    assert client.post(url, data=data).status_code == 303
    category = db.session.scalar(
        sa.select(Category).where(Category.jurisdiction_id == world.county.id)
    )
    assert category.lead_units == [world.county_department]
    assert category.co_handlers == [world.department]
    again = client.post(url, data={**data, "name": "别的"})
    assert "序号 1 已被“引才用工”使用" in soup(again).select_one("#number-error").text
    case = factories.case(db.session, world.county, enterprise=world.other_enterprise)
    case.category = category
    db.session.commit()
    assert (
        client.post(
            f"/admin/categories/{category.id}/remove", data={"csrf_token": token}
        ).status_code
        == 303
    )
    db.session.expire_all()
    assert category.active is False and case.category == category


def test_a_staff_account_is_added_from_its_units_page(client, db, world, login_as):
    login_as("admin")
    page = soup(client.get(f"/admin/units/{world.department.id}"))
    link = page.find("a", string="为本单位新增工作人员账户")["href"]
    form = soup(client.get(link))
    assert form.select_one("#unit option[selected]")["value"] == str(world.department.id)


def test_the_domain_refuses_a_jurisdiction_below_itself(db, world):
    admin = world.users["admin"]
    town, _ = org.save_jurisdiction(
        db.session,
        None,
        code="445122100",
        name="测试镇",
        level=world.county.level.__class__("town"),
        parent=world.county,
        by=admin,
        at=factories.now(),
    )
    try:
        org.save_jurisdiction(
            db.session,
            world.county,
            code=world.county.code,
            name=world.county.name,
            level=world.county.level,
            parent=town,
            by=admin,
            at=factories.now(),
        )
    except Exception as error:  # noqa: BLE001
        assert getattr(error, "field", None) == "parent"
    else:
        raise AssertionError("a county was put below its own town")
