"""Access control as data (SECURITY.md checklist 10-12; issue 9 item 2): every route is guarded
or deliberately public, ids are typed and paths kebab-case, and tests/security/permissions.yaml
pins the exact status of every route for every role on its own and on another city's objects.

| check | tests |
|---|---|
| 10 route coverage | test_c10_every_endpoint_is_guarded_or_public, test_c10_the_public_list_has_no_stale_entries, test_c10_ids_are_typed_and_paths_kebab_case, test_c10_every_route_is_in_the_matrix_and_nothing_else |
| 11 permission matrix | test_c11_the_matrix_holds_for[role] (9 roles, anonymous included), test_c11_public_pages_are_open_to_every_role, test_c11_a_refused_page_is_audited |
| 12 IDOR | test_c11_the_matrix_holds_for[role] (no "other" body carries the other city's case text, file or enterprise), test_c12_an_enterprise_lists_only_its_own_cases, test_c12_anothers_file_under_ones_own_case_is_404 |

Checks 13 (field level) and 16 (separation of duties) are in test_personal_data.py and
test_audit.py.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml

from portal.domain.models import AuditLog, Role
from tests import factories
from tests.security.scene import build_scene, sign_in

MATRIX = yaml.safe_load((Path(__file__).parent / "permissions.yaml").read_text("utf-8"))
ROLES = ["anonymous", *(r.value for r in Role)]

# Endpoints anyone may reach, signed in or not.
PUBLIC = {
    "static",
    "health.healthz",
    "enterprise.index",
    "enterprise.card_pdf",
    "auth.login",
    "auth.language",
    "auth.register",
    "auth.claim",  # a registry enterprise claims its account (issue 17 item 7)
    "auth.sign_in_code",  # signing in at once with an SMS code while the account waits
    "auth.second_factor",  # the code step: only with a right password's note (check 9)
    "enterprise.track",
    "enterprise.tracked",  # after a case number + mobile match, kept in the session
    "enterprise.track_rate",
    "enterprise.short_link",
    "api.openapi",  # the API's description; its calls need a token instead
}
KEBAB = re.compile(
    r"^(/([a-z0-9]+(-[a-z0-9]+)*|<(int|case_number|token|step):[a-z_]+>|"
    r"[a-z0-9-]+\.(pdf|csv|xlsx|json)))*/?$"
)
ARG = re.compile(r"<(?:[a-z_]+:)?([a-z_]+)>")
FIXED = {"action": "progress", "filename": "css/portal.css"}


def _rules(app):
    return [r for r in app.url_map.iter_rules() if r.endpoint != "static"]


def _keys(app) -> set[str]:
    return {
        f"{method} {rule.rule}"
        for rule in app.url_map.iter_rules()
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }


def test_c10_every_endpoint_is_guarded_or_public(app):
    unguarded = [
        rule.endpoint
        for rule in _rules(app)
        if rule.endpoint not in PUBLIC
        and not getattr(app.view_functions[rule.endpoint], "access", None)
    ]
    assert unguarded == []


def test_c10_the_public_list_has_no_stale_entries(app):
    assert PUBLIC <= {r.endpoint for r in app.url_map.iter_rules()}


def test_c10_ids_are_typed_and_paths_kebab_case(app):
    for rule in _rules(app):
        assert KEBAB.match(rule.rule), f"{rule.rule} is not kebab-case with typed ids"
        for name, converter in rule._converters.items():  # werkzeug keeps them here
            assert type(converter).__name__ in {
                "IntegerConverter",
                "CaseNumberConverter",
                "TokenConverter",
                "StepConverter",
            }, f"{rule.rule}: <{name}> needs a typed converter"


def test_c10_every_route_is_in_the_matrix_and_nothing_else(app):
    keys = _keys(app)
    assert sorted(keys - MATRIX.keys()) == [], "routes missing from permissions.yaml"
    assert sorted(MATRIX.keys() - keys) == [], "permissions.yaml lists routes that are gone"
    for key, variants in MATRIX.items():
        expected = {"own", "other"} if ARG.search(key.replace("<path:filename>", "")) else {"any"}
        assert set(variants) == expected, key


def _expected(cells: dict, role: str):
    if role in cells:
        return cells[role]
    return "login" if role == "anonymous" else cells["*"]


def _url(key: str, values: dict) -> tuple[str, str]:
    method, rule = key.split(" ", 1)
    return method, ARG.sub(lambda m: FIXED.get(m.group(1)) or values[m.group(1)], rule)


def _status(response) -> int | str:
    if response.status_code in (302, 303) and response.headers.get("Location", "").startswith(
        "/auth/login"
    ):
        return "login"
    return response.status_code


@pytest.mark.slow
@pytest.mark.parametrize("role", ROLES)
def test_c11_the_matrix_holds_for(app, client, db, world, login_as, role):
    """Every cell of the role's column, the routes that change who is signed in last."""
    scene = build_scene(db.session, world, app.instance_path)
    db.session.commit()
    token = sign_in(client, login_as, role)
    seen, wrong, leaks = 0, [], []
    for key in sorted(MATRIX, key=lambda k: (k.endswith("/auth/logout"), k)):
        for variant, cells in MATRIX[key].items():
            method, url = _url(key, scene.other if variant == "other" else scene.own)
            response = (
                client.get(url) if method == "GET" else client.post(url, data={"csrf_token": token})
            )
            seen += 1
            if _status(response) != _expected(cells, role):
                wrong.append(
                    f"{key} [{variant}]: {_status(response)}, expected {_expected(cells, role)}"
                )
            if variant == "other":
                leaks += [
                    f"{key}: {text}" for text in scene.secrets if text.encode() in response.data
                ]
    assert seen > 100
    assert wrong == []
    assert leaks == []


@pytest.mark.parametrize("role", ROLES[1:])
def test_c11_public_pages_are_open_to_every_role(client, world, login_as, role):
    login_as(role)
    assert client.get("/").status_code == 200
    assert client.get("/healthz").status_code == 200


def test_c11_a_refused_page_is_audited(client, db, world, login_as):
    user = login_as("enterprise")
    assert client.get("/office/").status_code == 403
    row = db.session.scalar(sa.select(AuditLog).where(AuditLog.action == "authorise"))
    assert (row.user_id, row.object_id, row.result) == (user.id, "office.index", "denied")


def test_c12_an_enterprise_lists_only_its_own_cases(client, db, world, login_as):
    mine = factories.case(db.session, world.city, enterprise=world.enterprise, title="我家的事")
    theirs = factories.case(
        db.session, world.county, enterprise=world.other_enterprise, title="别家的事"
    )
    db.session.commit()
    login_as("enterprise")
    page = client.get("/cases").text
    assert mine.number in page and "我家的事" in page
    assert theirs.number not in page and "别家的事" not in page


@pytest.mark.parametrize(
    "role,prefix",
    [("enterprise", "/cases"), ("handler", "/workbench/cases"), ("office", "/office/cases")],
)
def test_c12_anothers_file_under_ones_own_case_is_404(
    app, client, db, world, login_as, role, prefix
):
    """The file's id is checked against the case named in the path: another city's file
    under one's own case number is not found, and none of its bytes are sent."""
    scene = build_scene(db.session, world, app.instance_path)
    db.session.commit()
    login_as(role)
    response = client.get(f"{prefix}/{scene.own['number']}/files/{scene.other['attachment_id']}")
    assert response.status_code == 404 and b"far-secret" not in response.data
