"""The messages the "log" SMS backend sent (portal/jobs.py `send_sms`: "SMS to <number>:
<text>"), read as a phone would: the tests take SMS codes from here, never from the
database (which keeps only their hashes)."""

from __future__ import annotations

import logging
import re
import threading

CODE = re.compile(r"(?<!\d)(\d{6})(?!\d)")


class SmsInbox(logging.Handler):
    def __init__(self):
        super().__init__(logging.INFO)
        self.messages: list[tuple[str, str]] = []
        self._lock_messages = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        if record.msg == "SMS to %s: %s" and isinstance(record.args, tuple):
            number, text = record.args
            with self._lock_messages:
                self.messages.append((str(number), str(text)))

    def to(self, number: str) -> list[str]:
        with self._lock_messages:
            return [text for n, text in self.messages if n == number]

    def code(self, number: str) -> str:
        """The code in the last message to `number`."""
        texts = self.to(number)
        assert texts, f"no SMS to {number}"
        found = CODE.search(texts[-1])
        assert found, f"no code in the last SMS to {number}: {texts[-1]}"
        return found.group(1)

    def __enter__(self) -> SmsInbox:
        logger = logging.getLogger("portal.jobs")
        self._level = logger.level
        logger.setLevel(logging.INFO)
        logger.addHandler(self)
        return self

    def __exit__(self, *exc) -> None:
        logger = logging.getLogger("portal.jobs")
        logger.removeHandler(self)
        logger.setLevel(self._level)
