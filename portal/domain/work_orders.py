"""Work orders from other systems (issue 10): a 12345 hotline platform or another government
system hands a whistle over (Chaozhou 四(二) "12345热线…转办"; Shantou 三(一)2; Haimen 三(一)),
reads its status and events, and is told of its reply and rating.

Each system is an `ApiClient` with a token of its own (shown once, stored as its SHA-256),
scoped to the jurisdiction its work orders go to. A work order is registered like any other
whistle (`workflow.register_case`) with the channel it names; the client's id for it makes
it idempotent: the same work order twice is one case.

The case's received time (受理时间, which starts its clocks) is when the portal receives the
work order; the time the platform received the call is kept beside it (`received_at`). A work
order may carry the platform's own time limits; the case keeps them instead of the profile's
(`hotline_limits`).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from portal.domain import workflow
from portal.domain.access import enterprise_timeline, jurisdiction_subtree
from portal.domain.calendar import WorkCalendar
from portal.domain.models import (
    ApiClient,
    Case,
    CaseState,
    CaseType,
    Category,
    Channel,
    Enterprise,
    Jurisdiction,
    WorkOrder,
)

EXTERNAL_ID = re.compile(r"[A-Za-z0-9_-]{8,64}")
# The channels a work order may come by: every way a whistle reaches an office other than
# the portal's own form and a liaison's contact.
CHANNELS = tuple(c for c in Channel if c not in (Channel.PORTAL, Channel.LIAISON))
LIMITS = {
    "title": 200,
    "text": 10000,
    "enterprise.name": 200,
    "contact.name": 64,
    "contact.phone": 40,
}


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def add_client(
    session, *, name: str, jurisdiction: Jurisdiction, at: datetime, webhook_url: str | None = None
) -> tuple[ApiClient, str]:
    """A new client and its token (returned once, never stored)."""
    token = "wo_" + secrets.token_urlsafe(32)
    client = ApiClient(
        name=name,
        token_hash=hash_token(token),
        jurisdiction=jurisdiction,
        webhook_url=webhook_url or None,
        webhook_secret=secrets.token_hex(32) if webhook_url else None,
        created_at=at,
    )
    session.add(client)
    session.flush()
    return client, token


def client_for(session, token: str | None) -> ApiClient | None:
    """The client a bearer token belongs to, if it is one and not revoked."""
    if not token:
        return None
    client = session.scalar(sa.select(ApiClient).where(ApiClient.token_hash == hash_token(token)))
    return client if client is not None and client.revoked_at is None else None


@dataclass(frozen=True)
class Order:
    """A work order as checked (by the API's pydantic model, portal/blueprints/api/
    schemas.py): everything `register_case` needs."""

    external_id: str
    channel: Channel
    case_type: CaseType
    enterprise_name: str
    credit_code: str | None
    contact_name: str
    contact_phone: str
    category_number: int | None
    title: str
    text: str
    received_at: datetime
    # The platform's own limits in working days (contact_days, sign_days, finish_days).
    limits: dict | None = None


def hotline_limits(limits: dict | None) -> dict | None:
    """A work order's own limits as a case's (`Case.own_limits`): each one it gives replaces
    the profile's — Chaozhou 四(四)1 "企业在潮州市12345投诉平台反映的诉求和意见，按照12345平台的
    工作流程和处理时限办理"; Shantou 三(一)2 "由12345热线按照《汕头市12345政务服务便民热线管理
    办法》规定……直派工单". Its finish limit holds for every type (the profile's limits by type
    give way), and its sign limit is the same for every unit (no day more below the city)."""
    if not limits:
        return None
    own: dict = {}
    for name in ("contact_days", "sign_days", "finish_days"):
        if limits.get(name) is not None:
            own[name] = int(limits[name])
    if "finish_days" in own:
        own["finish_days_by_type"] = {}
    if "sign_days" in own:
        own["sign_extra_days_lower_level"] = 0
    return own or None


def find(session, client: ApiClient, external_id: str) -> WorkOrder | None:
    return session.scalar(
        sa.select(WorkOrder).where(
            WorkOrder.client_id == client.id, WorkOrder.external_id == external_id
        )
    )


def hand_over(
    session, calendar: WorkCalendar, client: ApiClient, order: Order, *, at: datetime
) -> tuple[WorkOrder, bool]:
    """Register `order` as a case of the client's jurisdiction, or find the one it already
    is. Returns the work order and whether it is new. Two requests at once both pass the
    lookup; the unique (client, external id) makes the second's commit fail, and the caller
    answers with the first's case."""
    found = find(session, client, order.external_id)
    if found is not None:
        return found, False
    places = jurisdiction_subtree(client.jurisdiction_id)
    enterprise = None
    if order.credit_code:
        enterprise = session.scalar(
            sa.select(Enterprise).where(
                Enterprise.credit_code == order.credit_code.upper(),
                Enterprise.jurisdiction_id.in_(places),
            )
        )
    category = None
    if order.category_number is not None:
        category = session.scalar(
            sa.select(Category).where(
                Category.number == order.category_number,
                Category.jurisdiction_id == client.jurisdiction_id,
            )
        )
    case = workflow.register_case(
        session,
        calendar,
        jurisdiction=client.jurisdiction,
        applicant_name=enterprise.name if enterprise else order.enterprise_name,
        contact_name=order.contact_name,
        contact_phone=order.contact_phone,
        title=order.title,
        content=order.text,
        case_type=order.case_type,
        channel=order.channel,
        at=at,
        by=None,
        enterprise=enterprise,
        category=category,
        own_limits=hotline_limits(order.limits),
    )
    work_order = WorkOrder(
        client=client,
        external_id=order.external_id,
        case=case,
        received_at=order.received_at,
        created_at=at,
    )
    session.add(work_order)
    session.flush()
    return work_order, True


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def status(session, work_order: WorkOrder) -> dict:
    """What the caller may know of its work order: the case's number and state, its due
    date, the steps the enterprise itself may see, the published reply, the latest rating,
    and a refusal's or a merge's reason — never internal notes."""
    case: Case = work_order.case
    events = enterprise_timeline(session, case)
    out = {
        "external_id": work_order.external_id,
        "case_number": case.number,
        "state": case.state.value,
        "received_at": _iso(case.received_at),
        "due": _iso(case.current_due),
        "events": [
            {
                "at": _iso(e.at),
                "action": e.action,
                "state": e.to_state.value if e.to_state else None,
                "note": e.note_for_enterprise or None,
            }
            for e in events
        ],
        "reply": None,
        "rating": None,
        "refusal": None,
    }
    if case.reply_published:
        out["reply"] = {"text": case.reply_text, "at": _iso(case.replied_at)}
    if case.rating_level is not None:
        out["rating"] = {"level": case.rating_level.value, "solved": case.rating_solved}
    refusal = next((e for e in reversed(events) if e.action in ("refuse", "merge")), None)
    if refusal is not None and case.state in (CaseState.REFUSED, CaseState.MERGED):
        out["refusal"] = {
            "action": refusal.action,
            "reason_code": (refusal.data or {}).get("reason"),
            "message": refusal.note_for_enterprise or None,
        }
    return out
