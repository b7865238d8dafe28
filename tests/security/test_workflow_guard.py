"""Mass assignment and workflow order through the pages (SECURITY.md checklist 14-15).

| check | tests (skips and why) |
|-------|-----------------------|
| 14 mass assignment | test_c14_extra_fields_on_the_whistle_are_ignored, test_c14_extra_fields_on_a_supplement_are_ignored, test_c14_extra_fields_on_a_rating_are_ignored, test_c14_extra_fields_on_a_step_are_ignored (sign, progress; page and htmx), test_c14_extra_fields_on_the_registry_edit_are_ignored |
| 15 workflow order | test_c15_a_skipped_step_answers_409_and_changes_nothing (reply before sign, close before a rating, dispatch before accept; page and htmx), test_c15_rating_before_a_reply_answers_409, test_c15_a_reply_is_rated_once (moved from tests/test_enterprise.py); also tests/test_casework.py test_a_step_that_no_longer_applies_answers_409 and tests/test_workflow.py test_every_state_and_role (the domain's table, every state × role) |
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from bs4 import BeautifulSoup

from portal.domain import workflow
from portal.domain.calendar import WorkCalendar
from portal.domain.models import Case, CaseEvent, CaseState, Enterprise, Rating
from portal.extensions import db as _db
from portal.web.sessions import utcnow
from tests import factories
from tests.conftest import csrf_from
from tests.security.test_csrf_headers import sign_out

CAL = WorkCalendar()
COLUMNS = (
    "state",
    "enterprise_id",
    "lead_unit_id",
    "office_id",
    "under_supervision",
    "jurisdiction_id",
    "receiving_unit_id",
    "submitted_by_id",
)


def _extras(world, prefix: str = "") -> dict:
    """Fields no form has, with values that would matter if they were taken: another
    enterprise, another department, a closed state, supervision on, a made-up version."""
    values = {
        "state": "closed",
        "status": "closed",
        "assignee": str(world.users["head"].id),
        "lead_unit_id": str(world.other_department.id),
        "department_id": str(world.other_department.id),
        "office_id": str(world.county_office.id),
        "enterprise_id": str(world.other_enterprise.id),
        "version_id": "99",
        "under_supervision": "1",
        "jurisdiction_id": str(world.county.id),
    }
    return {**values, **{f"{prefix}{k}": v for k, v in values.items()}} if prefix else values


def _columns(case: Case) -> dict:
    _db.session.expire_all()
    return {name: getattr(case, name) for name in COLUMNS}


def _form_of(html: str, action: str) -> dict:
    """What a browser would send from the page's form posting to `action`."""
    form = BeautifulSoup(html, "html.parser").find("form", attrs={"action": action})
    assert form is not None, action
    data = {}
    for field in form.find_all(["input", "select", "textarea"]):
        name = field.get("name")
        if not name or field.get("type") in ("submit", "file"):
            continue
        if field.name == "select":
            chosen = field.find("option", selected=True) or field.find("option")
            data[name] = chosen.get("value", "") if chosen else ""
        elif field.name == "textarea":
            data[name] = field.text
        elif field.get("type") in ("radio", "checkbox"):
            if field.has_attr("checked"):
                data[name] = field.get("value", "on")
        else:
            data[name] = field.get("value", "")
    return data


# ------------------------------------------------------------------------------- 14


def test_c14_extra_fields_on_the_whistle_are_ignored(client, db, world, login_as):
    login_as("enterprise")
    page = client.get("/whistle")
    soup = BeautifulSoup(page.text, "html.parser")
    data = {
        "csrf_token": csrf_from(page.text),
        "submission_key": soup.select_one("#submission_key")["value"],
        "level": "local",
        "case_type": "business",
        "category": "4",
        "title": "春节后缺工30人",
        "content": "春节后一线工人缺口约30人，仍招不到人。",
        "contact_name": "王经理",
        "contact_phone": "13800000001",
        **_extras(world),
    }
    assert client.post("/whistle", data=data).status_code == 303
    case = db.session.scalar(sa.select(Case))
    got = _columns(case)
    assert got["state"] is CaseState.SUBMITTED
    assert got["enterprise_id"] == world.enterprise.id
    assert (got["lead_unit_id"], got["under_supervision"], case.version_id) == (None, False, 1)
    assert got["jurisdiction_id"] == world.city.id
    assert got["submitted_by_id"] == world.users["enterprise"].id


