"""Time-limit policy profiles: the five seeds' rules as data, one profile per jurisdiction.

Every number below is a count of working days (see `calendar.py` for what "within N working
days" means) and is quoted from its seed. None means the seed sets no such limit.
`install_seed_profiles` writes them to `policy_profile`; an admin may edit a jurisdiction's
profile without a code change.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import sqlalchemy as sa

from portal.domain.models import CaseType, PolicyProfile


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
    extension_needs_approval: bool = False
    reply_days: int | None = None
    rating_levels: int = 2
    weekly_progress_weekday: int | None = None
    overdue_review_day: int | None = None
    ledger_due_day: int | None = None
    daily_tracking: bool = False
    monthly_bulletin: bool = False


SEED_PROFILES: tuple[ProfileSpec, ...] = (
    ProfileSpec(
        # 潮改委发〔2020〕7号 四(四)
        key="chaozhou",
        name="潮州市",
        source="潮州市建立“企业吹哨、部门报到”服务机制工作方案 四(四)",
        # 1. "非现场或电话接收的、有企业联系方式的，应在1个工作日内与企业取得对接联系"
        contact_days=1,
        # 2. "收到本级领导小组办公室转交诉求和意见后5个工作日内办结"
        finish_days=5,
        # 2. "经部门主要领导批准，可以适当延长办理时限，但延长时限最多不得超过10个工作日"
        max_extension_days=10,
        extension_needs_approval=True,
        # 3. "由主办部门在1个工作日内将结果反馈给企业"
        reply_days=1,
        # 4. 满意 / 不满意
        rating_levels=2,
    ),
    ProfileSpec(
        # 城口县“企业吹哨·部门报到”专项行动方案 五(三)
        key="chengkou",
        name="城口县",
        source="城口县“企业吹哨·部门报到”专项行动方案 五(三)",
        # 1. "按事项所涉辖区和职能，在2个工作日内分别交办"
        dispatch_days=2,
        # 2. "原则上在3个工作日内办结，短期内无法办结的，在5个工作日内制定办理计划、承诺办理时限"
        finish_days=3,
        plan_days=5,
        # 3. "满意""基本满意""不满意"
        rating_levels=3,
    ),
    ProfileSpec(
        # 大路街办发〔2021〕34号 二
        key="dalu",
        name="璧山区大路街道",
        source="大路街办发〔2021〕34号 二",
        # 二(三): own matters "迅速高效地回应、办理"; others "及时报送经发办" — at once.
        dispatch_days=0,
        # 二(二): "每月25日前报送经发办"
        ledger_due_day=25,
        rating_levels=2,
    ),
    ProfileSpec(
        # 汕头市政企“直通车”优化工作机制 三
        key="shantou",
        name="汕头市",
        source="汕头市政企“直通车”优化工作机制 三",
        # 三(二): "需在1个工作日内（各功能区、区县可适当延长1个工作日）确认是否受理"
        sign_days=1,
        sign_extra_days_lower_level=1,
        # 三(三): "接到《转办函》后，需在1个工作日内联系诉求企业"
        contact_days=1,
        # 三(三): 咨询类 1, 意见建议类 2, 涉企服务投诉 3 个工作日内办结反馈
        finish_days_by_type={
            CaseType.CONSULTATION.value: 1,
            CaseType.SUGGESTION.value: 2,
            CaseType.COMPLAINT.value: 3,
        },
        # 三(四): "每周四需向工作专班反馈一次进展情况"
        weekly_progress_weekday=3,
        # 三(五): "每月25日将梳理未办结诉求情况"
        overdue_review_day=25,
        rating_levels=2,
    ),
    ProfileSpec(
        # 海企服〔2020〕4号 三
        key="haimen",
        name="海门区",
        source="海企服〔2020〕4号 三",
        # 三(一): "收到问题后，第一时间与企业联系核实"
        contact_days=0,
        # 三(二): "第一时间交办主办部门"
        dispatch_days=0,
        # 三(二): "主办部门对常规问题，3个工作日内给予答复；内容复杂……3个工作日内向企业作出
        # 初步答复，并在承诺的时间内办结"
        finish_days=3,
        plan_days=3,
        # 三(四) "每天跟踪"; 三(五) "每月……在《工作简报》中予以通报"
        daily_tracking=True,
        monthly_bulletin=True,
        rating_levels=2,
    ),
)


def finish_days_for(profile: PolicyProfile, case_type: CaseType) -> int | None:
    """The handling limit for a case of `case_type`: the per-type limit where the profile has
    one (Shantou), else the profile's general limit."""
    by_type = profile.finish_days_by_type or {}
    if case_type.value in by_type:
        return by_type[case_type.value]
    return profile.finish_days


def install_seed_profiles(session) -> dict[str, PolicyProfile]:
    """Create or update the five seed profiles; returns them by key."""
    existing = {p.key: p for p in session.scalars(sa.select(PolicyProfile))}
    for spec in SEED_PROFILES:
        profile = existing.get(spec.key)
        if profile is None:
            profile = PolicyProfile(key=spec.key)
            session.add(profile)
            existing[spec.key] = profile
        for name, value in asdict(spec).items():
            setattr(profile, name, value)
    session.flush()
    return existing
