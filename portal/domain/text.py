"""Text as the portal stores it: no C0 control characters (tab and line breaks kept).

PostgreSQL's text cannot hold a NUL at all, and the other control characters have no meaning
in a name, a phone number or a case's text: they only make a stored value differ from what
the reader sees, and they are illegal in the XML of a spreadsheet (SECURITY.md check 18;
issue 9 item 10). The request's parameters are cleaned where they are parsed
(`web/input.py`); imported files, which arrive as bytes, are cleaned where they are read."""

from __future__ import annotations

import re

CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean(text: str) -> str:
    """`text` without C0 control characters (and DEL), tab and line breaks kept."""
    return CONTROL.sub("", text)
