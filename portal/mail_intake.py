"""The office's mailbox, read over IMAP for e-mail intake (`flask --app wsgi intake mail`):
each unread message's bytes go to `domain.intake.take_message`, and the message is marked
read only once what it became is stored (never lost)."""

from __future__ import annotations

import imaplib
from collections.abc import Callable, Iterator
from dataclasses import dataclass


@dataclass(frozen=True)
class Mailbox:
    host: str
    port: int
    user: str
    password: str
    folder: str = "INBOX"
    ssl: bool = True


def read_mailbox(box: Mailbox) -> Iterator[tuple[bytes, Callable[[], object]]]:
    """Each unread message's bytes, with a function that marks it read (called once the
    message is safely stored)."""
    client = (imaplib.IMAP4_SSL if box.ssl else imaplib.IMAP4)(box.host, box.port)
    try:
        client.login(box.user, box.password)
        client.select(box.folder)
        _status, found = client.uid("SEARCH", None, "UNSEEN")
        for uid in (found[0] or b"").split():
            _status, data = client.uid("FETCH", uid, "(BODY.PEEK[])")
            raw = next((part[1] for part in data if isinstance(part, tuple)), None)
            if raw is None:
                continue

            def mark_read(uid=uid):
                client.uid("STORE", uid, "+FLAGS", "(\\Seen)")

            yield raw, mark_read
    finally:
        try:
            client.logout()
        except Exception:  # the connection is already gone: nothing to close
            pass
