"""Delivering the outbox (`Notification`) with Huey: over Redis in production
(JOBS_BACKEND=redis), a SQLite file beside the embedded database otherwise, in-process
("immediate") in tests. The worker is Huey's own consumer:

    .venv/bin/huey_consumer portal.worker.huey

A task delivers one message by its id and records the outcome on the outbox row: sent, or
the error with the attempt counted and the next attempt due after a back-off that doubles
(1, 2, 4 … minutes, at most a day); after MAX_ATTEMPTS it stays `failed` for an admin to
see. The row is the truth: `enqueue_pending` (called after every scheduler tick) re-queues
whatever is pending and due, so a lost queue entry or a worker restarted mid-send loses
nothing; a message already sent is never sent twice by a re-queue.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import smtplib
import urllib.request
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from huey import MemoryHuey, RedisHuey, SqliteHuey

from portal.domain.models import Notification
from portal.domain.notify import EMAIL, SMS, WEBHOOK
from portal.extensions import db

log = logging.getLogger("portal.jobs")
MAX_ATTEMPTS = 8
MAX_BACKOFF = timedelta(days=1)

huey = MemoryHuey("portal", immediate=True)  # replaced by init_app from the configuration
_app = None


def init_app(app) -> None:
    """Choose the queue's storage from the configuration; tasks bind to `huey` at call."""
    global huey, _app
    backend = app.config["JOBS_BACKEND"]
    if backend == "redis":
        huey = RedisHuey("portal", url=app.config["JOBS_REDIS_URL"])
    elif backend == "sqlite":
        Path(app.instance_path).mkdir(parents=True, exist_ok=True)
        huey = SqliteHuey("portal", filename=str(Path(app.instance_path) / "jobs.db"))
    else:
        huey = MemoryHuey("portal", immediate=True)
    _deliver_task.clear()
    _app = app


_deliver_task: dict = {}


def _task():
    """The delivery task on the current `huey` (made once per queue)."""
    task = _deliver_task.get(id(huey))
    if task is None:

        @huey.task(name="deliver")
        def deliver_task(notification_id: int):
            with _app.app_context():
                deliver(notification_id)

        task = _deliver_task[id(huey)] = deliver_task
    return task


def register():
    """Bind the delivery task to the queue (the worker does this before consuming)."""
    return _task()


def enqueue(notification_id: int, delay: float | None = None) -> None:
    task = _task()
    if delay:
        task.schedule((notification_id,), delay=delay)
    else:
        task(notification_id)


def enqueue_pending(now) -> int:
    """Queue every outbox message that is pending and due; the caller has committed."""
    ids = list(
        db.session.scalars(
            sa.select(Notification.id).where(
                Notification.status == "pending",
                sa.or_(Notification.next_attempt_at.is_(None), Notification.next_attempt_at <= now),
            )
        )
    )
    db.session.commit()  # no transaction left open while the tasks write
    queued = 0
    for notification_id in ids:
        try:
            enqueue(notification_id)
        except Exception as error:  # the queue (Redis) is down: rows wait for the next tick
            log.warning(
                "queue unavailable, %d message(s) wait in the outbox: %s", len(ids) - queued, error
            )
            break
        queued += 1
    return queued


def backoff(attempts: int) -> timedelta:
    return min(timedelta(minutes=2 ** (attempts - 1)), MAX_BACKOFF)


def deliver(notification_id: int) -> str:
    """Send one message now and record the outcome (the row is locked while sending)."""
    from portal.web.messages import message_text
    from portal.web.sessions import utcnow

    query = sa.select(Notification).where(Notification.id == notification_id)
    if db.session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    message = db.session.scalars(query).first()
    if message is None or message.status != "pending":
        db.session.rollback()
        return "skipped"
    now = utcnow()
    if message.template in SECRET_TEMPLATES and now > message.created_at + SECRET_TTL:
        # A code that could not go out while it held is not sent late: the user asks again.
        message.status, message.last_error = "failed", "expired before delivery"
        message.params = scrub(message.params)
        db.session.commit()
        return message.status
    try:
        with force_locale("zh_Hans_CN"):
            text = (
                message_text(message.template, message.params or {})
                if message.channel != WEBHOOK
                else ""
            )
        if message.channel == WEBHOOK:
            send_webhook(message, now)
        elif message.channel == SMS:
            send_sms(message.address, text, template=message.template, params=message.params)
        elif message.channel == EMAIL:
            send_email(message.address, text)
        message.status, message.sent_at, message.last_error = "sent", now, ""
        if message.template in SECRET_TEMPLATES:
            message.params = scrub(message.params)
    except Exception as error:  # any failure of the provider: recorded, retried later
        message.attempts += 1
        message.last_error = f"{type(error).__name__}: {error}"[:500]
        if message.attempts >= MAX_ATTEMPTS:
            message.status = "failed"
        else:
            message.next_attempt_at = now + backoff(message.attempts)
        log.warning(
            "notification %s not delivered (attempt %s): %s",
            message.id,
            message.attempts,
            message.last_error,
        )
    db.session.commit()
    return message.status