def test_c14_extra_fields_on_a_supplement_are_ignored(client, db, world, login_as):
    case = factories.dispatched(db.session, world, world.department)
    db.session.commit()
    before = _columns(case)
    login_as("enterprise")
    path = f"/cases/{case.number}/information"
    data = {
        **_form_of(client.get(path).text, path),
        "more-text": "补充：又缺了5人。",
        **_extras(world, "more-"),
    }
    assert client.post(path, data=data).status_code == 303
    assert _columns(case) == before


def test_c14_extra_fields_on_a_rating_are_ignored(client, db, world, login_as):
    case = factories.case(db.session, world.city, enterprise=world.enterprise)
    factories.replied(db.session, world, case, at=utcnow())
    db.session.commit()
    before = _columns(case)
    login_as("enterprise")
    page = client.get(f"/cases/{case.number}")
    data = {
        "csrf_token": csrf_from(page.text),
        "rating-level": "satisfied",
        "rating-solved": "yes",
        **_extras(world, "rating-"),
        "rating-rated_by_id": str(world.users["office"].id),
        "rating-case_id": "1",
    }
    assert client.post(f"/cases/{case.number}/rating", data=data).status_code == 303
    after = _columns(case)
    assert after["state"] is CaseState.RATED and not after["under_supervision"]
    assert {k: v for k, v in after.items() if k != "state"} == {
        k: v for k, v in before.items() if k != "state"
    }
    rating = db.session.scalar(sa.select(Rating))
    assert rating.rated_by_id == world.users["enterprise"].id and rating.case_id == case.id


@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx"])
def test_c14_extra_fields_on_a_step_are_ignored(client, db, world, login_as, htmx):
    """Sign, then progress, as the lead department's handler: each step changes only what
    its verb changes (the state for sign, nothing for progress)."""
    case = factories.dispatched(db.session, world, world.department)
    db.session.commit()
    before = _columns(case)
    login_as("handler")
    base = f"/workbench/cases/{case.number}"
    headers = {"HX-Request": "true"} if htmx else {}
    for step, expected, extra in (
        ("sign", CaseState.IN_HAND, {}),
        ("progress", CaseState.IN_HAND, {"progress-text": "已约企业面谈。"}),
    ):
        page = client.get(base)
        data = {**_form_of(page.text, f"{base}/{step}"), **extra, **_extras(world, f"{step}-")}
        response = client.post(f"{base}/{step}", data=data, headers=headers)
        assert response.status_code == 303, step
        after = _columns(case)
        assert after["state"] is expected
        assert {k: v for k, v in after.items() if k != "state"} == {
            k: v for k, v in before.items() if k != "state"
        }
    assert case.version_id < 99


def test_c14_extra_fields_on_the_registry_edit_are_ignored(client, db, world, login_as):
    enterprise = world.enterprise
    fields = ("name", "credit_code", "kind", "jurisdiction_id")
    before = {f: getattr(enterprise, f) for f in fields}
    login_as("office")
    path = f"/contacts/registry/{enterprise.id}"
    page = client.get(path)
    assert page.status_code == 200
    data = {
        **_form_of(page.text, path),
        "name": "测试陶瓷股份有限公司",
        "id": "999",
        "enterprise_id": str(world.other_enterprise.id),
        "state": "closed",
        "office_id": str(world.county_office.id),
        "version_id": "99",
        "under_supervision": "1",
        "department_id": str(world.other_department.id),
    }
    response = client.post(path, data=data)
    assert response.status_code in (200, 303), response.status_code
    db.session.expire_all()
    after = {f: getattr(db.session.get(Enterprise, enterprise.id), f) for f in fields}
    assert after == {**before, "name": "测试陶瓷股份有限公司"}
    assert db.session.get(Enterprise, world.other_enterprise.id).name == "别家五金厂"


# ------------------------------------------------------------------------------- 15


def _accepted(db, world):
    case = factories.case(db.session, world.city, enterprise=world.enterprise)
    workflow.accept(db.session, CAL, case, by=world.users["office"], at=factories.now())
    return case


