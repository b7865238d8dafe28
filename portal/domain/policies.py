"""Time-limit policy profiles: the five seeds' rules as data, one profile per jurisdiction.

Every number below is a count of working days (see `calendar.py` for what "within N working
days" means) and is quoted from its seed. None means the seed sets no such limit.
`install_seed_profiles` writes them to `policy_profile`; an admin may edit a jurisdiction's
profile without a code change.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime

import sqlalchemy as sa
import sqlalchemy.orm

from portal.domain import audit
from portal.domain.errors import N_, RuleViolation
from portal.domain.models import (
    POLICY_TERMS,
    CaseType,
    Jurisdiction,
    PolicyProfile,
    PolicyRevision,
)


@dataclass(frozen=True)
class ProfileSpec:
    key: str
    name: str
    source: str
    contact_days: int | None = None
    dispatch_days: int | None = None
    sign_days: int | None = None
    sign_extra_days_lower_level: int = 0
    finish_days: int | None = None
    finish_days_by_type: dict = field(default_factory=dict)
    plan_days: int | None = None
    max_extension_days: int | None = None
    reply_days: int | None = None
    rating_levels: int = 2
    weekly_progress_weekday: int | None = None
    overdue_review_day: int | None = None
    ledger_due_day: int | None = None
    daily_tracking: bool = False
    monthly_bulletin: bool = False
    unsatisfied_deduction: int | None = None
    clauses: dict = field(default_factory=dict)


SEED_PROFILES: tuple[ProfileSpec, ...] = (
    ProfileSpec(
        key="chaozhou",
        name="潮州市",
        source="潮州市建立“企业吹哨、部门报到”服务机制工作方案 四(四)",
        contact_days=1,
        finish_days=5,
        max_extension_days=10,
        reply_days=1,
        rating_levels=2,
        clauses={
            "contact_days": "四(四)1 “非现场或电话接收的、有企业联系方式的，应在1个工作日内与企业"
            "取得对接联系”",
            "finish_days": "四(四)2 “在直接受理或收到本级领导小组办公室转交诉求和意见后5个工作日内"
            "办结”",
            "max_extension_days": "四(四)2 “经部门主要领导批准，可以适当延长办理时限，但延长时限"
            "最多不得超过10个工作日”",
            "reply_days": "四(四)3 “办理完成后，由主办部门在1个工作日内将结果反馈给企业”",
            "rating_levels": "附件3 服务反馈评价单: 满意 / 不满意",
        },
    ),
    ProfileSpec(
        key="chengkou",
        name="城口县",
        source="城口县“企业吹哨·部门报到”专项行动方案 五(三)",
        dispatch_days=2,
        finish_days=3,
        plan_days=5,
        rating_levels=3,
        unsatisfied_deduction=1,
        clauses={
            "dispatch_days": "五(三)1 “按事项所涉辖区和职能，在2个工作日内分别交办”",
            "finish_days": "五(三)2 “原则上在3个工作日内办结”",
            "plan_days": "五(三)2 “短期内无法办结的，在5个工作日内制定办理计划、承诺办理时限”",
            "rating_levels": "五(三)3 “满意”“基本满意”“不满意”等次评价",
            "unsatisfied_deduction": "五(三)3 “对‘不满意’等次事项按规定给予扣分并责成重新办理”"
            " (the seed names no number: 1 point a rating until the county sets its own)",
        },
    ),
    ProfileSpec(
        key="dalu",
        name="璧山区大路街道",
        source="大路街办发〔2021〕34号 二",
        dispatch_days=0,
        ledger_due_day=25,
        rating_levels=2,
        clauses={
            "dispatch_days": "二(三) own matters “迅速高效地回应、办理”; others “及时报送经发办”"
            " — at once",
            "ledger_due_day": "二(二) “每月25日前报送经发办”",
        },
    ),
    ProfileSpec(
        key="shantou",
        name="汕头市",
        source="汕头市政企“直通车”优化工作机制 三",
        sign_days=1,
        sign_extra_days_lower_level=1,
        contact_days=1,
        finish_days_by_type={
            CaseType.CONSULTATION.value: 1,
            CaseType.SUGGESTION.value: 2,
            CaseType.COMPLAINT.value: 3,
        },
        weekly_progress_weekday=3,
        overdue_review_day=25,
        rating_levels=2,
        clauses={
            "sign_days": "三(二) “需在1个工作日内……确认是否受理”",
            "sign_extra_days_lower_level": "三(二) “各功能区、区县可适当延长1个工作日”",
            "contact_days": "三(三) “接到《转办函》后，需在1个工作日内联系诉求企业”",
            "finish_days_by_type": "三(三) “咨询类诉求事项应在1个工作日内办结反馈；意见建议类"
            "诉求事项应在2个工作日内办结反馈；涉企服务投诉事项应在3个工作日内办结反馈”",
            "weekly_progress_weekday": "三(四) “对于未办结事项每周四需向工作专班反馈一次进展情况”",
            "overdue_review_day": "三(五) “每月25日将梳理未办结诉求情况”",
        },
    ),
    ProfileSpec(
        key="haimen",
        name="海门区",
        source="海企服〔2020〕4号 三",
        contact_days=0,
        dispatch_days=0,
        finish_days=3,
        plan_days=3,
        daily_tracking=True,
        monthly_bulletin=True,
        rating_levels=2,
        clauses={
            "contact_days": "三(一) “收到问题后，第一时间与企业联系核实”",
            "dispatch_days": "三(二) “第一时间交办主办部门”",
            "finish_days": "三(二) “主办部门对常规问题，3个工作日内给予答复”",
            "plan_days": "三(二) “内容复杂……3个工作日内向企业作出初步答复，并在承诺的时间内办结”",
            "daily_tracking": "三(四) “每天跟踪”",
            "monthly_bulletin": "三(五) “每月……在《工作简报》中予以通报”",
        },
    ),
)


def finish_days_for(profile: PolicyProfile, case_type: CaseType) -> int | None:
    """The handling limit for a case of `case_type`: the per-type limit where the profile has
    one (Shantou), else the profile's general limit."""
    by_type = profile.finish_days_by_type or {}
    if case_type.value in by_type:
        return by_type[case_type.value]
    return profile.finish_days


