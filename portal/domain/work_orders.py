"""Work orders from other systems (issue 10): a 12345 hotline platform or another government
system hands a whistle over (Chaozhou 四(二) "12345热线…转办"; Shantou 三(一)2; Haimen 三(一)),
reads its status and events, and is told of its reply and rating.

Each system is an `ApiClient` with a token of its own (shown once, stored as its SHA-256),
scoped to the jurisdiction its work orders go to. A work order is registered like any other
whistle (`workflow.register_case`) with the channel it names; the client's id for it makes
it idempotent: the same work order twice is one case.

The case's received time (受理时间, which starts its clocks) is when the portal receives the
work order; the time the platform received the call is kept beside it (`received_at`).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Any, TypeVar

import sqlalchemy as sa

from portal.domain import workflow
from portal.domain.access import enterprise_timeline, jurisdiction_subtree
from portal.domain.calendar import WorkCalendar
from portal.domain.errors import N_
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

E = TypeVar("E", bound=Enum)


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
class Problem:
    """One field that cannot be taken as sent: its JSON path and what is wrong."""

    field: str
    message: str  # an N_() text, translated by the web layer


@dataclass(frozen=True)
class Order:
    """A work order as checked: everything `register_case` needs."""

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


def _text(body: dict, path: str, problems: list, *, required: bool = True) -> str:
    value: Any = body
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            problems.append(Problem(path, N_("This field is required.")))
        return ""
    if not isinstance(value, str):
        problems.append(Problem(path, N_("Give this field as text.")))
        return ""
    value = value.strip()
    if any(ord(c) < 32 and c not in "\n\t" for c in value):
        problems.append(Problem(path, N_("This field holds control characters.")))
    if len(value) > LIMITS.get(path, 64):
        problems.append(Problem(path, N_("This field is too long.")))
    return value


def _choice(body: dict, name: str, allowed: tuple[E, ...], default: E, problems: list) -> E:
    """One of `allowed` by its value (`default` when the field is absent)."""
    by_value = {member.value: member for member in allowed}
    value = body.get(name, default.value)
    if value not in by_value:
        problems.append(Problem(name, N_("This value is not one of those allowed.")))
    return by_value.get(value, default)


def parse(body: Any) -> tuple[Order | None, list[Problem]]:
    """Check a work order's JSON body; every problem is named with its field."""
    if not isinstance(body, dict):
        return None, [Problem("", N_("Send the work order as a JSON object."))]
    problems: list[Problem] = []
    external_id = _text(body, "external_id", problems)
    if external_id and not EXTERNAL_ID.fullmatch(external_id):
        problems.append(
            Problem("external_id", N_("Use 8 to 64 letters, digits, hyphens or underscores."))
        )
    channel = _choice(body, "channel", CHANNELS, Channel.HOTLINE_12345, problems)
    case_type = _choice(body, "type", tuple(CaseType), CaseType.BUSINESS, problems)
    category = body.get("category")
    if category is not None and (
        not isinstance(category, int) or isinstance(category, bool) or category < 1
    ):
        problems.append(Problem("category", N_("Give the category's number.")))
        category = None
    received = _text(body, "received_at", problems)
    received_at = None
    if received:
        try:
            received_at = datetime.fromisoformat(received.replace("Z", "+00:00"))
        except ValueError:
            received_at = None
        if received_at is None or received_at.tzinfo is None:
            problems.append(
                Problem(
                    "received_at",
                    N_(
                        "Give the time as ISO 8601 with its offset, e.g. 2026-12-01T09:30:00+08:00."
                    ),
                )
            )
    enterprise_name = _text(body, "enterprise.name", problems)
    credit_code = _text(body, "enterprise.credit_code", problems, required=False) or None
    contact_name = _text(body, "contact.name", problems)
    contact_phone = _text(body, "contact.phone", problems)
    title = _text(body, "title", problems)
    text = _text(body, "text", problems)
    if problems or received_at is None:  # no time: a problem is named already
        return None, problems
    order = Order(
        external_id=external_id,
        channel=channel,
        case_type=case_type,
        enterprise_name=enterprise_name,
        credit_code=credit_code,
        contact_name=contact_name,
        contact_phone=contact_phone,
        category_number=category,
        title=title,
        text=text,
        received_at=received_at,
    )
    return order, problems


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
