"""The SMS-code step shared by registration, adding a colleague, the claim and skipping a
sign-in delay (issue 17 item 7): a form with a "send code" button beside the mobile field
(it posts the whole form, so nothing typed is lost and it works without JavaScript), the
rate limits per number and per client address, and the outbox.

Asking for a code always gets the same answer, whether or not the number has an account:
a number without one gets a code, a number with one (where that matters) gets a message
telling its owner to sign in instead; nothing on the page differs.
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from flask import current_app, request
from flask_babel import gettext as _

from portal import jobs
from portal.domain import codes
from portal.domain.models import Notification
from portal.domain.notify import SMS, notify
from portal.extensions import db
from portal.web import limits
from portal.web.labels import masked_mobile
from portal.web.sessions import utcnow

SEND = "send_code"  # the name of the "send code" button


def asked_for_code() -> bool:
    """The form was posted with its "send code" button."""
    return request.method == "POST" and bool(request.form.get(SEND))


def within_budget(mobile: str) -> bool:
    """Count one code for the number and for the client's address; False when either is
    spent (SMS_CODE_LIMIT_NUMBER, SMS_CODE_LIMIT_ADDRESS)."""
    config = current_app.config
    return limits.spend(
        [
            (config["SMS_CODE_LIMIT_NUMBER"], "sms-code-number", mobile),
            (config["SMS_CODE_LIMIT_ADDRESS"], "sms-code-address", request.remote_addr or "-"),
        ]
    )


def send(mobile: str, template: str, params: dict | None = None) -> None:
    """Write the message to the outbox, commit, and queue it at once."""
    key = f"{template}:{mobile}:{secrets.token_hex(8)}"
    notify(
        db.session,
        key=key,
        template=template,
        at=utcnow(),
        channel=SMS,
        address=mobile,
        params=params or {},
    )
    db.session.commit()
    notification_id = db.session.scalar(sa.select(Notification.id).where(Notification.key == key))
    try:
        jobs.enqueue(notification_id)
    except Exception as error:  # the queue is down: the scheduler's tick sends it
        current_app.logger.warning("SMS code queued in the outbox only: %s", error)


def send_code(mobile: str, purpose: str) -> None:
    code = codes.issue_sms_code(
        db.session, purpose=purpose, mobile=mobile, at=utcnow(), secret=_secret()
    )
    send(mobile, "verify_code", {"code": code, "minutes": int(codes.SMS_TTL.seconds / 60)})


def check(mobile: str, purpose: str, code: str) -> bool:
    """Whether `code` is the live code for the number; the try is committed at once, so a
    wrong one counts whatever happens to the rest of the form."""
    right = codes.check_sms_code(
        db.session,
        purpose=purpose,
        mobile=mobile.strip(),
        code=(code or "").strip(),
        at=utcnow(),
        secret=_secret(),
    )
    db.session.commit()
    return right


def _secret() -> str:
    return current_app.config["SECRET_KEY"]


def sent_message(mobile: str) -> str:
    return _(
        "If %(mobile)s can receive it, a 6-digit code is on its way to it. Enter it below; it "
        "works for 5 minutes.",
        mobile=masked_mobile(mobile.strip()),
    )


def too_many() -> str:
    return _(
        "Too many codes were asked for this number or from your network. Wait a few "
        "minutes, then ask again."
    )


def wrong_code() -> str:
    return _("This code is not right or has expired. Check the SMS, or ask for a new code.")


def ask(form, purpose: str, *, when_taken: str | None) -> str | None:
    """The "send code" button of `form` (its `mobile` field) was pressed: check the number,
    count it against the limits, send a code (or, to a number that has an account, the
    `when_taken` message, if any). Returns the notice to show, or None with the reason
    beside the mobile field. The notice is the same whether or not the number has an
    account."""
    from portal.domain import accounts
    from portal.domain.errors import RuleViolation

    mobile = (form.mobile.data or "").strip()
    form.code.data = ""
    try:
        accounts.check_mobile(mobile)
    except RuleViolation as problem:
        form.mobile.errors = [_(problem.message)]
        return None
    if not within_budget(mobile):
        form.mobile.errors = [too_many()]
        return None
    if accounts.mobile_taken(db.session, mobile):
        if when_taken:
            send(mobile, when_taken)
    else:
        send_code(mobile, purpose)
    return sent_message(mobile)


def code_problems(form, purpose: str) -> bool:
    """Check the form's SMS code against its mobile number (a try is counted); False with
    the reason beside the code field."""
    if not check(form.mobile.data or "", purpose, form.code.data or ""):
        form.code.errors = [wrong_code()]
        form.code.data = ""
        return False
    return True
