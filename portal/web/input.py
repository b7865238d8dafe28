"""What a request's parameters may hold: every query-string and form value (and name) loses
its C0 control characters except tab, line feed and carriage return, before any form or
view reads it.

PostgreSQL's text cannot hold a NUL at all (the driver raises, and a search for `a%00b`
answered 500), and the other control characters have no meaning in a name, a phone number or
a case's text: they only make a stored value differ from what the reader sees, and they are
illegal in the XML of a spreadsheet. Removing them where the request is parsed covers the
forms and the few views that read `request.args` themselves alike (SECURITY.md check 18;
issue 9 item 10: fuzzing with control characters)."""

from __future__ import annotations

import re

from werkzeug.datastructures import ImmutableMultiDict, iter_multi_items

CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean(text: str) -> str:
    """`text` without C0 control characters (and DEL), tab and line breaks kept."""
    return CONTROL.sub("", text)


class CleanParameters(ImmutableMultiDict):
    """The request's parameters with control characters removed from names and text."""

    def __init__(self, mapping=None):
        if mapping is None:
            super().__init__()
            return
        super().__init__(
            (clean(key), clean(value) if isinstance(value, str) else value)
            for key, value in iter_multi_items(mapping))


def init_app(app) -> None:
    """Clean the parameters of the app's request class (after htmx-flask installed its own,
    which adds `request.htmx`)."""
    app.request_class = type("CleanRequest", (app.request_class,),
                             {"parameter_storage_class": CleanParameters})
