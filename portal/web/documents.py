"""The official documents of a case as PDF (issue 7): the seeds' paper forms, filled from the
record, one template each under `templates/pdf/`, one print stylesheet (`css/print.css`).

| document | seed | template | the enterprise gets it |
|---|---|---|---|
| 受理登记表 | Chaozhou 附件2 | pdf/registration.html | yes |
| 服务反馈评价单 | Chaozhou 附件3 | pdf/evaluation.html | yes |
| 企业问题诉求部门交办单 | Haimen 附件1 | pdf/assignment.html | no |
| 转办函 | Shantou 三(二) | pdf/transfer.html | no |
| 呈批表 | Shantou 三(二), 三(七) | pdf/approval.html | no |
| 事项办理（反馈）表 | Chengkou 附件3 | pdf/handling.html | no |
| the archive dossier | Shantou 三(七) | pdf/dossier.html | no |
| 企业问题诉求汇总清单 | Haimen 附件2 | pdf/summary.html | no (a list of cases) |

The forms are official documents: titles and field names are the seeds' words, in Chinese
whatever the reader's language (the precedent of the Dalu ledgers, `web/ledgers.py`), and
every value the record holds is written in Chinese too. A field the record does not hold
prints as a blank to be filled in by hand, never "None".

The enterprise's documents are built from what its case page shows: the published reply,
its own rating, never an internal note (`CaseFacts.for_enterprise`).
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
from flask import g
from flask_babel import force_locale
from sqlalchemy.orm import selectinload

from portal.domain import workflow
from portal.domain.access import case_scope, sees_contact
from portal.domain.calendar import BEIJING, local_date
from portal.domain.models import Case, CaseEvent, OrgUnit, Rating, RatingLevel, User
from portal.domain.policies import finish_days_for
from portal.extensions import db
from portal.web.labels import action_label, case_contact_phone, label, label_of, masked_mobile
from portal.web.pdf import render_pdf

OFFICIAL_LOCALE = "zh_Hans_CN"
# What a request caches in `g` for its language (labels, the catalogue, the date style).
_LANGUAGE_CACHES = ("_labels", "_translations", "_day_format")


@contextmanager
def official_language():
    """Write the documents in Chinese, whatever language the reader chose for the pages."""

    def forget():
        for name in _LANGUAGE_CACHES:
            g.pop(name, None)

    forget()
    try:
        with force_locale(OFFICIAL_LOCALE):
            yield
    finally:
        forget()


# --------------------------------------------------------------------------- the record


@dataclass
class Step:
    """One event as the dossier's timeline prints it: who, when, what, why."""

    at: datetime
    action: str
    who: str
    unit: str
    what: str
    states: str
    detail: str
    note: str
    shown: bool


