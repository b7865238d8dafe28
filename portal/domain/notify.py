"""Writing to the outbox (`Notification`): one row per message, in the caller's
transaction, at most once per key — a second scheduler, a retried request or a re-run of
the same tick finds the key taken and writes nothing. Delivery is the job queue's."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from portal.domain.models import Case, NoticeChannel, NoticeStatus, Notification, Role, User

IN_APP, SMS, EMAIL = NoticeChannel.IN_APP, NoticeChannel.SMS, NoticeChannel.EMAIL
# A work order's own system, told by a signed POST to its webhook (issue 10).
WEBHOOK = NoticeChannel.WEBHOOK


def notify(
    session,
    *,
    key: str,
    template: str,
    at: datetime,
    user: User | None = None,
    channel: NoticeChannel = IN_APP,
    address: str | None = None,
    case: Case | None = None,
    params: dict | None = None,
) -> bool:
    """Write one message unless its key exists; True when written. In-app messages are
    delivered by being written; SMS and e-mail wait for the job queue (`pending`)."""
    values = dict(
        key=key[:120],
        created_at=at,
        channel=channel,
        user_id=user.id if user else None,
        address=address,
        template=template,
        params=params or {},
        case_id=case.id if case else None,
        status=NoticeStatus.SENT if channel == IN_APP else NoticeStatus.PENDING,
        sent_at=at if channel == IN_APP else None,
        attempts=0,
        last_error="",
    )
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    written = session.execute(
        insert(Notification)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["key"])
        .returning(Notification.id)
    ).first()
    return written is not None


def notify_all(
    session,
    users: Iterable[User],
    *,
    key: str,
    channels: tuple[NoticeChannel, ...] = (IN_APP,),
    **kwargs,
) -> int:
    """The same message to each of `users` on each of `channels` the user can be reached
    on (SMS: a mobile or phone number; e-mail: an address), each once: the key gets the
    user's id and the channel. Returns how many in-app messages were written (the others
    follow them)."""
    written = 0
    for user in users:
        for channel in channels:
            address = {SMS: user.mobile or user.phone, EMAIL: user.email}.get(channel)
            if channel != IN_APP and not address:
                continue
            done = notify(
                session,
                key=f"{key}:u{user.id}:{channel}",
                user=user,
                channel=channel,
                address=address,
                **kwargs,
            )
            written += done and channel == IN_APP
    return written


def unit_staff(session, unit_id: int | None, roles: Iterable[Role]) -> list[User]:
    if unit_id is None:
        return []
    return list(
        session.scalars(
            sa.select(User).where(User.unit_id == unit_id, User.role.in_(list(roles)), User.active)
        )
    )


def unread_count(session, user: User) -> int:
    return (
        session.scalar(
            sa.select(sa.func.count(Notification.id)).where(
                Notification.user_id == user.id,
                Notification.channel == IN_APP,
                Notification.read_at.is_(None),
            )
        )
        or 0
    )
