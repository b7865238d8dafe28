"""E-mail intake (issue 10 item 2; Shantou 三(一)1 "通过…电子邮箱…等渠道受理"): each message in
the office's mailbox becomes a submitted case with channel "email", its attachments kept,
and the sender is told the case number by e-mail. A message that cannot be taken as a case
(no text, unreadable) goes to the office's review list with the reason — never lost: the
whole message is stored before the mailbox marks it read, and its Message-ID makes a
message read twice one row.

`take_message` takes one message's bytes at a time; reading the mailbox (IMAP) is not the
domain's: `portal/mail_intake.py`.
"""

from __future__ import annotations

import email
import email.policy
import hashlib
import re
from datetime import datetime
from email.message import EmailMessage
from email.utils import parseaddr
from pathlib import Path

import sqlalchemy as sa

from portal.domain import uploads, workflow
from portal.domain.calendar import WorkCalendar
from portal.domain.errors import RuleViolation
from portal.domain.models import Channel, IntakeMessage, Jurisdiction
from portal.domain.notify import EMAIL, notify
from portal.domain.policies import default_case_type

PHONE = re.compile(r"(?<!\d)(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})(?!\d)")
MAX_TEXT = 10000


def _text_of(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain", "html"))
    if body is None:
        return ""
    text = body.get_content()
    if body.get_content_type() == "text/html":
        text = re.sub(r"<[^>]+>", " ", re.sub(r"(?is)<(script|style).*?</\1>", " ", text))
    return re.sub(r"[ \t\r\f\v]+", " ", text).strip()


def take_message(
    session,
    calendar: WorkCalendar,
    raw: bytes,
    *,
    jurisdiction: Jurisdiction,
    at: datetime,
    upload_root: Path,
) -> tuple[IntakeMessage, bool]:
    """Store one message and register it as a case, or put it on the review list. Returns
    the row and whether it is new (False: read before, nothing done)."""
    try:
        message = email.message_from_bytes(raw, policy=email.policy.default)
        message_id = (
            str(message.get("Message-ID") or "").strip() or hashlib.sha256(raw).hexdigest()
        )[:255]
        name, address = parseaddr(str(message.get("From") or ""))
        subject = str(message.get("Subject") or "").strip()
    except Exception as error:  # a header no parser could read: still kept, for review
        message, message_id = None, hashlib.sha256(raw).hexdigest()
        name, address, subject = "", "", ""
        problem = f"unreadable message: {type(error).__name__}"
    else:
        problem = ""
    found = session.scalar(sa.select(IntakeMessage).where(IntakeMessage.message_id == message_id))
    if found is not None:
        return found, False
    row = IntakeMessage(
        message_id=message_id,
        received_at=at,
        jurisdiction=jurisdiction,
        sender=(address or "")[:255],
        subject=subject[:255],
        raw=raw,
        status="review",
        problem=problem,
    )
    session.add(row)
    if message is None:
        session.flush()
        return row, True
    text = ""
    try:
        text = _text_of(message)
    except Exception as error:  # a body in an unknown charset or broken encoding
        row.problem = f"unreadable text: {type(error).__name__}"
    if not row.problem and not text and not subject:
        row.problem = "no subject and no text"
    if not row.problem and not address:
        row.problem = "no sender address to answer"
    if row.problem:
        session.flush()
        return row, True
    phone = PHONE.search(text)
    refused = []
    try:
        with session.begin_nested():
            case = workflow.register_case(
                session,
                calendar,
                jurisdiction=jurisdiction,
                applicant_name=(name or address)[:200],
                contact_name=(name or address)[:64],
                contact_phone=(phone.group(1) if phone else address)[:40],
                title=(subject or text)[:200],
                content=(text or subject)[:MAX_TEXT],
                case_type=default_case_type(jurisdiction.effective_policy),
                channel=Channel.EMAIL,
                at=at,
                by=None,
            )
            for part in message.iter_attachments():
                filename = (part.get_filename() or "attachment")[:200]
                try:
                    payload = part.get_payload(decode=True)  # bytes, or None when empty
                    data = payload if isinstance(payload, bytes) else b""
                    checked = uploads.check_file(filename, data)
                except RuleViolation:
                    refused.append(filename)
                    continue
                workflow.attach(session, case, checked, by=None, at=at, upload_root=upload_root)
    except RuleViolation as error:
        row.problem = str(error)[:500]
        session.flush()
        return row, True
    row.status, row.case = "registered", case
    row.problem = (
        ("attachments not kept (type or size): " + ", ".join(refused))[:500] if refused else ""
    )
    notify(
        session,
        key=f"intake:{row.message_id}"[:120],
        channel=EMAIL,
        address=address,
        template="intake_received",
        at=at,
        case=case,
        params={"number": case.number, "title": case.title},
    )
    session.flush()
    return row, True


def review_list(session, jurisdiction_ids: list[int], limit: int = 100) -> list[IntakeMessage]:
    return list(
        session.scalars(
            sa.select(IntakeMessage)
            .where(
                IntakeMessage.status == "review",
                IntakeMessage.jurisdiction_id.in_(jurisdiction_ids),
            )
            .order_by(IntakeMessage.received_at.desc())
            .limit(limit)
        )
    )


def default_jurisdiction(session, code: str | None) -> Jurisdiction | None:
    return (
        session.scalar(sa.select(Jurisdiction).where(Jurisdiction.code == code)) if code else None
    )


def preview(raw: bytes, length: int = 500) -> str:
    """The start of a message's text, for the review list ("" when none can be read)."""
    try:
        return _text_of(email.message_from_bytes(raw, policy=email.policy.default))[:length]
    except Exception:  # the reason it is on the list; the office reads the subject instead
        return ""
