"""URL converters: case numbers are the only ids that are not integers; steps are words
from a closed list."""

from werkzeug.routing import BaseConverter, ValidationError
from werkzeug.routing import IntegerConverter as WerkzeugIntegerConverter

from portal.domain.numbering import CASE_NUMBER_PATTERN
from portal.domain.workflow import STEPS

# Ids are INTEGER columns (32 bits on PostgreSQL): a larger number is no object's id.
MAX_ID = 2**31 - 1


class IntegerConverter(WerkzeugIntegerConverter):
    """`<int:…>` with an upper bound: an id past MAX_ID does not match, so the URL answers
    404 instead of reaching the database (SQLite's driver raised OverflowError on 2**63,
    PostgreSQL "integer out of range": 500s, issue 18 item 2)."""

    def __init__(self, map, fixed_digits=0, min=None, max=MAX_ID, signed=False):  # noqa: A002
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


class CaseNumberConverter(BaseConverter):
    regex = CASE_NUMBER_PATTERN


class TokenConverter(BaseConverter):
    """An opaque random code (e.g. an SMS tracking link), never an id."""

    regex = r"[A-Za-z0-9_-]{8,64}"


class StepConverter(BaseConverter):
    """A step of the case's life in kebab-case (`/office/cases/<n>/rule-on-return`); a word
    that is not a step does not match, so the URL answers 404."""

    regex = r"[a-z]+(?:-[a-z]+)*"

    def to_python(self, value: str) -> str:
        action = value.replace("-", "_")
        if action not in STEPS:
            raise ValidationError()
        return action

    def to_url(self, value: str) -> str:
        return value.replace("_", "-")


def init_app(app) -> None:
    app.url_map.converters["int"] = IntegerConverter
    app.url_map.converters["case_number"] = CaseNumberConverter
    app.url_map.converters["token"] = TokenConverter
    app.url_map.converters["step"] = StepConverter
