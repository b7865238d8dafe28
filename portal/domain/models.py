"""The portal's data model: SQLAlchemy 2.0 typed mappings, no Flask.

The words are DOMAIN.md's (jurisdiction, org unit, enterprise, category, case, case event);
where a column carries a rule from a seed, its comment names the seed. The schema itself comes
only from the Alembic revisions in `migrations/`; a test keeps the two in step.
"""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime
from typing import ClassVar

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship, validates

from portal.domain import credit_code

# Stable constraint names, so Alembic can alter them on SQLite and PostgreSQL alike.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING)


class UTCDateTime(sa.types.TypeDecorator):
    """A timestamp stored as naive UTC and returned timezone-aware (UTC) on every database.

    SQLite keeps no zone; PostgreSQL would convert to the session zone. Storing naive UTC
    everywhere gives one meaning, and the domain only ever sees aware datetimes.
    """

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; pass an aware datetime")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


def _enum(cls: type[enum.Enum], length: int = 32) -> sa.Enum:
    """Enums are stored by value as short strings: portable and easy to migrate."""
    return sa.Enum(
        cls,
        native_enum=False,
        length=length,
        validate_strings=True,
        values_callable=lambda members: [m.value for m in members],
    )


# --------------------------------------------------------------------------- enumerations


class JurisdictionLevel(enum.Enum):
    """City 市 → county/district 县/区 (development zones at the same level) → town/street 乡镇/街道
    → village/community 村/社区 (DOMAIN.md, Organisation)."""

    PROVINCE = "province"
    CITY = "city"
    COUNTY = "county"
    ZONE = "zone"
    TOWN = "town"
    VILLAGE = "village"

    @property
    def rank(self) -> int:
        """0 for the city, as the seeds count: a province (issue 16 item 1: the tree starts
        there) sits above it."""
        return {"province": -1, "city": 0, "county": 1, "zone": 1, "town": 2, "village": 3}[
            self.value
        ]


class UnitKind(enum.Enum):
    OFFICE = "office"  # 领导小组办公室 / 工作专班 / 服务企业办 / 经发办
    DEPARTMENT = "department"  # 部门
    SECTION = "section"  # 科室
    SERVICE_CENTRE = "service_centre"  # 服务中心
    VILLAGE_COMMITTEE = "village_committee"  # 村（社区）委员会
    LEADING_GROUP = "leading_group"  # 领导小组
    INSPECTION = "inspection"  # 督查室 (Chengkou 六(二) 政府督查室)


class Role(enum.Enum):
    """DOMAIN.md's roles; one per user."""

    ENTERPRISE = "enterprise"
    OFFICE = "office"
    HANDLER = "handler"
    HEAD = "head"
    LEADER = "leader"
    LIAISON = "liaison"
    INSPECTOR = "inspector"
    ADMIN = "admin"

    @property
    def is_staff(self) -> bool:
        return self is not Role.ENTERPRISE


class EnterpriseKind(enum.Enum):
    ABOVE_SCALE_INDUSTRY = "above_scale_industry"  # 规上工业
    FOUR_ABOVE = "four_above"  # 四上企业 (Chengkou 四)
    SME = "sme"  # 中小微企业
    INDIVIDUAL = "individual"  # 个体工商户


class CaseType(enum.Enum):
    CONSULTATION = "consultation"  # 咨询
    SUGGESTION = "suggestion"  # 意见建议
    COMPLAINT = "complaint"  # 投诉
    BUSINESS = "business"  # 业务办理


class Channel(enum.Enum):
    """来源: the ways a whistle arrives (DOMAIN.md, The case)."""

    PORTAL = "portal"
    HOTLINE_12345 = "hotline_12345"
    PHONE = "phone"
    EMAIL = "email"
    WECHAT = "wechat"
    VISIT = "visit"
    SERVICE_CENTRE = "service_centre"
    DEPUTY = "deputy"  # 党代表/人大代表/政协委员 (Chengkou 五(一)4)
    ASSOCIATION = "association"  # 行业协会、商会代为吹哨 (Chengkou 五(一)5)
    LEADER_VISIT = "leader_visit"  # 双挂钩 (Haimen 三(一))
    LIAISON = "liaison"  # forwarded by a liaison from a contact (Dalu 二(三) "报送经发办")


class CaseState(enum.Enum):
    """The life of a case (DOMAIN.md). Transitions live in `workflow.py`."""

    SUBMITTED = "submitted"  # 待受理
    ACCEPTED = "accepted"  # 受理, awaiting dispatch
    REFUSED = "refused"  # 不予受理
    MERGED = "merged"  # 重复件, attached to another case
    AWAITING_APPROVAL = "awaiting_approval"  # 呈批
    DISPATCHED = "dispatched"  # 交办, awaiting the lead unit's sign
    IN_HAND = "in_hand"  # 签收, being handled
    LONG_TERM = "long_term"  # 待条件成熟
    ESCALATED = "escalated"  # with the office / leading group / higher level
    REPLIED = "replied"  # 办结反馈, awaiting the office's review
    AWAITING_RATING = "awaiting_rating"
    RATED = "rated"
    CLOSED = "closed"  # 销号
    ARCHIVED = "archived"  # 归档

    # Named groups of states, each rule's one home (set below the class; issue 19). Domain
    # modules import them and templates ask `Case`'s properties, never comparing values.
    FINISHED: ClassVar[frozenset[CaseState]]
    OPEN: ClassVar[frozenset[CaseState]]
    CLOSED_OFF: ClassVar[frozenset[CaseState]]
    UNFINISHED: ClassVar[frozenset[CaseState]]
    IN_PROGRESS: ClassVar[frozenset[CaseState]]
    WITH_UNIT: ClassVar[frozenset[CaseState]]
    UNIT_ON_CLOCK: ClassVar[frozenset[CaseState]]
    CONTACT_ON_CLOCK: ClassVar[frozenset[CaseState]]
    HANDLING: ClassVar[frozenset[CaseState]]
    REPLY_OUT: ClassVar[frozenset[CaseState]]


_S = CaseState
# Nothing more is owed to the enterprise: refused, merged, rated (a rating settles it; the
# office may still call back and close off), closed off, archived. Duplicates, figures and
# the retention of tracking links count these as done.
CaseState.FINISHED = frozenset({_S.REFUSED, _S.MERGED, _S.RATED, _S.CLOSED, _S.ARCHIVED})
CaseState.OPEN = frozenset(CaseState) - CaseState.FINISHED
# Done with for good, not counting a rated case the office has not yet closed off (the
# difficult-case list keeps those as candidates).
CaseState.CLOSED_OFF = frozenset({_S.REFUSED, _S.MERGED, _S.CLOSED, _S.ARCHIVED})
# Taken on and its reply not yet out to the enterprise.
CaseState.UNFINISHED = frozenset(
    {
        _S.ACCEPTED,
        _S.AWAITING_APPROVAL,
        _S.DISPATCHED,
        _S.IN_HAND,
        _S.LONG_TERM,
        _S.ESCALATED,
        _S.REPLIED,
    }
)
# The lead unit holds the case: dispatched to it, in hand, or kept open as long-term.
CaseState.WITH_UNIT = frozenset({_S.DISPATCHED, _S.IN_HAND, _S.LONG_TERM})
# Dispatched and not yet replied: with the unit, or escalated above it (supervision).
CaseState.IN_PROGRESS = CaseState.WITH_UNIT | {_S.ESCALATED}
# The lead unit owes a dated step (sign, finish) and its first contact with the enterprise.
CaseState.UNIT_ON_CLOCK = frozenset({_S.DISPATCHED, _S.IN_HAND})
# Owing the first contact with the enterprise: from acceptance until contact is made
# (Chaozhou 四(四)1 "应在1个工作日内与企业取得对接联系").
CaseState.CONTACT_ON_CLOCK = frozenset({_S.ACCEPTED, _S.DISPATCHED, _S.IN_HAND})
# Signed for and being worked on (in hand, or long-term).
CaseState.HANDLING = frozenset({_S.IN_HAND, _S.LONG_TERM})
# The reply reached the enterprise (the office approved it, or answered on the spot).
CaseState.REPLY_OUT = frozenset({_S.AWAITING_RATING, _S.RATED, _S.CLOSED, _S.ARCHIVED})


