"""The enterprise registry (Dalu 一): import with a row-by-row report, matching on re-import,
editing, the assignment rules and bulk reassignment."""

from __future__ import annotations

import io

import pytest
import sqlalchemy as sa
from bs4 import BeautifulSoup
from openpyxl import Workbook

from portal import demo
from portal.domain import registry
from portal.domain.models import (
    AuditLog,
    Enterprise,
    EnterpriseKind,
    JurisdictionLevel,
    LiaisonAssignment,
    Role,
    UnitKind,
)
from tests import factories
from tests.conftest import csrf_from


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


def xlsx(rows) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@pytest.fixture
def town(db, world):
    """A town under the county with a village, Dalu's units and rules; its office's user."""
    town = factories.jurisdiction(
        db.session, name="大路街道", level=JurisdictionLevel.TOWN, parent=world.county
    )
    village = factories.jurisdiction(
        db.session, name="大路村", level=JurisdictionLevel.VILLAGE, parent=town
    )
    units = {
        name: factories.unit(db.session, town, name=name, kind=kind)
        for name, kind in (
            ("经发办", UnitKind.OFFICE),
            ("应急办", UnitKind.SECTION),
            ("建设环保服务中心", UnitKind.SERVICE_CENTRE),
            ("农业服务中心", UnitKind.SERVICE_CENTRE),
            ("社区文化服务中心", UnitKind.SERVICE_CENTRE),
            ("市场监管所", UnitKind.SECTION),
        )
    }
    units["村委会"] = factories.unit(
        db.session, village, name="大路村村委会", kind=UnitKind.VILLAGE_COMMITTEE
    )
    registry.install_rules(db.session, town)
    office = factories.user(db.session, Role.OFFICE, unit=units["经发办"])
    liaison = factories.user(db.session, Role.LIAISON, unit=units["经发办"])
    db.session.commit()
    return {"town": town, "village": village, "units": units, "office": office, "liaison": liaison}


GOOD = factories.credit_code(4242)


def test_an_import_reports_every_row_and_a_second_import_updates(client, db, world, town):
    login_user(client, town["office"])
    data = xlsx(
        [
            HEADER,
            [
                "大路五金厂",
                GOOD,
                "中小微企业",
                "五金制造",
                "大路街道1号",
                "张三",
                "13811112222",
                "",
            ],
            ["老王餐馆", "", "个体工商户", "餐饮", "大路村2号", "王五", "13822223333", "大路村"],
            ["", "", "", "", "", "", "", ""],  # empty: skipped
            ["", "", "中小微企业", "五金", "", "", "", ""],  # no name
            ["坏码公司", "91500000MA5U0X0X0X", "中小微企业", "", "", "", "", ""],  # bad code
            ["外地公司", "", "外资企业", "", "", "", "", ""],  # unknown kind
            ["远方公司", "", "中小微企业", "", "", "", "", "别的村"],  # unknown place
            ["电话公司", "", "中小微企业", "", "", "", "打我电话", ""],  # bad phone
        ]
    )
    shown = client.get("/contacts/registry/import")
    response = client.post(
        "/contacts/registry/import",
        data={"csrf_token": csrf_from(shown.text), "file": (io.BytesIO(data), "企业名单.xlsx")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200
    rows = [
        [td.text.strip() for td in tr.select("td")]
        for tr in page(response).select("table.report tbody tr")
    ]
    assert rows == [
        ["2", "大路五金厂", "已新增"],
        ["3", "老王餐馆", "已新增"],
        ["5", "", "未导入： 企业名称为空。"],
        [
            "6",
            "坏码公司",
            "未导入： 统一社会信用代码91500000MA5U0X0X0X无效（请核对18位代码及最后一位校验码）。",
        ],
        [
            "7",
            "外地公司",
            "未导入： 企业类别“外资企业”无法识别：请填写规上工业、四上企业、中小微企业或个体工商户。",  # noqa: E501
        ],
        ["8", "远方公司", "未导入： “别的村”不是本辖区的地点。"],
        ["9", "电话公司", "未导入： 联系电话“打我电话”不是号码。"],
    ]
    assert "新增2家，更新0家，未导入5行。" in response.text
    shop = db.session.scalar(sa.select(Enterprise).where(Enterprise.name == "老王餐馆"))
    assert shop.kind is EnterpriseKind.INDIVIDUAL and shop.jurisdiction is town["village"]
    before = db.session.scalar(sa.select(sa.func.count()).select_from(Enterprise))
    again = client.post(
        "/contacts/registry/import",
        data={"csrf_token": csrf_from(shown.text), "file": (io.BytesIO(data), "企业名单.xlsx")},
        content_type="multipart/form-data",
    )
    assert "新增0家，更新2家，未导入5行。" in again.text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Enterprise)) == before


