"""URL converters: case numbers are the only ids that are not integers."""

from werkzeug.routing import BaseConverter

from portal.domain.numbering import CASE_NUMBER_PATTERN


class CaseNumberConverter(BaseConverter):
    regex = CASE_NUMBER_PATTERN


def init_app(app) -> None:
    app.url_map.converters["case_number"] = CaseNumberConverter