@dataclass
class CaseFacts:
    """What the forms print, read from the case once. Staff documents see the whole record;
    with `for_enterprise` only what the enterprise's case page shows."""

    case: Case
    for_enterprise: bool
    office: OrgUnit | None
    events: list[CaseEvent] = field(default_factory=list)
    ratings: list[Rating] = field(default_factory=list)
    users: dict[int, User] = field(default_factory=dict)
    # The contact phone printed whole: the case's own forms carry it (the seeds' forms have
    # the field), for the enterprise and the assigned staff; others get it masked
    # (SECURITY.md checklist 13).
    phone_whole: bool = False

    # --- who whistled, what, when (Chaozhou 附件2)
    @property
    def channel(self) -> str:
        return label(self.case.channel)

    @property
    def contact_phone(self) -> str:
        phone = self.case.contact_phone or ""
        return phone if self.phone_whole else masked_mobile(phone)

    @property
    def contact(self) -> str:
        return " ".join(p for p in (self.case.contact_name, self.contact_phone) if p)

    @property
    def enterprise_address(self) -> str:
        return (self.case.enterprise.address or "") if self.case.enterprise else ""

    @property
    def received_by(self) -> str:
        return self.case.received_by.name if self.case.received_by else ""

    @property
    def receiving_unit(self) -> str:
        unit = self.case.receiving_unit or self.office
        return unit.name if unit else ""

    @property
    def office_name(self) -> str:
        return self.office.name if self.office else ""

    # --- dispatch (交办/转办) and approval (呈批)
    def last(self, *actions: str) -> CaseEvent | None:
        found = [e for e in self.events if e.action in actions]
        return found[-1] if found else None

    @property
    def dispatch(self) -> CaseEvent | None:
        """The dispatch in force: the latest one, or the approved request for approval."""
        return self.last("dispatch", "approve_dispatch", "rule_on_return")

    @property
    def dispatch_order(self) -> CaseEvent | None:
        """The office's own dispatch (its note is the 转办意见)."""
        return self.last("dispatch", "request_approval", "rule_on_return")

    @property
    def approval_request(self) -> CaseEvent | None:
        return self.last("request_approval")

    @property
    def approval_decision(self) -> CaseEvent | None:
        request = self.approval_request
        if request is None:
            return None
        return next(
            (
                e
                for e in self.events
                if e.id > request.id and e.action in ("approve_dispatch", "reject_dispatch")
            ),
            None,
        )

    @property
    def lead_unit(self) -> str:
        return self.case.lead_unit.name if self.case.lead_unit else ""

    @property
    def co_handlers(self) -> str:
        return "、".join(u.name for u in self.case.co_handlers)

    @property
    def finish_days(self) -> int | None:
        """The case's own handling limit: the limits it was dispatched under, with a 12345
        work order's own over them (`Case.policy`)."""
        policy = self.case.policy
        return finish_days_for(policy, self.case.type) if policy else None

    @property
    def contact_days(self) -> int | None:
        policy = self.case.policy
        return policy.contact_days if policy else None

    @property
    def transfer_issued_at(self) -> datetime | None:
        """The 转办函's date: the dispatch, or where the unit confirms first, its confirmation
        (Shantou 三(二) "确定牵头单位及协办单位后……向承办单位发出《转办函》"); blank before."""
        return workflow.handling_started(self.case)

    # --- handling, reply (办理情况回复)
    @property
    def reply(self) -> CaseEvent | None:
        """The reply as the enterprise read it (published or answered on the spot)."""
        return self.last("publish_reply", "answer")

    @property
    def reply_text(self) -> str:
        return self.case.reply_text or ""

    @property
    def reply_author(self) -> User | None:
        """The lead unit's person who wrote the reply, else who signed for the case."""
        event = self.last("reply") or self.last("sign")
        return self.users.get(event.actor_id) if event and event.actor_id else None

    @property
    def contact_methods(self) -> str:
        methods = []
        for e in self.events:
            if e.action == "contact" and e.data and e.data.get("method") not in methods:
                methods.append(e.data.get("method"))
        return "、".join(label_of("contact", m) for m in methods)

    @property
    def plan(self) -> CaseEvent | None:
        return self.last("plan")

    @property
    def review(self) -> CaseEvent | None:
        """The office's review of the latest reply (审核): sent or sent back."""
        return self.last("publish_reply", "send_back")

    # --- evaluation (评价) and callback (回访)
    @property
    def rating(self) -> Rating | None:
        return self.ratings[-1] if self.ratings else None

    @property
    def rating_levels(self) -> tuple[RatingLevel, ...]:
        return workflow.rating_levels(self.case)

    @property
    def callback(self) -> CaseEvent | None:
        """The latest callback that reached the enterprise (Haimen 附件1 回访情况)."""
        reached = [
            e
            for e in self.events
            if e.action == "callback" and e.data and e.data.get("outcome") == "reached"
        ]
        return reached[-1] if reached else None

    def name_of(self, event: CaseEvent | None) -> str:
        if event is None or event.actor_id is None:
            return ""
        user = self.users.get(event.actor_id)
        return user.name if user else ""

    @property
    def evaluations(self) -> list[tuple[Rating, str]]:
        """Each rating with how it was given: by the enterprise, or on the office's callback."""

        def how(r: Rating) -> str:
            user = self.users.get(r.rated_by_id) if r.rated_by_id else None
            return "回访" if user is not None and user.role.is_staff else "企业评价"

        return [(r, how(r)) for r in self.ratings]

    # --- the whole record, for the dossier
    @property
    def steps(self) -> list[Step]:
        return [_step(e, self.users) for e in self.events]