def test_a_gbk_csv_imports_and_a_wrong_file_is_refused_beside_the_field(client, db, world, town):
    login_user(client, town["office"])
    text = "企业名称,行业,地址\n大路砖厂,砖瓦,大路街道9号\n"
    shown = client.get("/contacts/registry/import")
    response = client.post(
        "/contacts/registry/import",
        data={
            "csrf_token": csrf_from(shown.text),
            "file": (io.BytesIO(text.encode("gb18030")), "名单.csv"),
        },
        content_type="multipart/form-data",
    )
    assert "新增1家" in response.text
    wrong = client.post(
        "/contacts/registry/import",
        data={"csrf_token": csrf_from(shown.text), "file": (io.BytesIO(b"%PDF-1.4"), "名单.pdf")},
        content_type="multipart/form-data",
    )
    assert wrong.status_code == 422
    assert "请选择.xlsx或.csv文件。" in page(wrong).select_one("#file-error").text


def test_the_dalu_table_assigns_units_by_kind_and_industry(db, world, town):
    units, rules = town["units"], registry.rules_of(db.session, town["town"].id)

    def unit_of(name, kind=EnterpriseKind.SME, industry="", place=None):
        e = factories.enterprise(db.session, place or town["town"], name=name, kind=kind)
        e.industry = industry
        return registry.unit_for(db.session, rules, e)

    assert unit_of("砖厂", industry="砖瓦") is units["应急办"]
    assert unit_of("加油站", industry="加油站") is units["应急办"]
    assert unit_of("搅拌站", industry="临时搅拌站") is units["建设环保服务中心"]
    assert unit_of("茶园", industry="农业") is units["农业服务中心"]
    assert unit_of("KTV", industry="文化娱乐") is units["社区文化服务中心"]
    assert unit_of("小吃店", EnterpriseKind.INDIVIDUAL, "餐饮") is units["市场监管所"]
    assert unit_of("理发店", EnterpriseKind.INDIVIDUAL, "美发", town["village"]) is units["村委会"]
    assert unit_of("五金厂", industry="五金") is units["经发办"]
    assert (
        unit_of("网吧", EnterpriseKind.INDIVIDUAL, "文化娱乐", town["town"]) is None
    )  # no village
    assert unit_of("瓷砖店", industry="瓷砖销售") is units["经发办"]  # a tile shop is no kiln


def test_individual_businesses_other_than_catering_go_to_their_village(db, world, town):
    """Dalu 一: "建立以职能科室分类联系中小微企业、各村（社区）联系个体工商户" and
    "各村（社区）负责餐饮以外的个体工商户": an individual petrol station, builder or farm is the
    village's, an individual eatery is 市场监管所's ("餐饮企业（含个体工商户）")."""
    units, rules = town["units"], registry.rules_of(db.session, town["town"].id)
    for industry in ("加油站", "建筑施工", "农业", "文化娱乐", "零售"):
        shop = factories.enterprise(
            db.session, town["village"], name="个体" + industry, kind=EnterpriseKind.INDIVIDUAL
        )
        shop.industry = industry
        assert registry.unit_for(db.session, rules, shop) is units["村委会"], industry
    eatery = factories.enterprise(
        db.session, town["village"], name="个体饭店", kind=EnterpriseKind.INDIVIDUAL
    )
    eatery.industry = "餐饮"
    assert registry.unit_for(db.session, rules, eatery) is units["市场监管所"]