class EventAction(enum.StrEnum):
    """What a case event records (`CaseEvent.action`): the verbs' own words, stored as these
    strings. A step may write more than one (a dispatch needing a leader's approval writes
    `request_approval`; the office's approval of a reply writes `publish_reply`)."""

    REGISTER = "register"
    SUPPLEMENT = "supplement"  # the enterprise added information (or a duplicate merged in)
    ACCEPT = "accept"
    REFUSE = "refuse"
    MERGE = "merge"
    ANSWER = "answer"
    CONTACT = "contact"
    DISPATCH = "dispatch"
    REQUEST_APPROVAL = "request_approval"
    APPROVE_DISPATCH = "approve_dispatch"
    REJECT_DISPATCH = "reject_dispatch"
    SIGN = "sign"
    RETURN = "return"
    RULE_ON_RETURN = "rule_on_return"
    PROGRESS = "progress"
    CONTRIBUTE = "contribute"
    PLAN = "plan"
    REQUEST_EXTENSION = "request_extension"
    DECIDE_EXTENSION = "decide_extension"
    LONG_TERM = "long_term"
    STOP_CLOCK = "stop_clock"
    RESUME_CLOCK = "resume_clock"
    ESCALATE = "escalate"
    REFER_TO_LEADERS = "refer_to_leaders"
    REFER_UP = "refer_up"
    INSTRUCT = "instruct"
    REPLY = "reply"  # the lead unit's draft, for the office's review
    PUBLISH_REPLY = "publish_reply"  # the reply reaches the enterprise
    SEND_BACK = "send_back"
    RATE = "rate"
    CALLBACK = "callback"
    SUPERVISE = "supervise"
    OVERDUE = "overdue"  # written by the scheduler
    ANSWER_SUPERVISION = "answer_supervision"
    HOLD_ACCOUNTABLE = "hold_accountable"
    CLOSE = "close"
    ARCHIVE = "archive"
    # The office's decisions by hand on the city meeting's list (Shantou 四).
    MEETING_ADD = "meeting_add"
    MEETING_REMOVE = "meeting_remove"


class NoticeChannel(enum.StrEnum):
    """How a notification travels (`Notification.channel`)."""

    IN_APP = "in_app"
    SMS = "sms"
    EMAIL = "email"
    WEBHOOK = "webhook"  # a work order's own system, by a signed POST (issue 10)


class NoticeStatus(enum.StrEnum):
    """Where a notification stands (`Notification.status`)."""

    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


class RatingLevel(enum.Enum):
    """服务反馈评价: 满意 / 基本满意 / 不满意 (Chengkou 五(三)3; Chaozhou and Haimen use two)."""

    SATISFIED = "satisfied"
    BASICALLY = "basically_satisfied"
    UNSATISFIED = "unsatisfied"


class ContactMethod(enum.Enum):
    """联系形式 (Dalu 二(一) "可通过电话、座谈、实地走访等形式")."""

    PHONE = "phone"  # 电话
    TALKS = "talks"  # 座谈
    VISIT = "visit"  # 走访
    OTHER = "other"  # 其他


class CalendarDayKind(enum.Enum):
    HOLIDAY = "holiday"
    WORKDAY = "workday"


# --------------------------------------------------------------------------- organisation


class PolicyProfile(Base):
    """One jurisdiction's time limits, as data (DOMAIN.md "Time limits are policy, not code").

    All counts are working days. NULL means the seed sets no such limit. The five seeds'
    profiles are in `policies.SEED_PROFILES`.
    """

    __tablename__ = "policy_profile"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(32), unique=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    source: Mapped[str] = mapped_column(sa.String(200))
    contact_days: Mapped[int | None]
    dispatch_days: Mapped[int | None]
    sign_days: Mapped[int | None]
    sign_extra_days_lower_level: Mapped[int] = mapped_column(default=0)
    finish_days: Mapped[int | None]
    finish_days_by_type: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    plan_days: Mapped[int | None]
    max_extension_days: Mapped[int | None]
    # Every extension is the unit head's to decide (Chaozhou 四(四)2 "经部门主要领导批准";
    # `workflow.decide_extension`): the flag that said so, read by nothing, is gone (0017).
    reply_days: Mapped[int | None]
    rating_levels: Mapped[int] = mapped_column(default=2)
    # Chaozhou 四(四)4: the enterprise rates "在一定时间内"; the seeds give no number, so the
    # window is the profile's to set (5 working days unless an admin changes it).
    rating_window_days: Mapped[int] = mapped_column(default=5, server_default="5")
    weekly_progress_weekday: Mapped[int | None]  # 0 = Monday … 3 = Thursday (Shantou)
    overdue_review_day: Mapped[int | None]  # day of month (Shantou 25th)
    ledger_due_day: Mapped[int | None]  # day of month (Dalu 25th)
    daily_tracking: Mapped[bool] = mapped_column(default=False)
    monthly_bulletin: Mapped[bool] = mapped_column(default=False)
    # The rest are the mechanism's own limits that the seeds leave to the office: editable
    # defaults, each said where it is used in `workflow.py`.
    return_ruling_days: Mapped[int] = mapped_column(default=1, server_default="1")
    # DOMAIN.md 8: the reply reaches the office "within 1 working day of completion; the
    # office reviews the result (审核)" — the office's review takes at most this long.
    review_days: Mapped[int] = mapped_column(default=1, server_default="1")
    supervision_reply_days: Mapped[int] = mapped_column(default=3, server_default="3")
    max_rehandle_rounds: Mapped[int] = mapped_column(default=2, server_default="2")
    callback_sample_percent: Mapped[int] = mapped_column(default=20, server_default="20")
    # Chaozhou 四(四)4 "对……超时办理的……进行督办": an overdue step opens supervision.
    supervise_overdue: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    clock_stop_allowed: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    # Chengkou 五(三)3 "对‘不满意’等次事项按规定给予扣分": points deducted from the lead unit
    # for each 不满意 rating, in the figures and the bulletin; None: no deduction.
    unsatisfied_deduction: Mapped[int | None]
    # A seed's preset (installed by migration 0016) is read-only: an administrator copies it
    # and edits the copy. `clauses` quotes, for each number, the seed clause it comes from
    # (or, after an edit, the administrator's reason); `revision` is the number of the
    # latest `PolicyRevision`.
    preset: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    based_on_id: Mapped[int | None] = mapped_column(sa.ForeignKey("policy_profile.id"))
    clauses: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    revision: Mapped[int] = mapped_column(default=0, server_default="0")

    based_on: Mapped[PolicyProfile | None] = relationship(remote_side=[id])
    revisions: Mapped[list[PolicyRevision]] = relationship(
        back_populates="profile", order_by="PolicyRevision.number"
    )

    def terms(self) -> PolicyTerms:
        """The limits as they stand now (what a new revision records)."""
        return PolicyTerms({name: getattr(self, name) for name in POLICY_TERMS}, self)

    def __repr__(self) -> str:
        return f"<PolicyProfile {self.key}>"