def case_types_for(profile) -> tuple[CaseType, ...]:
    """The types of case a jurisdiction on `profile` takes.

    A profile that sets its handling limits by type and no general one takes only the types
    it has a limit for: Shantou 三(三) gives "咨询类……1个工作日""意见建议类……2个工作日""涉企
    服务投诉事项……3个工作日" and its 受理范围 (二) names consultations, problems to coordinate
    and suggestions — no 业务办理 (business handling, Chaozhou 四(三)1's word) and no limit
    for it, so a Shantou form offers no such type rather than a limit the seed never set.
    Every other profile (one limit for all, or none at all) takes every type."""
    if profile is None:
        return tuple(CaseType)
    by_type = profile.finish_days_by_type or {}
    if profile.finish_days is not None or not by_type:
        return tuple(CaseType)
    return tuple(t for t in CaseType if by_type.get(t.value) is not None)


def default_case_type(profile) -> CaseType:
    """The type of a whistle that names none (an e-mail, a liaison's forward) until the
    office classifies it: business handling where the profile takes it, else the type the
    profile gives the longest limit (Shantou: 涉企服务投诉, 3 working days), so no clock is
    set shorter than the seed allows."""
    taken = case_types_for(profile)
    if CaseType.BUSINESS in taken:
        return CaseType.BUSINESS
    return max(taken, key=lambda t: finish_days_for(profile, t) or 0)


def confirm_days_for(profile, *, lower_level: bool) -> int | None:
    """The confirm (签收) limit of a unit that receives a case: Shantou 三(二) "需在1个工作日内
    ……确认是否受理", one day more for a unit of a zone, district or county ("各功能区、区县可
    适当延长1个工作日") — the receiving unit's level, not the case's jurisdiction's (a city
    case sent to a county unit gets the day; a county case always goes to county units)."""
    if profile is None or profile.sign_days is None:
        return None
    extra = profile.sign_extra_days_lower_level or 0
    return profile.sign_days + (extra if lower_level else 0)


