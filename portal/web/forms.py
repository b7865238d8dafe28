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
        explain(form, getattr(violation, "violations", [violation]), default_field)
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


def form_field(form, name: str | None):
    """The field a domain rule names: "title", or inside a list of subforms
    "problems-1-content" (the form's own names); None if the form has no such field."""
    if not name:
        return None
    head, _sep, rest = name.partition("-")
    field = getattr(form, head, None)
    if field is None or not rest:
        return field
    index, _sep, sub = rest.partition("-")
    if not index.isdigit() or int(index) >= len(getattr(field, "entries", [])):
        return None
    entry = field.entries[int(index)]
    return getattr(entry.form, sub, None) if sub else entry


def explain(form, violations, default_field: str) -> None:
    """Put each rule's message (in the user's language) beside the field it names, or
    beside `default_field`; a field the form's own checks already refused keeps its
    message alone. A list of subforms gets its per-entry errors refreshed, so the error
    summary lists them."""
    for violation in violations:
        named = form_field(form, violation.field)
        if named is not None and named.errors:
            continue
        field = named if named is not None else getattr(form, default_field)
        field.errors = [*field.errors, _(violation.message, **violation.params)]
        parent = getattr(form, (violation.field or "").split("-", 1)[0], None)
        if parent is not None and parent is not field and hasattr(parent, "entries"):
            texts = [e for e in parent.errors if isinstance(e, str)]
            parent.errors = [entry.errors for entry in parent.entries] + texts


def validate_all(form, problems: Callable[[], list], default_field: str) -> bool:
    """On submit, the form's own checks and the domain's (`problems()`, a list of
    RuleViolation) in one pass: every wrong field is told at once (issue 17 item 3)."""
    if not form.is_submitted():
        return False
    valid = form.validate()
    found = problems()
    explain(form, found, default_field)
    return valid and not found


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