# Messages that carry a one-time code (portal/domain/codes.py): the code stays in the outbox
# only until it is sent (or could no longer be used), then only its hash is left anywhere.
SECRET_TEMPLATES = frozenset({"verify_code"})
SECRET_TTL = timedelta(minutes=5)


def scrub(params: dict | None) -> dict:
    return {k: ("******" if k == "code" else v) for k, v in (params or {}).items()}


def send_sms(
    number: str | None, text: str, *, template: str = "", params: dict | None = None
) -> None:
    """The SMS provider adapter (`portal/sms.py`). "log": the message is written to the log
    (a deployment without a provider contract, and the tests); "aliyun" and "tencent" send
    the provider's registered template with the message's parameters."""
    from portal import sms
    from portal.web.sessions import utcnow

    if not number:
        raise ValueError("no mobile number")
    backend = current_app.config["SMS_BACKEND"]
    if backend == "log":
        log.info("SMS to %s: %s", number, text)
        return
    if backend not in sms.BACKENDS:
        raise RuntimeError(f"unknown SMS backend {backend!r}")
    sms.BACKENDS[backend](current_app.config, number, template, params or {}, now=utcnow())


def send_email(address: str | None, text: str) -> None:
    config = current_app.config
    if not address:
        raise ValueError("no e-mail address")
    if not config["SMTP_HOST"]:
        raise RuntimeError("SMTP_HOST is not configured")
    mail = EmailMessage()
    mail["From"], mail["To"] = config["SMTP_FROM"], address
    mail["Subject"] = text[:60]
    mail.set_content(text)
    with smtplib.SMTP(config["SMTP_HOST"], config["SMTP_PORT"], timeout=10) as smtp:
        smtp.send_message(mail)


def webhook_signature(secret: str, timestamp: str, body: bytes) -> str:
    """`sha256=` and the HMAC-SHA256 of "<timestamp>.<body>" under the client's secret: the
    receiver recomputes it, and refuses old timestamps (a replayed delivery)."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


def send_webhook(message: Notification, now) -> None:
    """POST the work order's status, as it is now, to its system's webhook, signed; any
    answer but 2xx is a failure, retried with back-off like every message."""
    from portal.domain import work_orders
    from portal.domain.models import ApiClient

    params = message.params or {}
    client = db.session.get(ApiClient, params.get("client_id"))
    if client is None or client.revoked_at is not None or not client.webhook_secret:
        raise RuntimeError("the client is gone, revoked or has no webhook secret")
    work_order = work_orders.find(db.session, client, params.get("external_id", ""))
    if work_order is None:
        raise RuntimeError("no such work order")
    body = json.dumps(
        {
            "event": params.get("event"),
            "at": params.get("at"),
            "delivery": message.id,
            "work_order": work_orders.status(db.session, work_order),
        },
        ensure_ascii=False,
    ).encode()
    timestamp = str(int(now.timestamp()))
    request = urllib.request.Request(
        message.address or client.webhook_url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "X-Portal-Event": str(params.get("event")),
            "X-Portal-Delivery": str(message.id),
            "X-Portal-Timestamp": timestamp,
            "X-Portal-Signature": webhook_signature(client.webhook_secret, timestamp, body),
        },
    )
    with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310 (admin's URL)
        if not 200 <= answer.status < 300:
            raise RuntimeError(f"webhook answered {answer.status}")