# The columns of a profile that are limits (what a revision keeps and a case is held to).
POLICY_TERMS = (
    "contact_days",
    "dispatch_days",
    "sign_days",
    "sign_extra_days_lower_level",
    "finish_days",
    "finish_days_by_type",
    "plan_days",
    "max_extension_days",
    "reply_days",
    "rating_levels",
    "rating_window_days",
    "weekly_progress_weekday",
    "overdue_review_day",
    "ledger_due_day",
    "daily_tracking",
    "monthly_bulletin",
    "return_ruling_days",
    "review_days",
    "supervision_reply_days",
    "max_rehandle_rounds",
    "callback_sample_percent",
    "supervise_overdue",
    "clock_stop_allowed",
    "unsatisfied_deduction",
)


class PolicyTerms:
    """A profile's limits frozen at one revision, read like the profile itself
    (`terms.finish_days`). A limit the revision predates reads the profile's current value."""

    def __init__(self, values: dict, profile: PolicyProfile):
        self._values, self._profile = dict(values), profile

    def __getattr__(self, name: str):
        if name.startswith("_"):
            raise AttributeError(name)
        if name in self._values:
            return self._values[name]
        return getattr(self._profile, name)


def with_own_limits(
    base: PolicyTerms | PolicyProfile | None, own: dict | None
) -> PolicyTerms | PolicyProfile | None:
    """`base`'s limits with a case's own over them (`Case.own_limits`)."""
    if not own or base is None:
        return base
    terms = base if isinstance(base, PolicyTerms) else base.terms()
    return PolicyTerms({**terms._values, **own}, terms._profile)


class PolicyRevision(Base):
    """One state of a profile's limits: revision 1 when it is installed or copied, one more
    at each edit (who, when, why). A case dispatched under a revision keeps its limits
    (`Case.policy_revision`) whatever later edits say."""

    __tablename__ = "policy_revision"
    __table_args__ = (sa.UniqueConstraint("profile_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    profile_id: Mapped[int] = mapped_column(sa.ForeignKey("policy_profile.id"), index=True)
    number: Mapped[int]
    values: Mapped[dict] = mapped_column(sa.JSON)
    note: Mapped[str] = mapped_column(sa.String(300), default="")
    by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime)

    profile: Mapped[PolicyProfile] = relationship(back_populates="revisions")
    by: Mapped[User | None] = relationship()

    @property
    def terms(self) -> PolicyTerms:
        return PolicyTerms(self.values, self.profile)


class Jurisdiction(Base):
    __tablename__ = "jurisdiction"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(12), unique=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    level: Mapped[JurisdictionLevel] = mapped_column(_enum(JurisdictionLevel))
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("jurisdiction.id"), index=True)
    policy_id: Mapped[int | None] = mapped_column(sa.ForeignKey("policy_profile.id"))

    parent: Mapped[Jurisdiction | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[Jurisdiction]] = relationship(back_populates="parent")
    policy: Mapped[PolicyProfile | None] = relationship()
    units: Mapped[list[OrgUnit]] = relationship(back_populates="jurisdiction")

    @property
    def ancestors(self) -> list[Jurisdiction]:
        """This jurisdiction's parents, nearest first."""
        found, node = [], self.parent
        while node is not None:
            found.append(node)
            node = node.parent
        return found

    @property
    def effective_policy(self) -> PolicyProfile | None:
        """The profile in force: this jurisdiction's own, else the nearest parent's."""
        for node in [self, *self.ancestors]:
            if node.policy is not None:
                return node.policy
        return None

    def __repr__(self) -> str:
        return f"<Jurisdiction {self.code} {self.name}>"


