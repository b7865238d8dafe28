"""What a request's parameters may hold: every query-string and form value (and name) loses
its C0 control characters except tab, line feed and carriage return (`domain/text.py`),
before any form or view reads it. A NUL reached PostgreSQL, whose driver raises on it: a
search for `a%00b` answered 500. Cleaning where the request is parsed covers the forms and
the few views that read `request.args` themselves alike (SECURITY.md check 18; issue 9
item 10: fuzzing with control characters)."""

from __future__ import annotations

from flask import request
from werkzeug.datastructures import ImmutableMultiDict, iter_multi_items

from portal.domain.text import clean
from portal.web.converters import MAX_ID

# The last page a list may be asked for (as the filter forms' NumberRange).
MAX_PAGE = 100000


class CleanParameters(ImmutableMultiDict):
    """The request's parameters with control characters removed from names and text."""

    def __init__(self, mapping=None):
        if mapping is None:
            super().__init__()
            return
        super().__init__(
            (clean(key), clean(value) if isinstance(value, str) else value)
            for key, value in iter_multi_items(mapping)
        )


def int_arg(name: str, default: int | None = None, *, high: int = MAX_ID) -> int | None:
    """`?name=` as a whole number from 1 to `high`, else `default`: a page or an id past
    what the database holds answered 500 (issue 18 item 2)."""
    value = request.args.get(name, type=int)
    return value if value is not None and 1 <= value <= high else default


def page_arg() -> int:
    """`?page=`, 1 when absent, not a number, or out of range."""
    return int_arg("page", 1, high=MAX_PAGE) or 1


def init_app(app) -> None:
    """Clean the parameters of the app's request class (after htmx-flask installed its own,
    which adds `request.htmx`)."""
    app.request_class = type(
        "CleanRequest", (app.request_class,), {"parameter_storage_class": CleanParameters}
    )