def _step(e: CaseEvent, users: dict[int, User]) -> Step:
    actor = users.get(e.actor_id) if e.actor_id else None
    states = label(e.to_state) if e.to_state and e.to_state != e.from_state else ""
    data = e.data or {}
    detail = {
        "refuse": lambda: (
            f"{data.get('reason')}. {workflow.REFUSAL_REASONS.get(data.get('reason'), '')}"
        ),
        "contact": lambda: label_of("contact", data.get("method")),
        "return": lambda: label_of("return", data.get("reason")),
        "callback": lambda: "，".join(
            p
            for p in (
                label_of("callback", data.get("method")),
                label_of("outcome", data.get("outcome")),
                label(RatingLevel(data["level"])) if data.get("level") else "",
                solved_word(data.get("solved")),
            )
            if p
        ),
        "rate": lambda: "，".join(
            p
            for p in (
                label(RatingLevel(data["level"])) if data.get("level") else "",
                solved_word(data.get("solved")),
            )
            if p
        ),
        "supervise": lambda: label_of("supervision", data.get("reason")),
        "plan": lambda: f"承诺办理时限 {data.get('promised') or ''}",
        "request_extension": lambda: f"{data.get('days')} 个工作日",
        "decide_extension": lambda: (
            f"{data.get('days') or ''} 个工作日 {data.get('new_due') or ''}"
        ),
        "merge": lambda: f"并入 {data.get('into', '')}",
        "register": lambda: label(e.case.channel),
    }.get(e.action, lambda: "")()
    return Step(
        at=e.at,
        action=e.action,
        who=actor.name if actor else "系统",
        unit=e.actor_unit.name if e.actor_unit else "",
        what=action_label(e.action),
        states=states,
        detail=detail,
        note="" if e.action == "register" else e.note or "",  # its note is the channel
        shown=e.visible_to_enterprise,
    )


def solved_word(solved) -> str:
    return {True: "已解决", False: "未解决"}.get(solved, "")


def facts(case: Case, *, for_enterprise: bool, viewer: User | None = None) -> CaseFacts:
    """Read the case's record in a few statements: events with their units, ratings, and
    the people named. The contact phone is whole for the enterprise's own forms and for a
    `viewer` assigned to the case (`access.sees_contact`), masked otherwise."""
    office = case.office or case.receiving_unit
    if for_enterprise:
        events = [e for e in _events(case) if e.visible_to_enterprise]
    else:
        events = _events(case)
    ratings = list(
        db.session.scalars(sa.select(Rating).where(Rating.case_id == case.id).order_by(Rating.id))
    )
    ids = {e.actor_id for e in events if e.actor_id}
    users = (
        {u.id: u for u in db.session.scalars(sa.select(User).where(User.id.in_(ids)))}
        if ids
        else {}
    )
    whole = for_enterprise or (viewer is not None and sees_contact(case, viewer))
    return CaseFacts(case, for_enterprise, office, events, ratings, users, phone_whole=whole)


def _events(case: Case) -> list[CaseEvent]:
    return list(
        db.session.scalars(
            sa.select(CaseEvent)
            .where(CaseEvent.case_id == case.id)
            .options(selectinload(CaseEvent.actor_unit))
            .order_by(CaseEvent.id)
        )
    )


# --------------------------------------------------------------------------- the documents


@dataclass(frozen=True)
class Document:
    key: str  # the route's name: `<blueprint>.document_<key>`
    slug: str  # the file in the URL: /cases/<number>/<slug>.pdf
    title: str  # the seed's title
    template: str
    for_enterprise: bool
    applies: Callable[[CaseFacts], bool]


def _dispatched(f: CaseFacts) -> bool:
    return f.case.lead_unit is not None or f.dispatch is not None


