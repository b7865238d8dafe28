"""Policy profiles as presets (issue 16 item 3): the five seeds' profiles come from a
migration with every number quoting its clause; a jurisdiction chooses one or inherits; an
administrator copies and edits (audited, with the profile's history), and a case keeps the
limits it was dispatched under; `policy deadlines` says what a profile means in dates."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from portal.domain import policies, workflow
from portal.domain.calendar import WorkCalendar
from portal.domain.errors import RuleViolation
from portal.domain.models import AuditLog, CaseType, PolicyProfile, PolicyRevision
from portal.extensions import db as _db
from tests import factories
from tests.test_migrations import scratch_app, scratch_url  # noqa: F401  (fixture)

CAL = WorkCalendar()
SEEDS = ("chaozhou", "chengkou", "dalu", "shantou", "haimen")


def at(day: date, hour: int = 10) -> datetime:
    """A Beijing wall-clock time as UTC."""
    return datetime(day.year, day.month, day.day, hour - 8, tzinfo=UTC)


def test_the_migration_installs_the_five_presets_with_their_clauses(scratch_url):  # noqa: F811
    with scratch_app(scratch_url):
        upgrade()
        found = {p.key: p for p in _db.session.scalars(sa.select(PolicyProfile))}
        assert set(found) == set(SEEDS)
        assert all(p.preset and p.revision == 1 for p in found.values())
        assert [len(p.revisions) for p in found.values()] == [1] * 5
        # The migration's frozen data is what the code's seeds say today.
        for spec in policies.SEED_PROFILES:
            profile = found[spec.key]
            assert profile.clauses == spec.clauses
            assert policies._holds(profile.revisions[0], profile)
            assert (profile.finish_days, profile.contact_days) == (
                spec.finish_days,
                spec.contact_days,
            )


@pytest.mark.parametrize("spec", policies.SEED_PROFILES, ids=lambda s: s.key)
def test_every_number_of_a_preset_quotes_its_clause(spec):
    """Each limit a seed sets (not left at the column's default) names its clause."""
    defaults = policies.ProfileSpec(key="", name="", source="")
    set_by_seed = {
        name
        for name in policies.EDITABLE
        if hasattr(spec, name) and getattr(spec, name) != getattr(defaults, name)
    } - {"rating_levels"}
    if spec.finish_days_by_type:
        set_by_seed.add("finish_days_by_type")
    assert set_by_seed <= set(spec.clauses), set_by_seed - set(spec.clauses)
    # Each starts with where in the seed it stands: 四(四)1, 三(二), 附件3 …
    assert all(re.match(r"^([一二三四五六七八九十]+\(|附件)", q) for q in spec.clauses.values())


def lines(runner, *args) -> list[str]:
    result = runner.invoke(args=["policy", "deadlines", *args])
    assert result.exit_code == 0, result.output
    return result.output.splitlines()


def test_policy_deadlines_across_the_spring_festival(db, world, runner):
    """A unit receives a complaint on Friday 13 February 2026: 14 Feb is a make-up working
    Saturday, 15-23 Feb the Spring Festival holiday (国办发明电〔2025〕7号)."""
    chaozhou = lines(runner, "chaozhou", "--type", "complaint", "--at", "2026-02-13")
    assert [line.split(" (")[0] for line in chaozhou] == [
        "contact: 2026-02-14",  # 四(四)1: 1 working day
        "confirm: none",
        "finish: 2026-02-27",  # 四(四)2: 5 working days (14, 24, 25, 26, 27)
        "plan: none",
        "reply: 2026-02-28",  # 四(四)3: 1 working day after (28 Feb, a make-up Saturday)
        "extension cap: 2026-03-12",  # 四(四)2: at most 10 more (28 Feb, 2-6, 9-12 Mar)
    ]
    assert "四(四)2" in chaozhou[2]
    city = lines(runner, "shantou", "--type", "suggestion", "--at", "2026-02-13")
    county = lines(
        runner, "shantou", "--type", "suggestion", "--at", "2026-02-13", "--unit-level", "county"
    )
    assert city[1].startswith("confirm: 2026-02-14 (1 working day")  # 三(二)
    assert county[1].startswith("confirm: 2026-02-24 (2 working days")  # "区县可适当延长1个工作日"
    assert "各功能区、区县" in county[1]
    # 三(三) 意见建议类 2, after the 转办函, which issues on confirmation (by 14 Feb): 24, 25
    assert city[2].startswith("finish: 2026-02-25 (2 working days after the 转办函")
    assert lines(runner, "chengkou", "--type", "business", "--at", "2026-02-13")[3].startswith(
        "plan: 2026-02-27 (5 working days; 五(三)2"
    )
    assert lines(runner, "haimen", "--type", "business", "--at", "2026-02-15")[0].startswith(
        "contact: 2026-02-24 (at once"  # 第一时间: received in the holiday, the next working day
    )
    for key in SEEDS:
        out = lines(runner, key, "--type", "consultation", "--at", "2026-10-01")
        assert [line.split(":")[0] for line in out] == list(policies.CLOCKS)


def test_policy_deadlines_refuses_an_unknown_profile_or_date(db, world, runner):
    result = runner.invoke(
        args=["policy", "deadlines", "nowhere", "--type", "complaint", "--at", "2026-02-13"]
    )
    assert result.exit_code != 0 and "chaozhou" in result.output
    result = runner.invoke(
        args=["policy", "deadlines", "dalu", "--type", "complaint", "--at", "13/2"]
    )
    assert result.exit_code != 0 and "2026-02-12" in result.output


def test_a_preset_is_copied_and_the_copy_edited_with_its_history(db, world):
    admin = world.users["admin"]
    chaozhou = world.city.policy
    with pytest.raises(RuleViolation):
        policies.edit_profile(
            db.session, chaozhou, {"finish_days": 7}, note="x", by=admin, at=factories.now()
        )
    with pytest.raises(RuleViolation) as taken:
        policies.copy_profile(
            db.session, chaozhou, key="chaozhou", name="副本", by=admin, at=factories.now()
        )
    assert taken.value.field == "key"
    copy = policies.copy_profile(
        db.session,
        chaozhou,
        key="chaozhou-2027",
        name="潮州市（2027）",
        by=admin,
        at=factories.now(),
    )
    assert (copy.finish_days, copy.based_on, copy.revision, copy.preset) == (5, chaozhou, 1, False)
    with pytest.raises(RuleViolation) as why:
        policies.edit_profile(
            db.session, copy, {"finish_days": 4}, note=" ", by=admin, at=factories.now()
        )
    assert why.value.field == "note"
    changed = policies.edit_profile(
        db.session,
        copy,
        {"finish_days": 4, "reply_days": 1},
        note="市营商办〔2027〕1号 压缩为4个工作日",
        by=admin,
        at=factories.now(),
    )
    assert changed == ["finish_days: 5 → 4"]
    assert [r.number for r in copy.revisions] == [1, 2]
    assert (copy.revisions[0].values["finish_days"], copy.revisions[1].values["finish_days"]) == (
        5,
        4,
    )
    assert copy.clauses["finish_days"] == "市营商办〔2027〕1号 压缩为4个工作日"
    assert copy.clauses["contact_days"] == chaozhou.clauses["contact_days"]
    rows = db.session.scalars(
        sa.select(AuditLog).where(AuditLog.object_type == "policy_profile").order_by(AuditLog.id)
    ).all()
    assert [(r.action, r.user_id) for r in rows] == [
        ("policy_copy", admin.id),
        ("policy_edit", admin.id),
    ]
    assert "finish_days: 5 → 4" in rows[1].detail
    # Nothing changed: nothing written.
    assert (
        policies.edit_profile(
            db.session, copy, {"finish_days": 4}, note="", by=admin, at=factories.now()
        )
        == []
    )
    assert len(copy.revisions) == 2


def test_a_jurisdiction_chooses_a_profile_or_inherits_its_parents(db, world, profiles):
    admin = world.users["admin"]
    policies.choose_profile(
        db.session, world.county, profiles["shantou"], by=admin, at=factories.now()
    )
    assert world.county.effective_policy.key == "shantou"
    policies.choose_profile(db.session, world.county, None, by=admin, at=factories.now())
    assert world.county.effective_policy.key == "chaozhou"
    with pytest.raises(RuleViolation):
        policies.choose_profile(db.session, world.city, None, by=admin, at=factories.now())
    details = db.session.scalars(
        sa.select(AuditLog.detail).where(AuditLog.action == "policy_choose").order_by(AuditLog.id)
    ).all()
    assert details == ["445122: inherit → shantou", "445122: shantou → inherit"]


def test_a_case_keeps_the_limits_it_was_dispatched_under(db, world):
    """An edit of the profile applies to cases dispatched after it; a case already
    dispatched keeps its clocks, the later ones too (here the office's review of the reply)."""
    admin, office, handler = world.users["admin"], world.users["office"], world.users["handler"]
    copy = policies.copy_profile(
        db.session,
        world.city.policy,
        key="cz-local",
        name="潮州市（本地）",
        by=admin,
        at=factories.now(),
    )
    policies.choose_profile(db.session, world.city, copy, by=admin, at=factories.now())
    t0 = at(date(2026, 11, 23))  # a Monday

    def dispatched():
        case = factories.case(db.session, world.city, enterprise=world.enterprise, at=t0)
        workflow.accept(db.session, CAL, case, by=office, at=t0)
        workflow.dispatch(db.session, CAL, case, by=office, at=t0, lead=world.department)
        return case

    before = dispatched()
    assert before.finish_due == date(2026, 11, 30)  # 5 working days
    policies.edit_profile(
        db.session,
        copy,
        {"finish_days": 8, "review_days": 3, "reply_days": None},
        note="试行",
        by=admin,
        at=t0,
    )
    after = dispatched()
    assert after.finish_due == date(2026, 12, 3)  # 8 working days
    assert (before.policy_revision.number, after.policy_revision.number) == (1, 2)
    for case in (before, after):
        workflow.sign(db.session, case, by=handler, at=t0)
        workflow.reply(db.session, CAL, case, by=handler, text="已办结。", at=t0)
    assert (before.review_due, after.review_due) == (date(2026, 11, 24), date(2026, 11, 26))
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(PolicyRevision, before.policy_revision_id).values["finish_days"] == 5


def test_installing_the_seeds_again_writes_no_new_revision(db, world):
    again = policies.install_seed_profiles(db.session)
    assert {p.revision for p in again.values()} == {1}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PolicyRevision)) == 5
    assert policies.deadlines(again["chaozhou"], CaseType.BUSINESS, date(2026, 2, 13), CAL)[
        2
    ].due == date(2026, 2, 27)