class OrgUnit(Base):
    __tablename__ = "org_unit"
    __table_args__ = (sa.UniqueConstraint("jurisdiction_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    jurisdiction_id: Mapped[int] = mapped_column(sa.ForeignKey("jurisdiction.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    kind: Mapped[UnitKind] = mapped_column(_enum(UnitKind))
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("org_unit.id"))
    phone: Mapped[str | None] = mapped_column(sa.String(40))
    address: Mapped[str | None] = mapped_column(sa.String(200))
    active: Mapped[bool] = mapped_column(default=True)
    # The people the monthly ledger names (Dalu 附件1-4): 科室负责人 or 村（社区）书记, and the
    # 分管领导 who is the unit's 联系服务领导. Not necessarily users of the portal.
    head_name: Mapped[str | None] = mapped_column(sa.String(64))
    head_phone: Mapped[str | None] = mapped_column(sa.String(40))
    leader_name: Mapped[str | None] = mapped_column(sa.String(64))
    leader_phone: Mapped[str | None] = mapped_column(sa.String(40))

    jurisdiction: Mapped[Jurisdiction] = relationship(back_populates="units")
    parent: Mapped[OrgUnit | None] = relationship(remote_side=[id])

    @property
    def is_office(self) -> bool:
        return self.kind is UnitKind.OFFICE

    def __repr__(self) -> str:
        return f"<OrgUnit {self.name}>"


class User(Base):
    """A person who signs in. Staff sign in by username, enterprise users by mobile number."""

    __tablename__ = "user"
    __table_args__ = (
        sa.CheckConstraint(
            "(role = 'enterprise') = (enterprise_id IS NOT NULL)", name="enterprise_link"
        ),
        sa.CheckConstraint("username IS NOT NULL OR mobile IS NOT NULL", name="login_name"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    mobile: Mapped[str | None] = mapped_column(sa.String(20), unique=True)
    name: Mapped[str] = mapped_column(sa.String(64))
    phone: Mapped[str | None] = mapped_column(sa.String(40))
    email: Mapped[str | None] = mapped_column(sa.String(200))  # for notifications
    role: Mapped[Role] = mapped_column(_enum(Role))
    unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("org_unit.id"), index=True)
    enterprise_id: Mapped[int | None] = mapped_column(sa.ForeignKey("enterprise.id"), index=True)
    password_hash: Mapped[str] = mapped_column(sa.String(256))
    active: Mapped[bool] = mapped_column(default=True)
    # Bumped on logout, disable or admin action: every older session cookie stops working.
    session_version: Mapped[int] = mapped_column(default=1)
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # A one-time password (from an admin or the bootstrap command) or an expired one: every
    # page leads to the change-password page until a new one is chosen (SECURITY.md 8).
    must_change_password: Mapped[bool] = mapped_column(default=False)
    password_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The TOTP second factor (SECURITY.md 9, 等保 level 3), base32; the last time step
    # accepted, so a code is used once.
    totp_secret: Mapped[str | None] = mapped_column(sa.String(64))
    totp_last_step: Mapped[int | None] = mapped_column(sa.BigInteger)
    # When the mobile number was shown to be this user's by a one-time SMS code (issue 17
    # item 7): at registration, when added by a colleague, or at a claim. Only a verified
    # mobile receives the code that skips a sign-in delay.
    mobile_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    unit: Mapped[OrgUnit | None] = relationship()
    enterprise: Mapped[Enterprise | None] = relationship(
        foreign_keys=[enterprise_id], back_populates="users"
    )

    # Flask-Login's user protocol, in plain Python. The id carries the session version, so
    # bumping the version ends every session that holds the old one.
    is_authenticated = True
    is_anonymous = False

    @property
    def is_active(self) -> bool:
        return self.active

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    def is_locked(self, now: datetime) -> bool:
        return self.locked_until is not None and self.locked_until > now

    @property
    def has_second_factor(self) -> bool:
        return self.totp_secret is not None

    def __repr__(self) -> str:
        return f"<User {self.username or self.mobile} {self.role.value}>"


class Enterprise(Base):
    """The enterprise registry. Individual businesses (个体工商户) may have no credit code."""

    __tablename__ = "enterprise"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200), index=True)
    credit_code: Mapped[str | None] = mapped_column(sa.String(18), unique=True)
    kind: Mapped[EnterpriseKind] = mapped_column(_enum(EnterpriseKind))
    industry: Mapped[str | None] = mapped_column(sa.String(100))
    address: Mapped[str | None] = mapped_column(sa.String(200))
    contact_name: Mapped[str | None] = mapped_column(sa.String(64))
    contact_phone: Mapped[str | None] = mapped_column(sa.String(40))
    jurisdiction_id: Mapped[int] = mapped_column(sa.ForeignKey("jurisdiction.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # An individual business registered under the exact name of a registered company waits
    # for the office: "pending", then None when confirmed, or "refused" (accounts.py).
    name_check: Mapped[str | None] = mapped_column(sa.String(16))

    jurisdiction: Mapped[Jurisdiction] = relationship()
    users: Mapped[list[User]] = relationship(
        foreign_keys=[User.enterprise_id], back_populates="enterprise"
    )
    liaison: Mapped[LiaisonAssignment | None] = relationship(back_populates="enterprise")

    @validates("credit_code")
    def _check_credit_code(self, _key: str, value: str | None) -> str | None:
        """Store the code normalised; refuse one whose check character is wrong."""
        if value is None or not value.strip():
            return None
        code = credit_code.normalise(value)
        if not credit_code.is_valid(code):
            raise ValueError(f"invalid unified social credit code: {value!r}")
        return code

    def __repr__(self) -> str:
        return f"<Enterprise {self.name}>"


class LiaisonAssignment(Base):
    """Full-coverage contact (Dalu 一): every enterprise has a responsible unit and a liaison
    person who contacts it at least once a month."""

    __tablename__ = "liaison_assignment"

    enterprise_id: Mapped[int] = mapped_column(sa.ForeignKey("enterprise.id"), primary_key=True)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("org_unit.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"), index=True)
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime)

    enterprise: Mapped[Enterprise] = relationship(back_populates="liaison")
    unit: Mapped[OrgUnit] = relationship()
    user: Mapped[User | None] = relationship()


class AssignmentRule(Base):
    """Which unit contacts which enterprises (Dalu 一 "具体分工如下"): rules tried in order,
    the first that matches wins. A rule matches an enterprise kind, any of some industry
    words, or both; `to_village` sends the enterprise to the committee of the village or
    community it is in ("各村（社区）负责餐饮以外的个体工商户")."""

    __tablename__ = "assignment_rule"

    id: Mapped[int] = mapped_column(primary_key=True)
    jurisdiction_id: Mapped[int] = mapped_column(sa.ForeignKey("jurisdiction.id"), index=True)
    position: Mapped[int]
    description: Mapped[str] = mapped_column(sa.String(200))
    kind: Mapped[EnterpriseKind | None] = mapped_column(_enum(EnterpriseKind))
    not_kind: Mapped[EnterpriseKind | None] = mapped_column(_enum(EnterpriseKind))
    industries: Mapped[str] = mapped_column(sa.String(300), default="")  # words, "、"-separated
    unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("org_unit.id"))
    to_village: Mapped[bool] = mapped_column(default=False, server_default=sa.false())

    unit: Mapped[OrgUnit | None] = relationship()

    @property
    def words(self) -> list[str]:
        return [w.strip() for w in self.industries.replace(",", "、").split("、") if w.strip()]

    def matches(self, enterprise: Enterprise) -> bool:
        if self.kind is not None and enterprise.kind is not self.kind:
            return False
        if self.not_kind is not None and enterprise.kind is self.not_kind:
            return False
        if self.words and not any(w in (enterprise.industry or "") for w in self.words):
            return False
        return True


category_lead_unit = sa.Table(
    "category_lead_unit",
    Base.metadata,
    sa.Column("category_id", sa.ForeignKey("category.id"), primary_key=True),
    sa.Column("unit_id", sa.ForeignKey("org_unit.id"), primary_key=True),
)


# The units that co-handle a category's cases by default (issue 16 item 1).
category_co_handler = sa.Table(
    "category_co_handler",
    Base.metadata,
    sa.Column("category_id", sa.ForeignKey("category.id"), primary_key=True),
    sa.Column("unit_id", sa.ForeignKey("org_unit.id"), primary_key=True),
)