def _replied_not_reviewed(db, world):
    case = factories.dispatched(db.session, world, world.department)
    workflow.sign(db.session, case, by=world.users["handler"], at=factories.now())
    workflow.reply(
        db.session, CAL, case, by=world.users["handler"], text="已办结。", at=factories.now()
    )
    return case


SKIPS = {
    # (who, where, step, fields, how the case is made): the step the state does not allow yet
    "reply before sign": (
        "handler",
        "/workbench",
        "reply",
        {"text": "已办结，请评价。"},
        lambda db, world: factories.dispatched(db.session, world, world.department),
    ),
    "close before a rating": (
        "office",
        "/office",
        "close",
        {"note": "销号"},
        _replied_not_reviewed,
    ),
    "dispatch before accept": (
        "office",
        "/office",
        "dispatch",
        {"note": "请办理"},
        lambda db, world: factories.case(db.session, world.city, enterprise=world.enterprise),
    ),
    "sign before dispatch": ("handler", "/workbench", "sign", {}, _accepted),
}


@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx"])
@pytest.mark.parametrize("skip", sorted(SKIPS))
def test_c15_a_skipped_step_answers_409_and_changes_nothing(
    client, db, world, login_as, skip, htmx
):
    role, prefix, step, fields, make = SKIPS[skip]
    case = make(db, world)
    db.session.commit()
    before, events = _columns(case), len(case.events)
    version = case.version_id
    login_as(role)
    if role == "handler" and case.lead_unit_id is None:
        # not the department's case yet: the workbench does not show it at all
        token = csrf_from(client.get("/workbench/").text)
    else:
        token = csrf_from(client.get(f"{prefix}/cases/{case.number}").text)
    data = {
        "csrf_token": token,
        f"{step}-version": str(version),
        f"{step}-lead": str(world.department.id),
        **{f"{step}-{k}": v for k, v in fields.items()},
    }
    headers = {"HX-Request": "true"} if htmx else {}
    response = client.post(
        f"{prefix}/cases/{case.number}/{step.replace('_', '-')}", data=data, headers=headers
    )
    # 409 on the case page; 404 where the case is not the department's yet (check 12)
    assert response.status_code == (404 if skip == "sign before dispatch" else 409)
    if response.status_code == 409:
        assert (
            "不再适用" in response.text or "已变更" in response.text or "有人修改" in response.text
        )
        assert ("<html" in response.text) is (not htmx)
    assert _columns(case) == before
    assert len(case.events) == events and case.version_id == version


@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx"])
def test_c15_rating_before_a_reply_answers_409(client, db, world, login_as, htmx):
    case = factories.dispatched(db.session, world, world.department)
    workflow.sign(db.session, case, by=world.users["handler"], at=factories.now())
    db.session.commit()
    before, events = _columns(case), len(case.events)
    login_as("enterprise")
    token = csrf_from(client.get(f"/cases/{case.number}").text)
    headers = {"HX-Request": "true"} if htmx else {}
    response = client.post(
        f"/cases/{case.number}/rating",
        headers=headers,
        data={"csrf_token": token, "rating-level": "satisfied", "rating-solved": "yes"},
    )
    assert response.status_code == 409
    assert _columns(case) == before and len(case.events) == events
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Rating)) == 0


def test_c15_a_reply_is_rated_once(client, db, world, login_as):
    """Moved from tests/test_enterprise.py TestRating: a second rating of the same reply is
    a step that no longer applies, 409 (it answered 200 before check 15 was a test)."""
    case = factories.case(db.session, world.city, enterprise=world.enterprise)
    factories.replied(db.session, world, case, text="已联系人社局对接招聘会。", at=utcnow())
    db.session.commit()
    login_as("enterprise")

    def rate(**data):
        token = csrf_from(client.get(f"/cases/{case.number}").text)
        return client.post(
            f"/cases/{case.number}/rating",
            data={
                "csrf_token": token,
                "rating-level": "unsatisfied",
                "rating-solved": "no",
                "rating-comment": "还没有解决",
                **data,
            },
        )

    assert rate(**{"rating-level": "satisfied", "rating-solved": "yes"}).status_code == 303
    again = rate()
    assert again.status_code == 409
    assert "还没有解决" in again.text  # what was typed is kept
    db.session.refresh(case)
    assert len(case.ratings) == 1 and case.state is CaseState.RATED
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CaseEvent)) == len(case.events)
    sign_out(client)
