"""Delivering the outbox: e-mail to a real (local) SMTP server, SMS through the logging
adapter, failures recorded and retried with a doubling back-off, nothing sent twice and
nothing lost."""

from __future__ import annotations

import socket
from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller

from portal import jobs
from portal.domain.models import Notification
from portal.domain.notify import EMAIL, SMS, notify
from tests import factories


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.rcpt_tos, envelope.content.decode("utf-8", "replace")))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture()
def smtp(app):
    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=port)
    yield inbox
    controller.stop()


def _message(db, channel, address, key="k1"):
    assert notify(
        db.session,
        key=key,
        template="overdue",
        at=factories.now(),
        channel=channel,
        address=address,
        params={"number": "445100-2026-00001", "title": "用工难", "due": "2026-11-09"},
    )
    db.session.commit()
    return db.session.query(Notification).filter_by(key=key).one()


def test_an_email_reaches_the_smtp_server(app, db, smtp):
    message = _message(db, EMAIL, "handler@example.gov.cn")
    assert message.status == "pending"
    jobs.enqueue(message.id)
    db.session.refresh(message)
    assert message.status == "sent" and message.sent_at is not None
    ((recipients, content),) = smtp.messages
    assert recipients == ["handler@example.gov.cn"]
    assert "445100-2026-00001" in content
    jobs.enqueue(message.id)  # a re-queue of a sent message sends nothing
    assert len(smtp.messages) == 1


def test_an_sms_goes_through_the_logging_adapter(app, db, caplog):
    message = _message(db, SMS, "13800000001")
    with caplog.at_level("INFO", logger="portal.jobs"):
        jobs.enqueue(message.id)
    db.session.refresh(message)
    assert message.status == "sent"
    assert any(
        "SMS to 13800000001" in r.getMessage() and "已逾期" in r.getMessage()
        for r in caplog.records
    )


def test_a_failed_send_is_kept_and_retried_with_back_off(app, db, smtp):
    port = app.config["SMTP_PORT"]
    app.config["SMTP_PORT"] = free_port()  # nobody listens there
    message = _message(db, EMAIL, "office@example.gov.cn")
    jobs.enqueue(message.id)
    db.session.refresh(message)
    assert (message.status, message.attempts) == ("pending", 1)
    assert "Error" in message.last_error or "refused" in message.last_error.lower()
    first_retry = message.next_attempt_at
    assert first_retry is not None
    assert jobs.enqueue_pending(first_retry - timedelta(seconds=1)) == 0  # not yet due
    app.config["SMTP_PORT"] = port
    assert jobs.enqueue_pending(first_retry) == 1
    db.session.refresh(message)
    assert message.status == "sent" and len(smtp.messages) == 1
    assert [jobs.backoff(n) for n in (1, 2, 3)] == [
        timedelta(minutes=1),
        timedelta(minutes=2),
        timedelta(minutes=4),
    ]
    assert jobs.backoff(20) == timedelta(days=1)


def test_after_the_last_attempt_the_message_stays_failed(app, db):
    app.config["SMTP_HOST"] = ""
    message = _message(db, EMAIL, "office@example.gov.cn")
    for _ in range(jobs.MAX_ATTEMPTS):
        jobs.deliver(message.id)
    db.session.refresh(message)
    assert (message.status, message.attempts) == ("failed", jobs.MAX_ATTEMPTS)
    assert "SMTP_HOST" in message.last_error
    assert db.session.get(Notification, message.id) is not None  # kept for the admin


def test_production_mode_requires_postgresql_a_secret_and_redis():
    from portal import create_app
    from portal.config import database_url
    from tests.conftest import _config

    with pytest.raises(RuntimeError) as refused:
        create_app(_config("sqlite://", PRODUCTION=True, SECRET_KEY="", JOBS_BACKEND="sqlite"))
    assert "postgresql" in str(refused.value) and "SECRET_KEY" in str(refused.value)
    assert "JOBS_BACKEND" in str(refused.value)
    app = create_app(
        _config(
            database_url("postgresql://127.0.0.1:5432/test"),
            PRODUCTION=True,
            SECRET_KEY="x" * 64,
            JOBS_BACKEND="redis",
        )
    )
    assert app.config["PRODUCTION"]


def test_the_queue_down_leaves_the_messages_in_the_outbox(app, db, monkeypatch, caplog):
    """A Redis queue nobody answers (a port where nothing listens): the tick's messages stay
    pending in the outbox and go out once the queue is back."""
    from huey import RedisHuey

    message = _message(db, SMS, "13800000001")
    nowhere = f"redis://127.0.0.1:{free_port()}/0"
    monkeypatch.setattr(jobs, "huey", RedisHuey("portal", url=nowhere))
    with caplog.at_level("WARNING", logger="portal.jobs"):
        assert jobs.enqueue_pending(factories.now()) == 0
    db.session.refresh(message)
    assert message.status == "pending" and "wait in the outbox" in caplog.text
    monkeypatch.undo()
    assert jobs.enqueue_pending(factories.now()) == 1
    db.session.refresh(message)
    assert message.status == "sent"


def test_the_admin_reads_the_outbox(app, db, world, client, login_as):
    app.config["SMTP_HOST"] = ""
    message = _message(db, EMAIL, "office@example.gov.cn")
    jobs.deliver(message.id)
    _message(db, SMS, "13800000001", key="k2")
    login_as("admin")
    page = client.get("/admin/outbox")
    assert page.status_code == 200
    assert "SMTP_HOST" in page.text and "138****0001" in page.text
    assert "用工难" not in page.text  # never the case's content
    waiting = client.get("/admin/outbox?status=pending").text
    assert "138****0001" in waiting
    client._cookies.clear()
    login_as("office")
    assert client.get("/admin/outbox").status_code == 403