def handling_starts_on_confirmation(profile) -> bool:
    """Whether the unit's contact and handling clocks start when it confirms (签收) rather
    than when the office dispatches. Shantou 三(二)-(三): the unit confirms "是否受理" first;
    only then does the office "确定牵头单位及协办单位后……向承办单位发出《转办函》", and
    "承办单位接到《转办函》后，需在1个工作日内联系诉求企业" and must finish within the type's
    limit. A profile with a confirm limit (`sign_days`) is such a profile: its units are not
    committed to a case before they confirm it. Without one (Chaozhou 四(四)2 "收到本级领导
    小组办公室转交诉求和意见后5个工作日内办结"), the clocks start at the dispatch."""
    return profile is not None and profile.sign_days is not None


def _record_revision(session, profile: PolicyProfile, *, at: datetime, by=None, note=""):
    """Append the profile's limits as they stand now as its next revision."""
    profile.revision = (profile.revision or 0) + 1
    revision = PolicyRevision(
        profile=profile,
        number=profile.revision,
        values=_jsonable(profile.terms()._values),
        note=note[:300],
        by_id=by.id if by is not None else None,
        at=at,
    )
    session.add(revision)
    return revision


def _holds(revision: PolicyRevision | None, profile: PolicyProfile) -> bool:
    """The revision records what the profile holds now. A limit added to profiles after the
    revision was written is not in it, and reads the profile's value (`PolicyTerms`)."""
    if revision is None:
        return False
    now = _jsonable(profile.terms()._values)
    return all(now[key] == value for key, value in revision.values.items() if key in now)


def _jsonable(values: dict) -> dict:
    return {k: (dict(v) if isinstance(v, dict) else v) for k, v in values.items()}


def _audit(session, profile, *, action, by, at, ip=None, detail=""):
    audit.record(
        session,
        at=at,
        user_id=by.id if by is not None else None,
        ip=ip,
        action=action,
        object_type="policy_profile",
        object_id=str(profile.id),
        result="success",
        detail=detail,
    )


# The date of a preset's revisions when no time is given: the day the five seeds became
# presets (migration 0016). The domain reads no clock of its own.
PRESETS_INSTALLED = datetime(2026, 12, 3, tzinfo=UTC)


def install_seed_profiles(session, at: datetime | None = None) -> dict[str, PolicyProfile]:
    """Create or update the five seed profiles as read-only presets; returns them by key.
    A preset whose limits changed (or that has no revision yet) gets a new revision."""
    at = at or PRESETS_INSTALLED
    existing = {p.key: p for p in session.scalars(sa.select(PolicyProfile))}
    for spec in SEED_PROFILES:
        profile = existing.get(spec.key)
        if profile is None:
            profile = PolicyProfile(key=spec.key, revision=0)
            session.add(profile)
            existing[spec.key] = profile
        for name, value in asdict(spec).items():
            setattr(profile, name, value)
        profile.preset = True
        session.flush()
        latest = profile.revisions[-1] if profile.revisions else None
        if not _holds(latest, profile):
            _record_revision(session, profile, at=at, note=spec.source)
    session.flush()
    return existing


# --------------------------------------------------------------------------- administration

KEY_PATTERN = re.compile(r"^[a-z][a-z0-9-]{1,31}$")

# The limits an administrator edits, with what each is: a count of working days that may be
# empty (no limit), a whole number that must be set, a weekday, a day of the month, a flag.
EDITABLE: dict[str, str] = {
    "contact_days": "days",
    "dispatch_days": "days",
    "sign_days": "days",
    "sign_extra_days_lower_level": "count",
    "finish_days": "days",
    "plan_days": "days",
    "max_extension_days": "days",
    "reply_days": "days",
    "rating_levels": "levels",
    "rating_window_days": "count",
    "weekly_progress_weekday": "weekday",
    "overdue_review_day": "monthday",
    "ledger_due_day": "monthday",
    "daily_tracking": "flag",
    "monthly_bulletin": "flag",
    "return_ruling_days": "count",
    "review_days": "count",
    "supervision_reply_days": "count",
    "max_rehandle_rounds": "count",
    "callback_sample_percent": "percent",
    "supervise_overdue": "flag",
    "clock_stop_allowed": "flag",
    "unsatisfied_deduction": "days",
}
# Per-type handling limits (Shantou 三(三)), edited one type at a time.
TYPE_LIMIT_PREFIX = "finish_days_"