class Category(Base):
    """A whistle category of one jurisdiction, with the departments that lead on it
    (Chaozhou 四(一) 1-11; Chengkou 五(二) 1-7)."""

    __tablename__ = "category"
    __table_args__ = (sa.UniqueConstraint("jurisdiction_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    jurisdiction_id: Mapped[int] = mapped_column(sa.ForeignKey("jurisdiction.id"), index=True)
    number: Mapped[int]
    name: Mapped[str] = mapped_column(sa.String(100))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    responsible: Mapped[str] = mapped_column(sa.String(300), default="")  # the seed's words
    active: Mapped[bool] = mapped_column(default=True)

    jurisdiction: Mapped[Jurisdiction] = relationship()
    lead_units: Mapped[list[OrgUnit]] = relationship(secondary=category_lead_unit)
    co_handlers: Mapped[list[OrgUnit]] = relationship(secondary=category_co_handler)

    def __repr__(self) -> str:
        return f"<Category {self.number} {self.name}>"


# --------------------------------------------------------------------------- cases


case_co_handler = sa.Table(
    "case_co_handler",
    Base.metadata,
    sa.Column("case_id", sa.ForeignKey("case.id"), primary_key=True),
    sa.Column("unit_id", sa.ForeignKey("org_unit.id"), primary_key=True),
)


class CaseNumberCounter(Base):
    """The last number issued per jurisdiction and year (Haimen 四(三) 统一编号登记).

    Incremented inside the transaction that creates the case, so a rolled-back case gives
    its number back and the sequence stays gap-free; see `numbering.next_case_number`.
    """

    __tablename__ = "case_number_counter"

    jurisdiction_id: Mapped[int] = mapped_column(sa.ForeignKey("jurisdiction.id"), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    last_value: Mapped[int] = mapped_column(default=0)


# The due key of a case that waits on no deadline: after every real date.
NO_DUE = date(9999, 12, 31)


class Case(Base):
    """诉求件: one whistle, registered with Chaozhou 附件2's fields."""

    __tablename__ = "case"
    __table_args__ = (
        sa.UniqueConstraint("jurisdiction_id", "year", "seq"),
        # The queues' order (most urgent first, then newest) walked from the top, the office
        # desk's conditions and the search by name read from an index alone, each with the
        # jurisdiction every office's scope tests (bench/queues.py).
        sa.Index(
            "ix_case_queue_order",
            "due_key",
            sa.desc("received_at"),
            sa.desc("id"),
            "jurisdiction_id",
        ),
        sa.Index(
            "ix_case_office_desk",
            "office_id",
            "state",
            "with_leaders",
            "needs_callback",
            "rating_due",
            "jurisdiction_id",
        ),
        sa.Index("ix_case_applicant", "applicant_name", "jurisdiction_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(sa.String(32), unique=True)
    jurisdiction_id: Mapped[int] = mapped_column(sa.ForeignKey("jurisdiction.id"), index=True)
    year: Mapped[int]
    seq: Mapped[int]

    # Who whistled (企业名称（姓名）、有效联系方式)
    enterprise_id: Mapped[int | None] = mapped_column(sa.ForeignKey("enterprise.id"), index=True)
    applicant_name: Mapped[str] = mapped_column(sa.String(200))
    contact_name: Mapped[str] = mapped_column(sa.String(64))
    contact_phone: Mapped[str] = mapped_column(sa.String(40))

    # What (诉求和意见)
    title: Mapped[str] = mapped_column(sa.String(200))
    content: Mapped[str] = mapped_column(sa.Text)
    category_id: Mapped[int | None] = mapped_column(sa.ForeignKey("category.id"))
    type: Mapped[CaseType] = mapped_column(_enum(CaseType))
    channel: Mapped[Channel] = mapped_column(_enum(Channel))

    # When and by whom received (受理时间、受理单位、受理人)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    receiving_unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("org_unit.id"))
    received_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    submitted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))

    state: Mapped[CaseState] = mapped_column(_enum(CaseState), index=True)
    lead_unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("org_unit.id"), index=True)
    # The office answerable for the case now: the receiving office, or the office above it
    # once escalated a level (county → city).
    office_id: Mapped[int | None] = mapped_column(sa.ForeignKey("org_unit.id"), index=True)
    duplicate_of_id: Mapped[int | None] = mapped_column(sa.ForeignKey("case.id"))

    # Deadlines, as dates: the last working day on which the step is still in time.
    contact_due: Mapped[date | None]
    dispatch_due: Mapped[date | None]
    sign_due: Mapped[date | None]
    finish_due: Mapped[date | None]
    # The office reviews the lead unit's reply by `review_due`; the unit head answers the
    # open 督办单 by `supervision_due` (a copy of its `reply_due`, for sorting queues).
    review_due: Mapped[date | None]
    supervision_due: Mapped[date | None]
    # `current_due`, stored for the queues to sort and filter on an index: written before
    # every flush of the case (`_keep_due_keys`); NO_DUE when the case waits on nothing.
    due_key: Mapped[date] = mapped_column(default=NO_DUE, server_default=NO_DUE.isoformat())
    # The latest rating, kept on the case (written with the rating, in the same step) so
    # that the figures read one row per case: satisfaction, resolution, meeting rules.
    rating_level: Mapped[RatingLevel | None] = mapped_column(_enum(RatingLevel))
    rating_solved: Mapped[bool | None]
    contacted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    dispatched_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The lead unit sent it back (退回); the office rules on it by `return_due`.
    return_pending: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    return_due: Mapped[date | None]
    # Escalated to the leading group (the leaders decide), and whether leaders ever had it
    # (a leader sees what was put before it: 呈批 and escalations).
    with_leaders: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    leaders_involved: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    rehandle_rounds: Mapped[int] = mapped_column(default=0, server_default="0")
    # The last day to rate the reply it has (set when the reply reaches the enterprise), and
    # whether the office owes a callback (a satisfied case drawn for the sample).
    rating_due: Mapped[date | None]
    needs_callback: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    accountability: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    clock_stopped_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    # Idempotent retries: the form's hidden key (SECURITY.md "nothing lost" 2).
    submission_key: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    # The short link in SMS messages: sha256 of a random code, never the code itself.
    tracking_hash: Mapped[str | None] = mapped_column(sa.String(64), index=True, unique=True)
    # 督办: set by an unsatisfied rating or an overdue step (Chaozhou 四(四)4).
    under_supervision: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    reply_text: Mapped[str | None] = mapped_column(sa.Text)
    replied_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    version_id: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Every step writes it (`workflow.record_event`), so every step updates the case row and
    # moves its version: two staff adding an extension request or a part at once cannot both
    # pass a check made on the same state (SECURITY.md "nothing lost" 3).
    last_event_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The policy revision the case was dispatched under: its later clocks keep those limits
    # even when an administrator edits the profile afterwards (issue 16 item 3).
    policy_revision_id: Mapped[int | None] = mapped_column(sa.ForeignKey("policy_revision.id"))
    # Limits the case carries from where it came, over its profile's (names of POLICY_TERMS):
    # a 12345 work order's own (Chaozhou 四(四)1 "企业在潮州市12345投诉平台反映的诉求和意见，
    # 按照12345平台的工作流程和处理时限办理"; Shantou 三(一)2). None: the profile's alone.
    own_limits: Mapped[dict | None] = mapped_column(sa.JSON)

    __mapper_args__ = {"version_id_col": version_id}

    jurisdiction: Mapped[Jurisdiction] = relationship()
    enterprise: Mapped[Enterprise | None] = relationship()
    category: Mapped[Category | None] = relationship()
    receiving_unit: Mapped[OrgUnit | None] = relationship(foreign_keys=[receiving_unit_id])
    received_by: Mapped[User | None] = relationship(foreign_keys=[received_by_id])
    submitted_by: Mapped[User | None] = relationship(foreign_keys=[submitted_by_id])
    lead_unit: Mapped[OrgUnit | None] = relationship(foreign_keys=[lead_unit_id])
    office: Mapped[OrgUnit | None] = relationship(foreign_keys=[office_id])
    co_handlers: Mapped[list[OrgUnit]] = relationship(secondary=case_co_handler)
    duplicate_of: Mapped[Case | None] = relationship(remote_side=[id])
    events: Mapped[list[CaseEvent]] = relationship(back_populates="case", order_by="CaseEvent.id")
    attachments: Mapped[list[Attachment]] = relationship(back_populates="case")
    ratings: Mapped[list[Rating]] = relationship(back_populates="case", order_by="Rating.id")
    extensions: Mapped[list[ExtensionRequest]] = relationship(
        back_populates="case", order_by="ExtensionRequest.id"
    )
    supervisions: Mapped[list[Supervision]] = relationship(
        back_populates="case", order_by="Supervision.id"
    )
    policy_revision: Mapped[PolicyRevision | None] = relationship()

    @property
    def policy(self) -> PolicyTerms | PolicyProfile | None:
        """The limits the case is held to: those of the revision it was dispatched under,
        else (not yet dispatched) its jurisdiction's effective profile as it stands; with
        the case's own limits (`own_limits`, a 12345 work order's) over either."""
        if self.policy_revision is not None:
            base: PolicyTerms | PolicyProfile | None = self.policy_revision.terms
        else:
            base = self.jurisdiction.effective_policy
        return with_own_limits(base, self.own_limits)

    @property
    def awaiting_triage(self) -> bool:
        return self.state is CaseState.SUBMITTED

    @property
    def current_due(self) -> date | None:
        """The earliest deadline the case is waiting on, if any: the step's own (contact,
        dispatch or ruling on a return, sign, finish, the office's review of the reply), the
        lead unit's contact with the enterprise while it has not happened (Shantou 三(三)
        "接到《转办函》后，需在1个工作日内联系诉求企业"; the office's, Chaozhou 四(四)1 "应在1个
        工作日内与企业取得对接联系", which accepting the case does not end), and the open
        督办单's reply limit."""
        step = {
            CaseState.SUBMITTED: None if self.contacted_at else self.contact_due,
            CaseState.ACCEPTED: self.return_due if self.return_pending else self.dispatch_due,
            CaseState.DISPATCHED: self.sign_due,
            CaseState.IN_HAND: None if self.clock_stopped_at else self.finish_due,
            CaseState.REPLIED: self.review_due,
        }.get(self.state)
        owed = [step, self.supervision_due if self.under_supervision else None]
        if (
            self.state in CaseState.CONTACT_ON_CLOCK
            and not self.contacted_at
            and not self.clock_stopped_at
        ):  # stopped: it waits for the enterprise's papers
            owed.append(self.contact_due)
        return min((d for d in owed if d is not None), default=None)

    @property
    def reply_published(self) -> bool:
        """The enterprise has the reply (the office approved it, or answered on the spot):
        what a work order's system is told and what may become a published answer."""
        return bool(self.reply_text) and self.state in CaseState.REPLY_OUT

    @property
    def holder(self) -> OrgUnit | None:
        """The unit that has the case in hand now: the lead unit once dispatched, else the
        office that received it."""
        if self.with_unit and self.lead_unit is not None:
            return self.lead_unit
        if self.state is CaseState.ESCALATED and self.with_leaders:
            return None  # the leading group; pages say so in words
        return self.office or self.receiving_unit

    @property
    def is_open(self) -> bool:
        return self.state in CaseState.OPEN

    @property
    def with_unit(self) -> bool:
        """The lead unit holds the case (dispatched, in hand or long-term)."""
        return self.state in CaseState.WITH_UNIT

    @property
    def awaiting_reply_review(self) -> bool:
        """The lead unit replied; the office reviews the reply before the enterprise sees it."""
        return self.state is CaseState.REPLIED

    @property
    def awaiting_rating(self) -> bool:
        return self.state is CaseState.AWAITING_RATING

    def is_overdue(self, today: date) -> bool:
        """A step is overdue once its due date has passed and the step is not done."""
        due = self.current_due
        return due is not None and today > due

    def contact_overdue(self, today: date) -> bool:
        """Chaozhou 四(四)1 "应在1个工作日内与企业取得对接联系": the first contact is late."""
        return (
            self.contacted_at is None
            and self.contact_due is not None
            and today > self.contact_due
            and self.is_open
        )

    def callback_due(self, today: date) -> bool:
        """The office owes the enterprise a callback: asked for one (a sample, an
        unreachable rating), or the rating window passed without a rating."""
        return self.needs_callback or (
            self.awaiting_rating and self.rating_due is not None and today > self.rating_due
        )

    def __repr__(self) -> str:
        return f"<Case {self.number} {self.state.value}>"


class CaseEvent(Base):
    """One step in a case's life: who, when, what, from which state to which, why.

    Append-only: triggers in the migration refuse UPDATE and DELETE on every database.
    """

    __tablename__ = "case_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("case.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))  # None: system
    actor_unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("org_unit.id"))
    action: Mapped[str] = mapped_column(sa.String(40), index=True)  # figures group on it
    from_state: Mapped[CaseState | None] = mapped_column(_enum(CaseState))
    to_state: Mapped[CaseState | None] = mapped_column(_enum(CaseState))
    note: Mapped[str] = mapped_column(sa.Text, default="")
    visible_to_enterprise: Mapped[bool] = mapped_column(default=False)
    # The step's particulars (a reason code, a contact method, extension days, a callback's
    # answers), so that figures can group on them.
    data: Mapped[dict | None] = mapped_column(sa.JSON)

    case: Mapped[Case] = relationship(back_populates="events")
    actor: Mapped[User | None] = relationship()
    actor_unit: Mapped[OrgUnit | None] = relationship()

    # Notes the enterprise reads in its timeline; others are internal bookkeeping (the
    # registration note is the channel, supervision's is the reason code).
    _NOTE_SHOWN = frozenset(
        {
            EventAction.SUPPLEMENT,
            EventAction.ANSWER,
            EventAction.PUBLISH_REPLY,
            EventAction.RATE,
            EventAction.DECIDE_EXTENSION,
            EventAction.PLAN,
            EventAction.REFUSE,
            EventAction.MERGE,
            EventAction.PROGRESS,
            EventAction.LONG_TERM,
        }
    )

    @property
    def note_for_enterprise(self) -> str:
        return self.note if self.visible_to_enterprise and self.action in self._NOTE_SHOWN else ""