# Received on Wednesday 30 September 2026, the last working day before National Day: the
# next working days are 8, 9, 10 (a make-up Saturday), 12, 13, 14 … October.
D = {n: date(2026, 10, day) for n, day in enumerate((8, 9, 10, 12, 13, 14), start=1)}
D[10] = date(2026, 10, 27)  # 5 + 10: the 10th working day after the 13th
BY_TYPE = {"consultation": 1, "suggestion": 2, "complaint": 3}
# Per profile: clock → working days from receipt (None: no such clock). Shantou's finish
# goes by the type (三(三)); its confirm takes a day more for a county's unit (三(二)).
EXPECTED = {
    "chaozhou": {"contact": D[1], "finish": D[5], "reply": D[6], "extension cap": D[10]},
    "chengkou": {"finish": D[3], "plan": D[5]},
    "dalu": {},
    "shantou": {},  # by the type and the unit's level: see the test
    "haimen": {"contact": date(2026, 9, 30), "finish": D[3], "plan": D[3]},
}


@pytest.mark.parametrize("case_type", ("consultation", "suggestion", "complaint", "business"))
@pytest.mark.parametrize("key", SEEDS)
def test_policy_deadlines_answers_for_every_profile_and_type(db, runner, key, case_type):
    """`policy deadlines PROFILE --type … --at … [--unit-level …]` (issue 16 item 3) answers
    for each of the five presets and each of the four types: one line per clock, in order,
    each a date on the official calendar or "none", the clause quoted beside each date."""
    policies.install_seed_profiles(db.session)
    db.session.commit()
    for level in ("city", "county"):
        args = (key, "--type", case_type, "--at", "2026-09-30", "--unit-level", level)
        if key == "shantou" and case_type not in BY_TYPE:
            # 三(三) names limits for three types only: Shantou takes no 业务办理.
            refused = runner.invoke(args=["policy", "deadlines", *args])
            assert refused.exit_code != 0
            assert "takes no business cases" in refused.output
            continue
        out = lines(runner, *args)
        assert [line.split(":")[0] for line in out] == list(policies.CLOCKS)
        got = {line.split(":")[0]: line.split(": ", 1)[1].split(" (")[0] for line in out}
        expected = {clock: "none" for clock in policies.CLOCKS}
        expected.update({k: v.isoformat() for k, v in EXPECTED[key].items()})
        if key == "shantou":
            # 三(二) confirm within 1 working day, "各功能区、区县可适当延长1个工作日"; 三(三)
            # contact and handling count from the 转办函, issued on confirmation.
            confirm = 2 if level == "county" else 1
            expected["confirm"] = D[confirm].isoformat()
            expected["contact"] = D[confirm + 1].isoformat()
            expected["finish"] = D[confirm + BY_TYPE[case_type]].isoformat()
        assert got == expected, (key, case_type, level)
        for line in out:
            if not line.endswith(": none"):
                assert re.search(r"; ([一二三四五六七八九十]+\(|附件)", line), line