def test_long_cells_unknown_columns_and_too_many_rows_are_said_never_cut(db, world, town):
    rows = [
        ["企业名称", "联系人", "联系电话", "备注栏"],
        ["长名联络人公司", "张" * 65, "13800000000", "x"],
        ["长号码公司", "李四", "1" * 41, ""],
        ["好公司", "王五", "13800000001", "随便"],
    ]
    report = registry.import_rows(db.session, root=town["town"], rows=rows, at=factories.now())
    assert [(r.row, r.outcome) for r in report.rows] == [
        (2, "refused"),
        (3, "refused"),
        (4, "imported"),
    ]
    assert report.rows[0].params == {"column": "企业联络人员", "num": 64}
    assert report.rows[1].params == {"column": "联系电话", "num": 40}
    assert report.ignored_columns == ["备注栏"]
    db.session.commit()  # nothing half-written by the refused rows
    too_many = [["企业名称"]] + [[f"公司{n}"] for n in range(registry.MAX_ROWS + 1)]
    read = registry.read_table("名单.xlsx", xlsx(too_many))
    assert len(read) == registry.MAX_ROWS + 2
    report = registry.import_rows(db.session, root=town["town"], rows=read, at=factories.now())
    assert report.error and not report.rows


def test_rules_apply_then_bulk_reassignment_and_the_unassigned_list(client, db, world, town):
    units = town["units"]
    kiln = factories.enterprise(db.session, town["town"], name="大路砖厂")
    kiln.industry = "砖瓦"
    shop = factories.enterprise(db.session, town["town"], name="大路五金")
    db.session.commit()
    login_user(client, town["office"])
    rules_page = client.get("/contacts/registry/rules")
    assert "大路砖厂" in rules_page.text and "尚未分配单位" in rules_page.text
    client.post(
        "/contacts/registry/rules", data={"csrf_token": csrf_from(rules_page.text), "apply": "1"}
    )
    db.session.expire_all()
    assert kiln.liaison.unit is units["应急办"] and shop.liaison.unit is units["经发办"]
    listing = client.get("/contacts/registry?only=unassigned")
    assert "大路砖厂" in listing.text  # a unit, but no person yet
    response = client.post(
        "/contacts/registry/reassign",
        data={
            "csrf_token": csrf_from(listing.text),
            "enterprises": [str(kiln.id), str(shop.id)],
            "unit": str(units["经发办"].id),
            "person": str(town["liaison"].id),
        },
    )
    assert response.status_code == 303
    db.session.expire_all()
    assert kiln.liaison.user is town["liaison"] and shop.liaison.unit is units["经发办"]
    wrong = client.post(
        "/contacts/registry/reassign",
        data={
            "csrf_token": csrf_from(listing.text),
            "enterprises": [str(kiln.id)],
            "unit": str(units["应急办"].id),
            "person": str(town["liaison"].id),
        },
        follow_redirects=True,
    )
    assert "联系服务人须在所选单位工作。" in wrong.text
    db.session.expire_all()
    assert kiln.liaison.unit is units["经发办"]


def form_values(form) -> dict:
    """What a browser would post from this <form> as it stands (no button pressed)."""
    data = {
        i["name"]: i.get("value", "")
        for i in form.select("input[name]")
        if i.get("type") not in ("checkbox", "radio") or i.has_attr("checked")
    }
    for select in form.select("select[name]"):
        chosen = select.select_one("option[selected]") or select.select_one("option")
        data[select["name"]] = chosen.get("value", "") if chosen else ""
    return data


def rule_post(client, rule_id="new", **changes):
    """Post the rule's form from the rules page (the add form for "new") with `changes`
    (field names without the prefix)."""
    soup = page(client.get("/contacts/registry/rules"))
    form = soup.select_one(f'form:has(input[name="rule"][value="{rule_id}"])')
    prefix = "new" if rule_id == "new" else f"rule-{rule_id}"
    data = form_values(form)
    data.update({f"{prefix}-{key}": value for key, value in changes.items()})
    return client.post("/contacts/registry/rules", data=data)


def apply_rules(client, scope="unassigned"):
    shown = client.get("/contacts/registry/rules")
    return client.post(
        "/contacts/registry/rules",
        data={"csrf_token": csrf_from(shown.text), "apply": "1", "apply-scope": scope},
    )


def test_a_rule_can_be_given_another_unit(client, db, world, town):
    login_user(client, town["office"])
    rule = registry.rules_of(db.session, town["town"].id)[0]
    assert rule_post(client, rule.id, unit=str(town["units"]["经发办"].id)).status_code == 303
    db.session.expire_all()
    assert rule.unit is town["units"]["经发办"] and rule.words == ["餐饮"]


