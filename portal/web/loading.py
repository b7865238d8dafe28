"""Load one object for the signed-in user, or 404 (the tutorial's `get_post`)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort

from portal.domain.access import case_scope
from portal.domain.models import Case
from portal.extensions import db


def load_case(number: str, for_user) -> Case:
    """The case numbered `number` if `for_user` may see it.

    Raises 404 (not 403) for a case outside the user's scope, so another enterprise's or
    another unit's case cannot be told apart from one that does not exist.
    """
    case = db.session.scalar(
        sa.select(Case).where(Case.number == number, case_scope(for_user)))
    if case is None:
        abort(404)
    return case
