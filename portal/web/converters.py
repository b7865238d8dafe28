"""URL converters: case numbers are the only ids that are not integers."""

from werkzeug.routing import BaseConverter

from portal.domain.numbering import CASE_NUMBER_PATTERN


class CaseNumberConverter(BaseConverter):
    regex = CASE_NUMBER_PATTERN


class TokenConverter(BaseConverter):
    """An opaque random code (e.g. an SMS tracking link), never an id."""

    regex = r"[A-Za-z0-9_-]{8,64}"


def init_app(app) -> None:
    app.url_map.converters["case_number"] = CaseNumberConverter
    app.url_map.converters["token"] = TokenConverter