DOCUMENTS: tuple[Document, ...] = (
    Document(
        "registration",
        "registration",
        "“企业吹哨、部门报到”受理登记表",
        "pdf/registration.html",
        True,
        lambda f: True,
    ),
    Document(
        "approval",
        "approval-form",
        "呈批表",
        "pdf/approval.html",
        False,
        lambda f: f.approval_request is not None,
    ),
    Document("transfer", "transfer-letter", "转办函", "pdf/transfer.html", False, _dispatched),
    Document(
        "assignment",
        "assignment-slip",
        "企业问题诉求部门交办单",
        "pdf/assignment.html",
        False,
        _dispatched,
    ),
    Document(
        "handling",
        "handling-form",
        "“企业吹哨·部门报到”事项办理（反馈）表",
        "pdf/handling.html",
        False,
        _dispatched,
    ),
    Document(
        "evaluation",
        "evaluation",
        "“企业吹哨、部门报到”服务反馈评价单",
        "pdf/evaluation.html",
        True,
        lambda f: f.case.replied_at is not None or bool(f.ratings),
    ),
)
BY_KEY = {d.key: d for d in DOCUMENTS}
DOSSIER_TITLE = "企业诉求办理档案"


def applicable(case_facts: CaseFacts) -> list[Document]:
    """The documents this case has (in the order of its life); the enterprise's only."""
    return [
        d
        for d in DOCUMENTS
        if d.applies(case_facts) and (d.for_enterprise or not case_facts.for_enterprise)
    ]


def _render(template: str, **context) -> bytes:
    return render_pdf(template, local_date=local_date, label_of=label_of, **context)


def document_pdf(
    case: Case, document: Document, *, for_enterprise: bool, viewer: User | None = None
) -> bytes:
    """One form of the case. A form the case does not have yet still prints, blank where
    the record is silent, to be filled in by hand."""
    with official_language():
        f = facts(case, for_enterprise=for_enterprise, viewer=viewer)
        return _render(
            "pdf/case_document.html",
            f=f,
            documents=[document],
            title=f"{document.title} {case.number}",
        )


def dossier_pdf(case: Case, viewer: User | None = None) -> bytes:
    """资料归档 (Shantou 三(七) "将投诉件、呈批表、转办函、回复意见等材料逐宗建档、汇编成卷，每一宗
    企业诉求办理情况均有据可查"): every form the case has, the whole record (every event: who,
    when, what, why) and the evaluation, in one PDF. Staff only."""
    with official_language():
        f = facts(case, for_enterprise=False, viewer=viewer)
        return _render(
            "pdf/dossier.html", f=f, documents=applicable(f), title=f"{DOSSIER_TITLE} {case.number}"
        )


SUMMARY_TITLE = "企业问题诉求汇总清单"
SUMMARY_LIMIT = 500  # a month of one office; more is a spreadsheet's job


def summary_cases(user: User, first: date, last: date) -> list[Case]:
    """The cases `user` may see that were received from `first` to `last` (Beijing dates),
    in number order: the rows of 汇总清单 (Haimen 附件2)."""
    start = datetime.combine(first, time(), BEIJING)
    end = datetime.combine(last + timedelta(days=1), time(), BEIJING)
    return list(
        db.session.scalars(
            sa.select(Case)
            .where(case_scope(user), Case.received_at >= start, Case.received_at < end)
            .order_by(Case.year, Case.seq, Case.id)
            .limit(SUMMARY_LIMIT)
        )
    )


def summary_pdf(user: User, cases: list[Case], period: str) -> bytes:
    """企业问题诉求汇总清单 (Haimen 附件2), filled in by the user's unit (填表单位).

    A list of many cases, so its 联系电话 column masks like the lists do, except on the rows
    of the cases the user is assigned to: the unit that fills the list in is the one that
    calls those enterprises back (SECURITY.md checklists 13 and 31)."""
    office = user.unit if user.unit is not None and user.unit.is_office else None
    if office is None and user.unit is not None:
        office = workflow.office_of(db.session, user.unit.jurisdiction)
    with official_language():
        return _render(
            "pdf/summary.html",
            cases=cases,
            unit=user.unit,
            filler=user,
            phone_of=lambda case: case_contact_phone(case, user),
            office=office,
            period=period,
            title=SUMMARY_TITLE,
        )