class TestEditingTheRules:
    """Dalu 一 "具体分工如下" is the demo's default; the office changes it on the page that lists
    it: words, kind, unit and order, adding and removing rules; applying uses the new table."""

    def test_words_kind_unit_and_order_change_and_the_next_run_uses_them(
        self, client, db, world, town
    ):
        units = town["units"]
        garage = factories.enterprise(db.session, town["town"], name="大路汽修厂")
        garage.industry = "汽车维修"
        db.session.commit()
        login_user(client, town["office"])
        kiln_rule = next(
            r for r in registry.rules_of(db.session, town["town"].id) if r.unit is units["应急办"]
        )
        response = rule_post(
            client,
            kiln_rule.id,
            description="应急办负责砖厂、加油站、汽修厂",
            words="砖厂、加油站，汽车维修",
            kind="sme",
            position="1",
        )
        assert response.status_code == 303
        rules = registry.rules_of(db.session, town["town"].id)
        assert [r.position for r in rules] == list(range(1, 8))
        assert rules[0] is kiln_rule and rules[1].unit is units["市场监管所"]
        assert kiln_rule.words == ["砖厂", "加油站", "汽车维修"]
        assert kiln_rule.kind is EnterpriseKind.SME
        apply_rules(client)
        db.session.expire_all()
        assert garage.liaison.unit is units["应急办"]

    def test_a_rule_is_added_and_one_removed(self, client, db, world, town):
        units = town["units"]
        login_user(client, town["office"])
        added_form = page(client.get("/contacts/registry/rules")).select_one("#add-rule")
        assert added_form.select_one("#new-position")["value"] == "7"  # before the catch-all
        response = rule_post(
            client,
            description="农业服务中心负责花木基地",
            words="花木",
            unit=str(units["农业服务中心"].id),
        )
        assert response.status_code == 303
        rules = registry.rules_of(db.session, town["town"].id)
        assert len(rules) == 8 and rules[6].words == ["花木"] and rules[7].unit is units["经发办"]
        culture = next(r for r in rules if r.unit is units["社区文化服务中心"])
        shown = client.get("/contacts/registry/rules")
        assert (
            client.post(
                "/contacts/registry/rules",
                data={"csrf_token": csrf_from(shown.text), "remove": str(culture.id)},
            ).status_code
            == 303
        )
        rules = registry.rules_of(db.session, town["town"].id)
        assert culture not in rules and [r.position for r in rules] == list(range(1, 8))
        ktv = factories.enterprise(db.session, town["town"], name="大路KTV")
        ktv.industry = "文化娱乐"
        nursery = factories.enterprise(db.session, town["town"], name="大路花木基地")
        nursery.industry = "花木种植"
        db.session.commit()
        apply_rules(client)
        db.session.expire_all()
        assert ktv.liaison.unit is units["经发办"]  # no rule for culture any more
        assert nursery.liaison.unit is units["农业服务中心"]

    def test_applying_to_every_enterprise_moves_those_the_new_rules_give_elsewhere(
        self, client, db, world, town
    ):
        units = town["units"]
        shop = factories.enterprise(db.session, town["town"], name="大路五金")
        shop.industry = "五金"
        db.session.add(
            LiaisonAssignment(
                enterprise=shop,
                unit=units["经发办"],
                user=town["liaison"],
                assigned_at=factories.now(),
            )
        )
        db.session.commit()
        login_user(client, town["office"])
        assert (
            rule_post(
                client,
                description="应急办负责五金",
                words="五金",
                position="1",
                unit=str(units["应急办"].id),
            ).status_code
            == 303
        )
        apply_rules(client)  # only those without a unit: the shop keeps its own
        db.session.expire_all()
        assert shop.liaison.unit is units["经发办"]
        apply_rules(client, "all")
        db.session.expire_all()
        assert shop.liaison.unit is units["应急办"] and shop.liaison.user is None
        moved = db.session.scalar(
            sa.select(AuditLog).where(
                AuditLog.action == "assign_by_rules", AuditLog.object_id == str(shop.id)
            )
        )
        assert moved.detail == f"经发办（{town['liaison'].name}） → 应急办"
        assert moved.user_id == town["office"].id

    @pytest.mark.parametrize(
        "changes, field, message",
        [
            ({"words": "  、 "}, "words", "请填写本规则查找的行业关键词"),
            ({"unit": "999999"}, "unit", "请选择本规则分配给的单位"),
            ({"position": "第一"}, "position", "请用数字填写本规则的顺序"),
            ({"position": "0"}, "position", "顺序须为1或更大"),
            ({"description": ""}, "description", "请填写规则内容"),
        ],
    )
    def test_bad_input_is_said_beside_its_field_and_kept(
        self, client, db, world, town, changes, field, message
    ):
        login_user(client, town["office"])
        before = [
            (r.id, r.position, r.industries) for r in registry.rules_of(db.session, town["town"].id)
        ]
        typed = {
            "description": "应急办负责汽修厂",
            "words": "汽修",
            "position": "1",
            "unit": str(town["units"]["应急办"].id),
            **changes,
        }
        response = rule_post(client, **typed)
        assert response.status_code == 422
        soup = page(response)
        assert message in soup.select_one(f"#new-{field}-error").text
        assert soup.select_one(f"#new-{field}")["aria-invalid"] == "true"
        assert soup.select_one(".error-summary a")["href"] == f"#new-{field}"
        for key in ("description", "words", "position"):
            assert soup.select_one(f"#new-{key}").get("value", "") == typed[key]
        db.session.expire_all()
        assert [
            (r.id, r.position, r.industries) for r in registry.rules_of(db.session, town["town"].id)
        ] == before

    def test_a_unit_of_another_jurisdiction_is_refused_beside_the_field(
        self, client, db, world, town
    ):
        login_user(client, town["office"])
        rule = registry.rules_of(db.session, town["town"].id)[2]
        response = rule_post(client, rule.id, unit=str(world.department.id))  # the city's
        assert response.status_code == 422
        assert "请选择本辖区的单位" in page(response).select_one(f"#rule-{rule.id}-unit-error").text
        db.session.expire_all()
        assert rule.unit is town["units"]["应急办"]

    def test_a_rule_after_the_catch_all_is_refused_with_the_order_to_give(
        self, client, db, world, town
    ):
        login_user(client, town["office"])
        response = rule_post(
            client,
            description="应急办负责汽修厂",
            words="汽修",
            position="8",
            unit=str(town["units"]["应急办"].id),
        )
        assert response.status_code == 422
        error = page(response).select_one("#new-position-error").text
        assert "第7条规则" in error and "经发办负责工贸、服务企业" in error

    def test_only_the_office_of_the_jurisdiction_edits_its_rules(
        self, client, db, world, town, login_as
    ):
        rule = registry.rules_of(db.session, town["town"].id)[0]
        login_as("liaison")
        assert client.get("/contacts/registry/rules").status_code == 403
        shown = client.get("/contacts/")
        assert (
            client.post(
                "/contacts/registry/rules",
                data={"csrf_token": csrf_from(shown.text), "remove": str(rule.id)},
            ).status_code
            == 403
        )
        client.post("/auth/logout", data={"csrf_token": csrf_from(shown.text)})
        login_user(client, world.county_office_user)  # the county's: its own table only
        shown = client.get("/contacts/registry/rules")
        assert shown.status_code == 200
        for data in ({"remove": str(rule.id)}, {"rule": str(rule.id), "rule-1-words": "x"}):
            assert (
                client.post(
                    "/contacts/registry/rules", data={"csrf_token": csrf_from(shown.text), **data}
                ).status_code
                == 404
            )
        assert (
            client.post(
                "/contacts/registry/rules",
                data={"csrf_token": csrf_from(shown.text), "rule": "abc"},
            ).status_code
            == 404
        )
        assert client.post(
            "/contacts/registry/rules", data={"rule": "new", "new-words": "x"}
        ).status_code in (400, 403)  # no CSRF token
        db.session.expire_all()
        assert registry.rules_of(db.session, town["town"].id)[0] is rule

    def test_an_administrator_of_the_town_edits_its_rules_one_of_none_finds_none(
        self, client, db, world, town, login_as
    ):
        admin = factories.user(db.session, Role.ADMIN, unit=town["units"]["经发办"])
        db.session.commit()
        login_user(client, admin)
        rule = registry.rules_of(db.session, town["town"].id)[3]
        assert rule_post(client, rule.id, words="农业、林业").status_code == 303
        db.session.expire_all()
        assert rule.words == ["农业", "林业"]
        client.post(
            "/auth/logout",
            data={"csrf_token": csrf_from(client.get("/contacts/registry/rules").text)},
        )
        login_as("admin")
        assert client.get("/contacts/registry/rules").status_code == 404