class Attachment(Base):
    """Metadata of a file attached to a case; the bytes live outside `static/` under a
    random name (SECURITY.md, Uploads)."""

    __tablename__ = "attachment"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("case.id"), index=True)
    event_id: Mapped[int | None] = mapped_column(sa.ForeignKey("case_event.id"))
    filename: Mapped[str] = mapped_column(sa.String(200))
    stored_name: Mapped[str] = mapped_column(sa.String(64), unique=True)
    content_type: Mapped[str] = mapped_column(sa.String(100))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(sa.String(64))
    uploaded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    visible_to_enterprise: Mapped[bool] = mapped_column(default=True)

    case: Mapped[Case] = relationship(back_populates="attachments")
    event: Mapped[CaseEvent | None] = relationship()


class Rating(Base):
    """服务反馈评价单 (Chaozhou 附件3): one rating per reply. A case handled again after an
    unsatisfied rating is replied to again, and that reply is rated on its own."""

    __tablename__ = "rating"
    __table_args__ = (sa.UniqueConstraint("case_id", "reply_event_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("case.id"), index=True)
    reply_event_id: Mapped[int] = mapped_column(sa.ForeignKey("case_event.id"))
    level: Mapped[RatingLevel] = mapped_column(_enum(RatingLevel))
    solved: Mapped[bool]
    comment: Mapped[str] = mapped_column(sa.Text, default="")
    rated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime)

    case: Mapped[Case] = relationship(back_populates="ratings")


class ExtensionRequest(Base):
    """延期申请: the lead unit asks for more time with a reason; the unit's head decides
    (Chaozhou 四(四)2 "经部门主要领导批准，可以适当延长办理时限，
    但延长时限最多不得超过10个工作日")."""

    __tablename__ = "extension_request"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("case.id"), index=True)
    days: Mapped[int]
    reason: Mapped[str] = mapped_column(sa.Text)
    requested_by_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime)
    approved: Mapped[bool | None]  # None while waiting for the head
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_note: Mapped[str] = mapped_column(sa.Text, default="")
    new_due: Mapped[date | None]

    case: Mapped[Case] = relationship(back_populates="extensions")