def copy_profile(
    session, source: PolicyProfile, *, key: str, name: str, by, at: datetime, ip=None
) -> PolicyProfile:
    """A new, editable profile with `source`'s limits and clauses (revision 1), audited."""
    key, name = (key or "").strip().lower(), (name or "").strip()
    if not KEY_PATTERN.match(key):
        raise RuleViolation(
            N_("Enter a key of 2 to 32 small letters, digits or hyphens, starting with a letter."),
            field="key",
        )
    if session.scalar(sa.select(PolicyProfile.id).where(PolicyProfile.key == key)):
        raise RuleViolation(N_("A profile with this key exists; choose another."), field="key")
    if not name:
        raise RuleViolation(N_("Enter the profile's name."), field="name")
    copy = PolicyProfile(
        key=key,
        name=name[:100],
        source=source.source,
        preset=False,
        based_on=source,
        clauses=dict(source.clauses or {}),
        revision=0,
    )
    for field_name in POLICY_TERMS:
        value = getattr(source, field_name)
        setattr(copy, field_name, dict(value) if isinstance(value, dict) else value)
    session.add(copy)
    session.flush()
    _record_revision(session, copy, at=at, by=by, note=f"copy of {source.key} r{source.revision}")
    _audit(session, copy, action="policy_copy", by=by, at=at, ip=ip, detail=f"from {source.key}")
    return copy


def edit_profile(
    session, profile: PolicyProfile, changes: dict, *, note: str, by, at: datetime, ip=None
) -> list[str]:
    """Apply `changes` (field → value) to an editable profile: one new revision and one
    audit row naming each change old → new; each changed number's clause becomes the
    reason given. Returns the fields changed (none: nothing is written)."""
    if profile.preset:
        raise RuleViolation(N_("A seed's preset cannot be edited; copy it first."))
    note = (note or "").strip()
    changed = []
    for field_name, value in changes.items():
        old = getattr(profile, field_name)
        if old != value:
            changed.append(f"{field_name}: {old} → {value}")
    if not changed:
        return []
    if not note:
        raise RuleViolation(N_("Say why the limits change (the clause or decision)."), field="note")
    clauses = dict(profile.clauses or {})
    for field_name, value in changes.items():
        if getattr(profile, field_name) != value:
            setattr(profile, field_name, dict(value) if isinstance(value, dict) else value)
            clauses[field_name] = note[:300]
    profile.clauses = clauses
    revision = _record_revision(session, profile, at=at, by=by, note=note)
    _audit(
        session,
        profile,
        action="policy_edit",
        by=by,
        at=at,
        ip=ip,
        detail=f"r{revision.number}: " + "; ".join(changed),
    )
    return changed


def choose_profile(
    session, jurisdiction: Jurisdiction, profile: PolicyProfile | None, *, by, at, ip=None
) -> None:
    """A jurisdiction runs `profile`, or (None) inherits its parent's; audited."""
    old = jurisdiction.policy.key if jurisdiction.policy else "inherit"
    new = profile.key if profile else "inherit"
    if old == new:
        return
    if profile is None and jurisdiction.parent is None:
        raise RuleViolation(
            N_("A jurisdiction at the top has no parent to inherit from; choose a profile."),
            field="profile",
        )
    jurisdiction.policy = profile
    audit.record(
        session,
        at=at,
        user_id=by.id if by is not None else None,
        ip=ip,
        action="policy_choose",
        object_type="jurisdiction",
        object_id=str(jurisdiction.id),
        result="success",
        detail=f"{jurisdiction.code}: {old} → {new}",
    )


