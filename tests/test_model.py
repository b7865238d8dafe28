"""The data model's own rules: append-only records, constraints, policies as data,
credit codes, and who may see which case."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError, IntegrityError

from portal.domain import catalogue, credit_code, policies
from portal.domain.access import case_scope
from portal.domain.models import (
    AuditLog,
    Case,
    CaseEvent,
    CaseState,
    CaseType,
    Category,
    EnterpriseKind,
    JurisdictionLevel,
    Role,
    User,
)
from tests import factories


def test_registration_opens_the_case_with_an_event_and_a_contact_deadline(db, world):
    """Chaozhou 四(四)1: "应在1个工作日内与企业取得对接联系". Received Wednesday 2026-11-25,
    the office must contact the enterprise by the end of Thursday 2026-11-26."""
    case = factories.case(
        db.session, world.city, enterprise=world.enterprise, by=world.users["enterprise"]
    )
    db.session.commit()
    assert case.state is CaseState.SUBMITTED
    assert str(case.contact_due) == "2026-11-26"
    [event] = case.events
    assert (event.action, event.from_state, event.to_state) == (
        "register",
        None,
        CaseState.SUBMITTED,
    )
    assert event.actor_id == world.users["enterprise"].id
    assert event.visible_to_enterprise
    assert case.submitted_by_id == world.users["enterprise"].id
    assert case.received_by_id is None


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE case_event SET note = 'rewritten'",
        "DELETE FROM case_event",
    ],
)
def test_case_events_are_append_only(db, world, statement):
    factories.case(db.session, world.city)
    db.session.commit()
    with pytest.raises(DBAPIError):
        db.session.execute(sa.text(statement))
        db.session.flush()
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CaseEvent)) == 1


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_log SET result = 'success'",
        "DELETE FROM audit_log",
    ],
)
def test_the_audit_log_is_append_only(db, world, statement):
    db.session.add(AuditLog(at=factories.now(), action="login", result="failure"))
    db.session.commit()
    with pytest.raises(DBAPIError):
        db.session.execute(sa.text(statement))
    db.session.rollback()
    assert db.session.scalar(sa.select(AuditLog.result)) == "failure"


def test_an_enterprise_user_must_belong_to_an_enterprise(db, world):
    db.session.add(
        User(
            mobile="13700000009",
            name="x",
            role=Role.ENTERPRISE,
            password_hash="x",
            created_at=factories.now(),
        )
    )
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_staff_may_not_be_linked_to_an_enterprise(db, world):
    db.session.add(
        User(
            username="clerk",
            name="x",
            role=Role.OFFICE,
            password_hash="x",
            enterprise_id=world.enterprise.id,
            created_at=factories.now(),
        )
    )
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_submission_keys_are_unique(db, world):
    from portal.domain.calendar import WorkCalendar
    from portal.domain.models import Channel
    from portal.domain.workflow import register_case

    kwargs = dict(
        jurisdiction=world.city,
        applicant_name="a",
        contact_name="b",
        contact_phone="1",
        title="t",
        content="c",
        case_type=CaseType.BUSINESS,
        channel=Channel.PORTAL,
        at=factories.now(),
        by=None,
        submission_key="k1",
    )
    register_case(db.session, WorkCalendar(), **kwargs)
    db.session.commit()
    with pytest.raises(IntegrityError):
        register_case(db.session, WorkCalendar(), **kwargs)
        db.session.flush()
    db.session.rollback()


def test_timestamps_come_back_in_utc(db, world):
    case = factories.case(db.session, world.city, at=datetime(2026, 11, 25, 17, 30, tzinfo=UTC))
    db.session.commit()
    db.session.expire_all()
    loaded = db.session.get(Case, case.id)
    assert loaded.received_at == datetime(2026, 11, 25, 17, 30, tzinfo=UTC)
    assert loaded.received_at.tzinfo is not None


def test_the_five_seed_profiles_hold_the_seeds_time_limits(db):
    profiles = policies.install_seed_profiles(db.session)
    assert set(profiles) == {"chaozhou", "chengkou", "dalu", "shantou", "haimen"}
    cz, ck, dl, st, hm = (
        profiles[k] for k in ("chaozhou", "chengkou", "dalu", "shantou", "haimen")
    )
    assert (cz.contact_days, cz.finish_days, cz.max_extension_days, cz.reply_days) == (1, 5, 10, 1)
    assert cz.extension_needs_approval
    assert (ck.dispatch_days, ck.finish_days, ck.plan_days, ck.rating_levels) == (2, 3, 5, 3)
    assert dl.ledger_due_day == 25
    assert (st.sign_days, st.sign_extra_days_lower_level, st.contact_days) == (1, 1, 1)
    assert [
        policies.finish_days_for(st, t)
        for t in (CaseType.CONSULTATION, CaseType.SUGGESTION, CaseType.COMPLAINT)
    ] == [1, 2, 3]
    assert (st.weekly_progress_weekday, st.overdue_review_day) == (3, 25)
    assert (hm.finish_days, hm.plan_days, hm.daily_tracking, hm.monthly_bulletin) == (
        3,
        3,
        True,
        True,
    )
    # Installing again updates in place, it does not duplicate.
    policies.install_seed_profiles(db.session)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(type(cz))) == 5


def test_a_jurisdiction_without_a_profile_inherits_its_parents(db, world):
    assert world.county.policy is None
    assert world.county.effective_policy.key == "chaozhou"


@pytest.mark.parametrize(
    "code,valid",
    [
        ("91350100M000100Y43", True),
        ("911101080828461726", True),
        ("91440300708461136T", True),
        ("91440300708461136A", False),  # wrong check character
        ("9144030070846113", False),  # too short
        ("91440300708461136I", False),  # I is not in the alphabet
        ("91ABCDEF708461136T", False),  # division code must be digits
    ],
)
def test_credit_code_check_character(code, valid):
    assert credit_code.is_valid(code) is valid


@pytest.mark.parametrize("code", ["Y1440300MA0000001Y", "N2440300MA00000014"])
def test_credit_codes_of_other_registration_authorities_are_valid(code):
    """GB 32100's authority and entity type may be letters (Y 其他, N 农业), which
    python-stdnum's `uscc.validate` refuses; the check character is still stdnum's."""
    from stdnum.cn import uscc

    assert credit_code.is_valid(code) and uscc.calc_check_digit(code[:17]) == code[17]
    assert not credit_code.is_valid(code[:17] + "0")


def test_credit_code_is_normalised_as_typed_from_a_licence():
    assert credit_code.normalise(" 9144 0300 7084 6113 6t ") == "91440300708461136T"


def _visible(db, user):
    return set(db.session.scalars(sa.select(Case.number).where(case_scope(user))))


def test_each_role_sees_only_its_cases(db, world):
    mine = factories.case(db.session, world.city, enterprise=world.enterprise)
    county = factories.case(db.session, world.county, enterprise=world.other_enterprise)
    mine.lead_unit = world.department
    county.co_handlers.append(world.other_department)
    db.session.commit()
    u = world.users
    assert _visible(db, u["enterprise"]) == {mine.number}
    assert _visible(db, u["office"]) == {mine.number, county.number}  # city and below
    assert _visible(db, u["handler"]) == {mine.number}
    assert _visible(db, u["liaison"]) == {mine.number}
    assert _visible(db, u["admin"]) == set()
    county_office = factories.unit(db.session, world.county)
    clerk = factories.user(db.session, Role.OFFICE, unit=county_office)
    assert _visible(db, clerk) == {county.number}  # not the city's
    other_handler = factories.user(db.session, Role.HANDLER, unit=world.other_department)
    assert _visible(db, other_handler) == {county.number}


def test_the_registry_refuses_a_wrong_credit_code_and_normalises_a_right_one(db, world):
    with pytest.raises(ValueError):
        factories.enterprise(db.session, world.city).credit_code = "91440300708461136A"
    db.session.rollback()
    e = factories.enterprise(db.session, world.city, kind=EnterpriseKind.INDIVIDUAL)
    e.credit_code = " 9144 0300 7084 6113 6t "
    assert e.credit_code == "91440300708461136T"
    e.credit_code = ""  # an individual business without a code
    assert e.credit_code is None


def test_chengkou_categories_find_their_lead_units(db):
    """城口 五(二): seven coordination items; leads matched among the county's units."""
    county = factories.jurisdiction(db.session, name="城口县", level=JurisdictionLevel.COUNTY)
    for name in (
        "县发展改革委",
        "县经济信息委",
        "县财政局",
        "县人力社保局",
        "县交通局",
        "县市场监管局",
    ):
        factories.unit(db.session, county, name=name)
    categories = catalogue.install_categories(db.session, county, catalogue.CHENGKOU)
    assert [c.number for c in categories] == list(range(1, 8))
    leads = {c.name: [u.name for u in c.lead_units] for c in categories}
    assert leads["招工引才协调"] == ["县人力社保局"]
    assert leads["要素保障协调"] == ["县经济信息委"]
    assert all(leads.values())
    # Installing again refreshes in place.
    catalogue.install_categories(db.session, county, catalogue.CHENGKOU)
    assert (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Category)
            .where(Category.jurisdiction_id == county.id)
        )
        == 7
    )
