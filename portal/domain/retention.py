"""Retention: personal information is erased once its purpose is spent (SECURITY.md checklist
30; issue 9 item 6). No Flask: `purge(session, now, policy)` is called by
`flask --app wsgi retention run` (a daily timer, deploy/systemd/portal-retention.timer) and
can be called by any job; the caller commits.

GB/T 35273-2020 §6.1 a): personal information is kept for the shortest time its purpose
needs, then erased or anonymised. What counts as personal information here, and when its
purpose is spent (the periods are configuration, `portal/config.py`; no seed fixes them,
the defaults are this project's choice):

- An SMS or e-mail in the outbox (`Notification`): the address (a mobile number or an
  e-mail address) and the message's parameters are needed until delivery has ended (sent,
  or failed for good). `RETENTION_NOTIFICATION_DAYS` (default 90) after it was written,
  they are emptied; the row stays, so the outbox still shows that a message was delivered.
- A case's short link (`Case.tracking_hash`): it opens the case (and its contact details)
  to whoever holds the SMS. Once a case is settled (closed, archived, refused, merged, or
  rated), `RETENTION_TRACKING_DAYS` (default 30) after its last step, the link ends.
- A case's contact person and number (`Case.contact_name`, `contact_phone`): needed to
  reach the enterprise while the case is handled and for a callback. An archived case's
  contact is erased `RETENTION_CASE_CONTACT_DAYS` (default 3 × 365) after its last step
  (the archiving); the case file itself (what was asked, what was done) stays.

Not purged: the audit log, ever (网络安全法 §21: logs kept at least six months; the app keeps
them for good and the config refuses a promised period under 180 days), and the case
events and attachments (append-only, part of the archived file).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from portal.domain.models import Case, CaseState, Notification

MIN_AUDIT_DAYS = 180  # 网络安全法 §21: 留存相关的网络日志不少于六个月
ERASED = ""  # what an erased contact field holds (the columns are NOT NULL)


@dataclass(frozen=True)
class Policy:
    notification_days: int = 90
    tracking_days: int = 30
    case_contact_days: int = 3 * 365

    @classmethod
    def from_config(cls, config) -> Policy:
        return cls(
            notification_days=int(config["RETENTION_NOTIFICATION_DAYS"]),
            tracking_days=int(config["RETENTION_TRACKING_DAYS"]),
            case_contact_days=int(config["RETENTION_CASE_CONTACT_DAYS"]),
        )


@dataclass
class Report:
    notifications: int = 0
    tracking_links: int = 0
    case_contacts: int = 0

    def __str__(self) -> str:
        return (
            f"{self.notifications} notification address(es), {self.tracking_links} "
            f"short link(s), {self.case_contacts} case contact(s) erased"
        )


def purge(session, now: datetime, policy: Policy) -> Report:
    """Erase what is past its period at `now`; idempotent (erased rows are not counted
    again). A case's version moves on, so a form opened before the erasure gets the
    conflict page instead of writing the old contact back."""
    report = Report()
    report.notifications = session.execute(
        sa.update(Notification)
        .where(
            Notification.channel.in_(("sms", "email")),
            Notification.status.in_(("sent", "failed")),
            Notification.created_at < now - timedelta(days=policy.notification_days),
            Notification.address.is_not(None),
        )
        .values(address=None, params={})
        .execution_options(synchronize_session=False)
    ).rowcount
    report.tracking_links = session.execute(
        sa.update(Case)
        .where(
            Case.state.in_(CaseState.FINISHED),
            Case.tracking_hash.is_not(None),
            Case.last_event_at < now - timedelta(days=policy.tracking_days),
        )
        .values(tracking_hash=None, version_id=Case.version_id + 1)
        .execution_options(synchronize_session=False)
    ).rowcount
    report.case_contacts = session.execute(
        sa.update(Case)
        .where(
            Case.state == CaseState.ARCHIVED,
            Case.last_event_at < now - timedelta(days=policy.case_contact_days),
            sa.or_(Case.contact_name != ERASED, Case.contact_phone != ERASED),
        )
        .values(contact_name=ERASED, contact_phone=ERASED, version_id=Case.version_id + 1)
        .execution_options(synchronize_session=False)
    ).rowcount
    return report