def pin(case, at: datetime) -> None:
    """Hold `case` to the limits in force now (called when it is dispatched): later edits
    of the profile do not move its clocks. A case already pinned keeps its revision. A
    profile changed outside `edit_profile` (a script, a test) gets a revision of what it
    holds first, so the case is held to the limits it was really dispatched under."""
    if case.policy_revision_id is not None or case.policy_revision is not None:
        return
    live = case.jurisdiction.effective_policy
    if live is None:
        return
    latest = live.revisions[-1] if live.revisions else None
    if not _holds(latest, live):
        session = sa.orm.object_session(live)
        latest = _record_revision(session, live, at=at, note="changed outside the portal")
    case.policy_revision = latest


# --------------------------------------------------------------------------- what it means in dates

CLOCKS = ("contact", "confirm", "finish", "plan", "reply", "extension cap")


@dataclass(frozen=True)
class Clock:
    name: str
    days: int | None
    due: date | None
    clause: str = ""
    # Counted from the unit's confirmation at the latest (Shantou 三(三): the 转办函 issues
    # after it), not from the day the unit receives the case.
    from_confirmation: date | None = None


def deadlines(
    profile, case_type: CaseType, received: date, calendar, *, unit_level: str = "city"
) -> list[Clock]:
    """The clocks that start when a unit receives a case of `case_type` on `received`, each
    with its last day on the working-day calendar (None: the profile sets no such limit).
    The same rules as the workflow's (`confirm_days_for`, `handling_starts_on_confirmation`,
    `finish_days_for`), so the calculator and a case's dates agree.

    - confirm: the unit confirms it takes the case (Shantou 三(二)), one day more for a
      unit below the city ("各功能区、区县可适当延长1个工作日"), by `unit_level`;
    - contact: the unit gets in touch (Chaozhou 四(四)1; Shantou 三(三) after the 转办函);
    - finish: the handling limit, by type where the profile has one (Shantou 三(三));
    - plan: the plan with a promised date (Chengkou 五(三)2; Haimen 三(二) 初步答复);
    - reply: the result reaches the enterprise after finishing on the last day (Chaozhou
      四(四)3), so counted from the finish date;
    - extension cap: the latest finish an approved extension allows (Chaozhou 四(四)2).

    Where handling starts on confirmation (Shantou), contact, finish and plan count from
    the last day of the confirm limit: the latest day the 转办函 issues without the unit
    being late. Raises RuleViolation for a type the profile does not take
    (`case_types_for`)."""
    if case_type not in case_types_for(profile):
        raise RuleViolation(
            N_("This profile takes no cases of this type; choose one it sets a limit for."),
            field="type",
        )
    clauses = getattr(profile, "clauses", None) or {}
    confirm_days = confirm_days_for(profile, lower_level=unit_level != "city")
    confirm_clause = clauses.get("sign_days", "")
    if confirm_days is not None and confirm_days != profile.sign_days:
        extra = clauses.get("sign_extra_days_lower_level", "")
        confirm_clause = "; ".join(c for c in (confirm_clause, extra) if c)
    confirm_due = _add(calendar, received, confirm_days)
    start, after = received, None
    if handling_starts_on_confirmation(profile) and confirm_due is not None:
        start = after = confirm_due
    finish_days = finish_days_for(profile, case_type)
    finish_due = _add(calendar, start, finish_days)
    finish_clause = clauses.get("finish_days", "")
    if case_type.value in (profile.finish_days_by_type or {}):
        finish_clause = clauses.get("finish_days_by_type", "")
    # (clock, days, counted from, clause, from the confirmation)
    plan = [
        ("contact", profile.contact_days, start, clauses.get("contact_days", ""), after),
        ("confirm", confirm_days, received, confirm_clause, None),
        ("finish", finish_days, start, finish_clause, after),
        ("plan", profile.plan_days, start, clauses.get("plan_days", ""), after),
        ("reply", profile.reply_days, finish_due, clauses.get("reply_days", ""), None),
        (
            "extension cap",
            profile.max_extension_days,
            finish_due,
            clauses.get("max_extension_days", ""),
            None,
        ),
    ]
    return [
        Clock(name, days, _add(calendar, day, days) if day else None, clause, frm)
        for name, days, day, clause, frm in plan
    ]


def _add(calendar, start: date, days: int | None) -> date | None:
    return calendar.add_working_days(start, days) if days is not None else None