class TestSearchByPlaceAndBulkReassignment:
    """Dalu 一: "个体工商户由各村（社区）确定联系服务人员", "划片包干": the registry filtered by the
    enterprise's place, and every enterprise a search finds given one unit and person."""

    @pytest.fixture
    def village_shops(self, db, world, town):
        """60 shops in the village (more than a page of 50) and 3 firms in the town."""
        shops = [
            factories.enterprise(
                db.session,
                town["village"],
                name=f"大路村商户{n:02d}",
                kind=EnterpriseKind.INDIVIDUAL,
            )
            for n in range(60)
        ]
        firms = [
            factories.enterprise(db.session, town["town"], name=f"大路街道企业{n}")
            for n in range(3)
        ]
        db.session.commit()
        return shops, firms

    def test_the_registry_is_filtered_by_place_with_the_search(
        self, client, db, world, town, village_shops
    ):
        shops, firms = village_shops
        login_user(client, town["office"])
        listing = page(client.get(f"/contacts/registry?place={town['village'].id}"))
        assert "60家企业" in listing.text and "第1页，共2页" in listing.text
        assert firms[0].name not in listing.text
        assert listing.select_one("#place option[selected]").text == "大路村"
        assert f"place={town['village'].id}" in listing.select_one('a[rel="next"]')["href"]
        both = page(client.get(f"/contacts/registry?place={town['village'].id}&q=商户05"))
        assert [a.text for a in both.select("table.cases tbody a")] == ["大路村商户05"]
        whole = page(client.get(f"/contacts/registry?place={town['town'].id}"))
        assert "63家企业" in whole.text  # the town and the villages below it
        assert client.get("/contacts/registry?place=abc").status_code == 200
        assert client.get(f"/contacts/registry?place={world.city.id}").status_code == 404

    def test_every_enterprise_the_search_finds_after_a_confirmation_with_the_count(
        self, client, db, world, town, village_shops
    ):
        shops, firms = village_shops
        units, liaison = town["units"], town["liaison"]
        db.session.add(
            LiaisonAssignment(
                enterprise=shops[0], unit=units["经发办"], user=liaison, assigned_at=factories.now()
            )
        )
        db.session.commit()
        assigned = db.session.scalar(sa.select(sa.func.count()).select_from(LiaisonAssignment))
        login_user(client, town["office"])
        listing = client.get(f"/contacts/registry?place={town['village'].id}")
        data = {
            "csrf_token": csrf_from(listing.text),
            "scope": "search",
            "unit": str(units["经发办"].id),
            "person": str(liaison.id),
        }
        url = f"/contacts/registry/reassign?place={town['village'].id}"
        asked = client.post(url, data=data)
        assert asked.status_code == 200
        soup = page(asked)
        assert "将变更59家企业。" in soup.text  # one already there
        assert "地点：大路村" in soup.text
        confirm = soup.select_one(f'form[action="{url}"]')
        assert confirm.select_one('input[name="confirm"]')["value"] == "59"
        assert (
            db.session.scalar(sa.select(sa.func.count()).select_from(LiaisonAssignment)) == assigned
        )  # nothing changed yet
        stale = client.post(url, data={**data, "confirm": "58"})
        assert stale.status_code == 200 and "以下为最新数量" in stale.text
        done = client.post(url, data={**data, "confirm": "59"})
        assert done.status_code == 303 and f"place={town['village'].id}" in done.location
        db.session.expire_all()
        assert all(s.liaison.user is liaison for s in shops)
        assert all(f.liaison is None for f in firms)
        trail = db.session.scalars(sa.select(AuditLog).where(AuditLog.action == "reassign")).all()
        assert len(trail) == 59 and {a.user_id for a in trail} == {town["office"].id}
        assert {a.object_id for a in trail} == {str(s.id) for s in shops[1:]}
        assert trail[0].detail == f"— → 经发办（{liaison.name}）"
        again = client.post(url, data={**data, "confirm": "0"})
        assert "无需变更" in again.text

    def test_the_ticked_rows_leave_the_same_trail(self, client, db, world, town, village_shops):
        shops, _firms = village_shops
        units = town["units"]
        db.session.add(
            LiaisonAssignment(
                enterprise=shops[1], unit=units["经发办"], user=None, assigned_at=factories.now()
            )
        )
        db.session.commit()
        login_user(client, town["office"])
        listing = client.get("/contacts/registry")
        assert (
            client.post(
                "/contacts/registry/reassign",
                data={
                    "csrf_token": csrf_from(listing.text),
                    "enterprises": [str(shops[1].id)],
                    "unit": str(units["村委会"].id),
                },
            ).status_code
            == 303
        )
        entry = db.session.scalar(sa.select(AuditLog).where(AuditLog.action == "reassign"))
        assert (entry.object_type, entry.object_id) == ("enterprise", str(shops[1].id))
        assert entry.detail == "经发办 → 大路村村委会"

    def test_a_bad_bulk_reassignment_changes_nothing(self, client, db, world, town, village_shops):
        assigned = db.session.scalar(sa.select(sa.func.count()).select_from(LiaisonAssignment))
        login_user(client, town["office"])
        listing = client.get("/contacts/registry")
        token = csrf_from(listing.text)
        wrong_person = client.post(
            "/contacts/registry/reassign",
            data={
                "csrf_token": token,
                "scope": "search",
                "unit": str(town["units"]["应急办"].id),
                "person": str(town["liaison"].id),
            },
            follow_redirects=True,
        )
        assert "联系服务人须在所选单位工作。" in wrong_person.text
        assert (
            client.post(
                f"/contacts/registry/reassign?place={world.city.id}",
                data={
                    "csrf_token": token,
                    "scope": "search",
                    "unit": str(town["units"]["应急办"].id),
                },
            ).status_code
            == 404
        )
        assert (
            client.post(
                "/contacts/registry/reassign",
                data={"scope": "search", "unit": str(town["units"]["应急办"].id), "confirm": "63"},
            ).status_code
            == 400
        )  # no CSRF token
        assert (
            db.session.scalar(sa.select(sa.func.count()).select_from(LiaisonAssignment)) == assigned
        )


