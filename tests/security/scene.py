"""The objects the access-control checks reach for (SECURITY.md 11-12): for every kind of
object a route names, one that the world's users may reach ("own") and one of another city,
its enterprise, unit and liaison ("other"), which no user of the world may reach.

The own case is the world's enterprise's, in the city, led by the world's department (its
handler and head), put before the leaders (the leader's scope) and in the city office's
jurisdiction (office, inspector); it has an attachment, a tracking code for SMS links, and
a contact of the liaison's with a problem collected on it.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa

from portal.domain import answers, uploads, workflow
from portal.domain.calendar import WorkCalendar
from portal.domain.models import (
    Category,
    ContactMethod,
    ContactProblem,
    ContactRecord,
    JurisdictionLevel,
    LiaisonAssignment,
    Role,
    UnitKind,
)
from tests import factories


@dataclass
class Scene:
    own: dict[str, str] = field(default_factory=dict)
    other: dict[str, str] = field(default_factory=dict)
    own_case: object = None
    other_case: object = None
    secrets: list[str] = field(default_factory=list)  # text only the other side's pages hold


def _problem(session, enterprise, unit, liaison, note: str) -> ContactProblem:
    record = ContactRecord(
        enterprise=enterprise,
        unit=unit,
        user=liaison,
        contacted_on=factories.now().date(),
        method=ContactMethod.VISIT,
        note=note,
        created_at=factories.now(),
    )
    problem = ContactProblem(contact=record, name="用工", content=note)
    session.add_all([record, problem])
    return problem


def build_scene(session, world, instance_path: str) -> Scene:
    calendar = WorkCalendar()
    root = Path(instance_path) / "uploads"
    office, handler = world.users["office"], world.users["handler"]
    at = factories.now()

    own = factories.case(session, world.city, enterprise=world.enterprise, title="本市用工难")
    workflow.accept(session, calendar, own, by=office, at=at)
    workflow.dispatch(session, calendar, own, by=office, at=at, lead=world.department)
    workflow.sign(session, own, by=handler, at=at)
    own.leaders_involved = True
    own_file = workflow.attach(
        session,
        own,
        uploads.check_file("own.pdf", b"%PDF-1.4 own"),
        by=None,
        at=at,
        upload_root=root,
    )
    own_code = workflow.issue_tracking_code(own)
    own_problem = _problem(
        session, world.enterprise, world.county_office, world.users["liaison"], "本市走访"
    )

    elsewhere = factories.jurisdiction(
        session, name="外市", level=JurisdictionLevel.CITY, code="445200", policy=world.city.policy
    )
    far_unit = factories.unit(session, elsewhere, name="外市人力资源局")
    factories.unit(session, elsewhere, name="外市协调办", kind=UnitKind.OFFICE)
    far_enterprise = factories.enterprise(session, elsewhere, name="外市机密制造厂")
    far_liaison = factories.user(session, Role.LIAISON, unit=far_unit, username="far-liaison")
    session.add(
        LiaisonAssignment(
            enterprise=far_enterprise, unit=far_unit, user=far_liaison, assigned_at=at
        )
    )
    other = factories.case(session, elsewhere, enterprise=far_enterprise, title="外市机密诉求")
    other_file = workflow.attach(
        session,
        other,
        uploads.check_file("far.pdf", b"%PDF-1.4 far-secret"),
        by=None,
        at=at,
        upload_root=root,
    )
    far_problem = _problem(session, far_enterprise, far_unit, far_liaison, "外市机密走访")
    own_answer = answers.save(
        session, by=office, at=at, question="本市稳岗补贴怎么申领", text="网上办理。"
    )
    far_answer = answers.save(
        session,
        by=office,
        at=at,
        question="外市机密答复",
        text="外市机密答复。",
        jurisdiction=elsewhere,
    )
    own_category = session.scalar(
        sa.select(Category).where(Category.jurisdiction_id == world.city.id).limit(1)
    )
    far_category = Category(
        jurisdiction=elsewhere, number=1, name="外市类别", lead_units=[far_unit]
    )
    session.add(far_category)
    own.category, other.category = own_category, far_category  # in use: retired, not deleted
    session.flush()
    return Scene(
        own={
            "number": own.number,
            "attachment_id": str(own_file.id),
            "enterprise_id": str(world.enterprise.id),
            "problem_id": str(own_problem.id),
            "unit_id": str(world.department.id),
            "code": own_code,
            "user_id": str(world.users["handler"].id),
            "external_id": "own-order-0001",
            "answer_id": str(own_answer.id),
            "profile_id": str(world.city.policy_id),
            "jurisdiction_id": str(world.city.id),
            "category_id": str(own_category.id),
        },
        other={
            "number": other.number,
            "attachment_id": str(other_file.id),
            "enterprise_id": str(far_enterprise.id),
            "problem_id": str(far_problem.id),
            "unit_id": str(far_unit.id),
            "code": secrets.token_urlsafe(16),
            "user_id": str(far_liaison.id),
            "external_id": "far-order-0001",
            "answer_id": str(far_answer.id),
            "profile_id": str(world.city.policy_id),
            "jurisdiction_id": str(elsewhere.id),
            "category_id": str(far_category.id),
        },
        own_case=own,
        other_case=other,
        secrets=["外市机密", "far-secret", far_enterprise.credit_code],
    )