class Supervision(Base):
    """督办单: a numbered supervision notice to the lead unit's head, with its own reply limit
    (Chaozhou 四(四)4 "由本级领导小组办公室进行督办"; Shantou 三(五) 督办催办)."""

    __tablename__ = "supervision"
    __table_args__ = (
        sa.Index("uq_supervision_office_year_seq", "office_id", "year", "seq", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("case.id"), index=True)
    office_id: Mapped[int] = mapped_column(sa.ForeignKey("org_unit.id"))
    year: Mapped[int]
    seq: Mapped[int]
    reason: Mapped[str] = mapped_column(sa.String(20))  # unsatisfied | overdue | other
    note: Mapped[str] = mapped_column(sa.Text, default="")
    unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("org_unit.id"))
    opened_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reply_due: Mapped[date | None]
    replied_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    replied_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    reply_text: Mapped[str] = mapped_column(sa.Text, default="")

    case: Mapped[Case] = relationship(back_populates="supervisions")
    unit: Mapped[OrgUnit | None] = relationship(foreign_keys=[unit_id])

    @property
    def number(self) -> str:
        """Numbered per office and year, as the office's paper notices are."""
        return f"{self.year}-{self.seq:04d}"


# --------------------------------------------------------------------------- contact ledger


class ContactRecord(Base):
    """One contact of a liaison with an enterprise: a row of the monthly ledger (Dalu 附件1/2:
    联系时间, 联系形式, 收集问题诉求个数)."""

    __tablename__ = "contact_record"
    __table_args__ = (sa.Index("ix_contact_record_unit_day", "unit_id", "contacted_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(sa.ForeignKey("enterprise.id"), index=True)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("org_unit.id"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), index=True)
    contacted_on: Mapped[date]
    method: Mapped[ContactMethod] = mapped_column(_enum(ContactMethod))
    note: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    enterprise: Mapped[Enterprise] = relationship()
    unit: Mapped[OrgUnit] = relationship()
    user: Mapped[User] = relationship()
    problems: Mapped[list[ContactProblem]] = relationship(
        back_populates="contact", order_by="ContactProblem.id"
    )


class ContactProblem(Base):
    """A problem or request collected on a contact (Dalu 附件3/4: 问题诉求名称, 具体内容, 办结时间,
    办理情况): handled by the unit itself, or forwarded to the office as a case (二(三))."""

    __tablename__ = "contact_problem"

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(sa.ForeignKey("contact_record.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    content: Mapped[str] = mapped_column(sa.Text)
    case_id: Mapped[int | None] = mapped_column(sa.ForeignKey("case.id"), index=True)
    finished_on: Mapped[date | None]
    outcome: Mapped[str] = mapped_column(sa.Text, default="")

    contact: Mapped[ContactRecord] = relationship(back_populates="problems")
    case: Mapped[Case | None] = relationship()


class LedgerSubmission(Base):
    """A unit's month, submitted to the office (Dalu 二(二) "每月25日前报送经发办"): locked;
    later corrections are amendments."""

    __tablename__ = "ledger_submission"
    __table_args__ = (
        sa.Index("uq_ledger_submission_unit_month", "unit_id", "year", "month", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("org_unit.id"))
    year: Mapped[int]
    month: Mapped[int]
    submitted_by_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime)

    unit: Mapped[OrgUnit] = relationship()
    submitted_by: Mapped[User] = relationship()
    amendments: Mapped[list[LedgerAmendment]] = relationship(
        back_populates="submission", order_by="LedgerAmendment.id"
    )


class LedgerAmendment(Base):
    """A correction to a submitted month: who, when, what, why (append-only by use)."""

    __tablename__ = "ledger_amendment"

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(sa.ForeignKey("ledger_submission.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    by_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    what: Mapped[str] = mapped_column(sa.Text)

    submission: Mapped[LedgerSubmission] = relationship(back_populates="amendments")


# --------------------------------------------------------------------------- calendar, audit


class CalendarOverride(Base):
    """An admin's correction to the official calendar: a day declared holiday or workday,
    for years the `holidays` package does not know yet (the next year's schedule is
    published each November)."""

    __tablename__ = "calendar_override"

    day: Mapped[date] = mapped_column(primary_key=True)
    kind: Mapped[CalendarDayKind] = mapped_column(_enum(CalendarDayKind))
    note: Mapped[str] = mapped_column(sa.String(200), default="")
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Notification(Base):
    """The outbox: every message the portal owes someone, written in the same transaction as
    the change (or the scheduler's finding) that caused it, then delivered by the job queue.
    `key` makes each message once: two schedulers finding the same overdue step write one.
    In-app messages are read on the portal (`read_at`); SMS and e-mail are sent (`status`,
    `attempts`, `last_error`, `sent_at`), never lost."""

    __tablename__ = "notification"
    __table_args__ = (sa.Index("ix_notification_user_unread", "user_id", "read_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(120), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    channel: Mapped[str] = mapped_column(sa.String(10))  # a NoticeChannel
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    address: Mapped[str | None] = mapped_column(sa.String(200))  # phone or e-mail
    template: Mapped[str] = mapped_column(sa.String(40))
    params: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    case_id: Mapped[int | None] = mapped_column(sa.ForeignKey("case.id"), index=True)
    status: Mapped[str] = mapped_column(sa.String(10), default=NoticeStatus.PENDING.value)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str] = mapped_column(sa.String(500), default="")
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User | None] = relationship()
    case: Mapped[Case | None] = relationship()


class OneTimeCode(Base):
    """A one-time code, stored only as its keyed hash (portal/domain/codes.py): an SMS code
    for a mobile number (`purpose` register, colleague, claim or sign_in; 6 digits, 5
    minutes, 5 tries) or a service-card code for an enterprise (`purpose` card, issued by
    its liaison or the office). Used once (`used_at`); a newer code of the same purpose and
    target replaces the older."""

    __tablename__ = "one_time_code"
    __table_args__ = (sa.Index("ix_one_time_code_target", "purpose", "mobile", "enterprise_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    purpose: Mapped[str] = mapped_column(sa.String(16))
    mobile: Mapped[str | None] = mapped_column(sa.String(20))
    enterprise_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("enterprise.id", ondelete="CASCADE")
    )
    code_hash: Mapped[str] = mapped_column(sa.String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(default=0)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    issued_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))

    enterprise: Mapped[Enterprise | None] = relationship()

    def live(self, now: datetime) -> bool:
        return self.used_at is None and self.expires_at > now


class ApiClient(Base):
    """Another system that hands work orders over (a 12345 hotline platform: Chaozhou 四(二),
    Shantou 三(一)2, Haimen 三(一)): its token, stored as a SHA-256 hash and shown once; the
    jurisdiction its work orders go to; where the portal tells it of replies and ratings.
    Revoked by the administrator (`revoked_at`), never deleted: its work orders keep it."""

    __tablename__ = "api_client"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    jurisdiction_id: Mapped[int] = mapped_column(sa.ForeignKey("jurisdiction.id"))
    webhook_url: Mapped[str | None] = mapped_column(sa.String(500))
    webhook_secret: Mapped[str | None] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    jurisdiction: Mapped[Jurisdiction] = relationship()


class WorkOrder(Base):
    """A case handed over by an `ApiClient`, by the client's own id: the same work order
    sent twice is one case (issue 10: "idempotent by external id")."""

    __tablename__ = "work_order"
    __table_args__ = (sa.UniqueConstraint("client_id", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(sa.ForeignKey("api_client.id"))
    external_id: Mapped[str] = mapped_column(sa.String(64))
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("case.id"), unique=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)  # on the caller's platform
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    client: Mapped[ApiClient] = relationship()
    case: Mapped[Case] = relationship()


class Answer(Base):
    """知识库: a published answer to a consultation the office gets often (Chaozhou 四(一)1
    咨询类; Shantou: consultations answered within 1 working day), shown to an enterprise
    while it types one, so that a good answer can settle it at once (issue 10 item 3).
    `terms` (AnswerTerm) are the character bigrams of its question and keywords."""

    __tablename__ = "answer"

    id: Mapped[int] = mapped_column(primary_key=True)
    jurisdiction_id: Mapped[int] = mapped_column(sa.ForeignKey("jurisdiction.id"), index=True)
    question: Mapped[str] = mapped_column(sa.String(200))
    answer: Mapped[str] = mapped_column(sa.Text)
    source: Mapped[str] = mapped_column(sa.String(200), default="")  # 政策依据
    source_date: Mapped[date | None]
    category_id: Mapped[int | None] = mapped_column(sa.ForeignKey("category.id"))
    keywords: Mapped[str] = mapped_column(sa.String(200), default="")
    published: Mapped[bool] = mapped_column(default=True)
    from_case_id: Mapped[int | None] = mapped_column(sa.ForeignKey("case.id"))
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    category: Mapped[Category | None] = relationship()
    jurisdiction: Mapped[Jurisdiction] = relationship()


class AnswerTerm(Base):
    """One bigram of an answer's question and keywords: the index the hint looks terms up in
    (the same on PostgreSQL and SQLite; Chinese has no spaces to split words on)."""

    __tablename__ = "answer_term"
    __table_args__ = (sa.Index("ix_answer_term_term", "term", "answer_id"),)

    answer_id: Mapped[int] = mapped_column(
        sa.ForeignKey("answer.id", ondelete="CASCADE"), primary_key=True
    )
    term: Mapped[str] = mapped_column(sa.String(8), primary_key=True)


class Deflection(Base):
    """An enterprise said a published answer settled its consultation: no case was needed
    (a figure on the dashboard), counted once per enterprise and answer (issue 18 item 4)."""

    __tablename__ = "deflection"
    # Once per enterprise and answer: a second click, or a colleague's, counts nothing more.
    __table_args__ = (sa.UniqueConstraint("enterprise_id", "answer_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    answer_id: Mapped[int] = mapped_column(sa.ForeignKey("answer.id"), index=True)
    jurisdiction_id: Mapped[int] = mapped_column(sa.ForeignKey("jurisdiction.id"), index=True)
    enterprise_id: Mapped[int | None] = mapped_column(sa.ForeignKey("enterprise.id"))
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class IntakeMessage(Base):
    """An e-mail read from the office's mailbox (issue 10 item 2): kept whole (`raw`) before
    the mailbox marks it read, so nothing is lost. `registered`: it became `case`;
    `review`: it could not be taken as a case (`problem` says why) and waits on the office's
    review list. `message_id` (the Message-ID header, or the SHA-256 of the message) makes a
    message read twice one row."""

    __tablename__ = "intake_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[str] = mapped_column(sa.String(255), unique=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    jurisdiction_id: Mapped[int] = mapped_column(sa.ForeignKey("jurisdiction.id"), index=True)
    sender: Mapped[str] = mapped_column(sa.String(255), default="")
    subject: Mapped[str] = mapped_column(sa.String(255), default="")
    raw: Mapped[bytes] = mapped_column(sa.LargeBinary)
    status: Mapped[str] = mapped_column(sa.String(10))  # registered | review
    problem: Mapped[str] = mapped_column(sa.String(500), default="")
    case_id: Mapped[int | None] = mapped_column(sa.ForeignKey("case.id"))

    jurisdiction: Mapped[Jurisdiction] = relationship()
    case: Mapped[Case | None] = relationship()


class AuditLog(Base):
    """Security audit trail: logins, failed authorisations, case views, exports, steps.
    Append-only like the case event (SECURITY.md, audit), and hash-chained: each row keeps
    its predecessor's hash and its own (`portal.domain.audit`; SECURITY.md "nothing lost"
    5). Rows are written only by `audit.record`. The unique `prev_hash` makes a fork of the
    chain (two rows after one predecessor) a database error, whatever the locking did."""

    __tablename__ = "audit_log"
    __table_args__ = (sa.Index("ix_audit_log_prev_hash", "prev_hash", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    ip: Mapped[str | None] = mapped_column(sa.String(45))
    action: Mapped[str] = mapped_column(sa.String(40))
    object_type: Mapped[str | None] = mapped_column(sa.String(40))
    object_id: Mapped[str | None] = mapped_column(sa.String(64))
    result: Mapped[str] = mapped_column(sa.String(20))
    detail: Mapped[str] = mapped_column(sa.String(500), default="")
    prev_hash: Mapped[str | None] = mapped_column(sa.String(64))
    row_hash: Mapped[str | None] = mapped_column(sa.String(64))


class KeptForm(Base):
    """What a form carried when it was posted after its session had ended (issue 17 item
    1), kept for a short while so that, once signed in again, the user finds the same form
    filled in as typed. Only a hash of the random key is stored; the key itself is in the
    browser's signed session. Passwords, tokens and files are never kept; a row is deleted
    when it is used, and expired rows whenever another is kept."""

    __tablename__ = "kept_form"

    id: Mapped[int] = mapped_column(primary_key=True)
    key_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"))
    path: Mapped[str] = mapped_column(sa.String(300))
    fields: Mapped[list] = mapped_column(sa.JSON, default=list)  # [[name, value], ...]
    had_files: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


APPEND_ONLY_TABLES = ("case_event", "audit_log")


@sa.event.listens_for(sa.orm.Session, "before_flush")
def _keep_due_keys(session, flush_context, instances) -> None:
    """Every new or changed case carries its `current_due` into `due_key` in the same flush,
    so the stored key never lags the columns it is computed from."""
    for obj in (*session.new, *session.dirty):
        if isinstance(obj, Case):
            due = obj.current_due
            key = due if due is not None else NO_DUE
            if obj.due_key != key:
                obj.due_key = key
