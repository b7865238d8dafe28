"""The one way views run a domain verb from a form (STYLE.md: parse the form, call one verb,
commit once; on RuleViolation put the message on the form and re-render)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import wtforms
from flask import abort
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from markupsafe import Markup, escape
from sqlalchemy.orm.exc import StaleDataError
from wtforms import SelectField
from wtforms.widgets import Select

from portal.domain.errors import RuleViolation
from portal.extensions import db


def commit_or_explain(
    form, default_field: str, verb: Callable[[], Any], on_stale: Callable[[], None] | None = None
) -> tuple[bool, Any]:
    """Run `verb` and commit. When a rule forbids it, roll back, put the rule's message (in
    the user's language) beside the field it names, or beside `default_field`, and return
    (False, None); otherwise (True, what the verb returned). When someone else changed the
    case in the meantime (its version moved on), roll back and call `on_stale`, or answer
    409 without one."""
    try:
        result = verb()
        db.session.commit()
    except StaleDataError:
        # Someone else changed the case in the meantime (a double tap, a second tab).
        db.session.rollback()
        if on_stale is None:
            abort(409)
        on_stale()
        return False, None
    except RuleViolation as violation:
        db.session.rollback()
        field = getattr(form, violation.field or "", None) or getattr(form, default_field)
        field.errors = [*field.errors, _(violation.message, **violation.params)]
        return False, None
    return True, result


class DateField(wtforms.DateField):
    """wtforms' DateField, refusing days no case, contact or policy can have: year 1 and
    year 9999 are dates, but the time-zone arithmetic of a filter on them overflowed (500,
    issue 18 item 2). An out-of-range day is an error beside the field, its data None."""

    EARLIEST = date(1900, 1, 1)
    LATEST = date(2999, 12, 31)

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        if self.data is not None and not self.EARLIEST <= self.data <= self.LATEST:
            self.data = None
            raise ValueError(
                _(
                    "Give a day between %(first)s and %(last)s.",
                    first=self.EARLIEST.isoformat(),
                    last=self.LATEST.isoformat(),
                )
            )


class PanelForm(FlaskForm):
    """A form that shares its page with others (hence a field prefix). CSRFProtect checks
    the token of every POST already, so the form does not look for a prefixed copy."""

    class Meta:
        csrf = False


class LightSelect(Select):
    """wtforms' Select, with plain options written without its attribute machinery: a
    queue's filters offer a hundred units and categories, and rendering them option by
    option took a quarter of the page's time (bench/queues.py). The markup is the same."""

    @classmethod
    def render_option(cls, choice, **kwargs):
        if choice.render_kw or kwargs or isinstance(choice.value, bool):
            return super().render_option(choice, **kwargs)
        selected = "selected " if choice.selected else ""
        label = escape(choice.label or choice.value)
        return Markup(f'<option {selected}value="{escape(choice.value)}">{label}</option>')


class LightSelectField(SelectField):
    widget = LightSelect()