def test_add_and_edit_with_a_bad_code_explained(client, db, world, town):
    login_user(client, town["office"])
    shown = client.get("/contacts/registry/new")
    bad = client.post(
        "/contacts/registry/new",
        data={
            "csrf_token": csrf_from(shown.text),
            "name": "新公司",
            "credit_code": "123",
            "kind": "sme",
            "place": str(town["town"].id),
            "industry": "五金",
        },
    )
    assert bad.status_code == 422
    assert page(bad).select_one('input[name="name"]')["value"] == "新公司"
    good = client.post(
        "/contacts/registry/new",
        data={
            "csrf_token": csrf_from(shown.text),
            "name": "新公司",
            "credit_code": GOOD.lower(),
            "kind": "sme",
            "place": str(town["town"].id),
            "industry": "五金",
        },
    )
    assert good.status_code == 303
    created = db.session.scalar(sa.select(Enterprise).where(Enterprise.name == "新公司"))
    assert created.credit_code == GOOD
    outside = world.enterprise  # in the city, above the town
    assert client.get(f"/contacts/registry/{outside.id}").status_code == 404
    assert client.get(f"/contacts/registry/{created.id}").status_code == 200


def test_only_offices_reach_the_registry(client, world, login_as):
    login_as("liaison")
    assert client.get("/contacts/registry").status_code == 403
    assert client.get("/contacts/registry/rules").status_code == 403


def test_the_demo_assignments_follow_the_rules(runner, db, app):
    runner.invoke(args=["demo", "--quiet"])
    by_name = {
        a.enterprise.name: a.unit.name for a in db.session.scalars(sa.select(LiaisonAssignment))
    }
    assert len(by_name) == 30
    kilns = {name for name, _kind, industry in demo.ENTERPRISES if industry in ("砖瓦", "加油站")}
    assert kilns and all(by_name[name] == "应急办" for name in kilns)


def test_the_office_names_a_units_head_and_leader(client, db, world, town):
    login_user(client, town["office"])
    unit = town["units"]["应急办"]
    shown = client.get(f"/contacts/units/{unit.id}")
    assert shown.status_code == 200
    assert (
        client.post(
            f"/contacts/units/{unit.id}",
            data={
                "csrf_token": csrf_from(shown.text),
                "head_name": "李主任",
                "head_phone": "0768-1",
                "leader_name": "王建华",
                "leader_phone": "0768-2",
            },
        ).status_code
        == 303
    )
    db.session.expire_all()
    assert (unit.head_name, unit.leader_name) == ("李主任", "王建华")
    assert client.get(f"/contacts/units/{world.department.id}").status_code == 404
