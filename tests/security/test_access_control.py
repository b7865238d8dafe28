"""Every route is guarded or deliberately public, ids are typed, paths are kebab-case, and a
role × endpoint matrix pins each status (STYLE.md, Permissions; SECURITY.md checklist 10-11)."""

from __future__ import annotations

import re

import pytest

from portal.domain.models import Role

# Endpoints anyone may reach, signed in or not.
PUBLIC = {
    "static",
    "health.healthz",
    "enterprise.index",
    "enterprise.card_pdf",
    "auth.login",
    "auth.language",
    "auth.register",
    "auth.second_factor",       # the code step: only with a right password's note (check 9)
    "enterprise.track",
    "enterprise.tracked",       # after a case number + mobile match, kept in the session
    "enterprise.track_rate",
    "enterprise.short_link",
}
KEBAB = re.compile(r"^(/([a-z0-9]+(-[a-z0-9]+)*|<(int|case_number|token|step):[a-z_]+>|[a-z0-9-]+\.(pdf|csv|xlsx)))*/?$")


def _rules(app):
    return [r for r in app.url_map.iter_rules() if r.endpoint != "static"]


def test_every_endpoint_is_guarded_or_public(app):
    unguarded = [
        rule.endpoint for rule in _rules(app)
        if rule.endpoint not in PUBLIC and not getattr(app.view_functions[rule.endpoint],
                                                       "access", None)
    ]
    assert unguarded == []


def test_the_public_list_has_no_stale_entries(app):
    assert PUBLIC <= {r.endpoint for r in app.url_map.iter_rules()}


def test_ids_are_typed_and_paths_kebab_case(app):
    for rule in _rules(app):
        assert KEBAB.match(rule.rule), f"{rule.rule} is not kebab-case with typed ids"
        for name, converter in rule._converters.items():  # werkzeug keeps them here
            assert type(converter).__name__ in {"IntegerConverter", "CaseNumberConverter", "TokenConverter",
                                              "StepConverter"}, \
                f"{rule.rule}: <{name}> needs a typed converter"


ROLES = [r.value for r in Role]
ROLES_ALL = ROLES
# Where each role may go (200); elsewhere a signed-in user gets 403.
ALLOWED = {
    "/cases": {"enterprise"},
    "/whistle": {"enterprise"},
    "/auth/colleagues": {"enterprise"},
    "/auth/password": set(ROLES_ALL),
    "/auth/second-factor/enrol": set(ROLES_ALL) - {"enterprise"},
    "/workbench/": {"handler", "head"},
    "/office/": {"office", "leader", "inspector"},
    "/contacts/": {"liaison"},
    "/admin/": {"admin"},
    "/admin/calendar": {"admin"},
    "/audit/": {"inspector"},          # the auditor only; not the admin (checklist 16)
    "/admin/users": {"admin"},
    "/admin/users/new": {"admin"},
}


@pytest.mark.parametrize("path", sorted(ALLOWED))
def test_anonymous_users_are_sent_to_login(client, world, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/login?next=")


@pytest.mark.parametrize("role", ROLES)
def test_role_by_endpoint_matrix(client, world, login_as, role):
    login_as(role)
    statuses = {path: client.get(path).status_code for path in ALLOWED}
    expected = {path: 200 if role in roles else 403 for path, roles in ALLOWED.items()}
    assert statuses == expected


@pytest.mark.parametrize("role", ROLES)
def test_public_pages_are_open_to_every_role(client, world, login_as, role):
    login_as(role)
    assert client.get("/").status_code == 200
    assert client.get("/healthz").status_code == 200


def test_a_refused_page_is_audited(client, db, world, login_as):
    import sqlalchemy as sa
    from portal.domain.models import AuditLog
    user = login_as("enterprise")
    assert client.get("/office/").status_code == 403
    row = db.session.scalar(sa.select(AuditLog).where(AuditLog.action == "authorise"))
    assert (row.user_id, row.object_id, row.result) == (user.id, "office.index", "denied")


def test_an_enterprise_sees_only_its_own_cases(client, db, world, login_as):
    from tests import factories
    mine = factories.case(db.session, world.city, enterprise=world.enterprise, title="我家的事")
    theirs = factories.case(db.session, world.county, enterprise=world.other_enterprise,
                            title="别家的事")
    db.session.commit()
    login_as("enterprise")
    page = client.get("/cases").text
    assert mine.number in page and "我家的事" in page
    assert theirs.number not in page and "别家的事" not in page
