"""Registrations the office confirms (issue 18 item 4): an individual business that signed
up under the exact name of a registered company may not whistle until the office of its
place (or one above it) confirms it is a business of its own; refusing it disables its
accounts. Each decision is audited (accounts.decide_name)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.blueprints.office import bp
from portal.blueprints.office.forms import NameCheckForm
from portal.domain import accounts
from portal.domain.access import jurisdiction_subtree
from portal.domain.models import Enterprise, Role
from portal.extensions import db
from portal.web.forms import commit_or_explain
from portal.web.guards import requires
from portal.web.rendering import render_screen
from portal.web.sessions import utcnow


def _pending():
    return db.session.scalars(
        sa.select(Enterprise)
        .where(
            Enterprise.name_check == accounts.NAME_PENDING,
            Enterprise.jurisdiction_id.in_(jurisdiction_subtree(current_user.unit.jurisdiction_id)),
        )
        .order_by(Enterprise.created_at, Enterprise.id)
    ).all()


def _form(enterprise_id: int, formdata=None) -> NameCheckForm:
    """One waiting registration's decision form (its fields prefixed with its id)."""
    return NameCheckForm(prefix=f"e{enterprise_id}", formdata=formdata)


def _screen(failed: NameCheckForm | None = None, failed_id: int | None = None):
    """The waiting registrations, each with the companies of its name and its form; a
    refused POST's form comes back with its error (422)."""
    waiting = [
        (
            e,
            accounts.companies_named(db.session, e.name),
            failed if e.id == failed_id else _form(e.id),
        )
        for e in _pending()
    ]
    context = {"form": failed} if failed is not None else {}
    return render_screen(
        "office/registrations.html",
        waiting=waiting,
        status=422 if failed is not None else 200,
        **context,
    )


@bp.get("/registrations")
@requires(Role.OFFICE)
def registrations():
    return _screen()


@bp.post("/registrations/<int:enterprise_id>")
@requires(Role.OFFICE)
def registration_decide(enterprise_id: int):
    """Confirm or refuse one waiting registration; one outside the office's jurisdiction,
    or not waiting, is 404."""
    enterprise = next((e for e in _pending() if e.id == enterprise_id), None)
    if enterprise is None:
        abort(404)
    form = _form(enterprise_id, formdata=request.form)
    if form.validate_on_submit():
        confirm = form.decision.data == "confirm"
        done, _none = commit_or_explain(
            form,
            "decision",
            lambda: accounts.decide_name(
                db.session, enterprise, by=current_user, at=utcnow(), confirm=confirm
            ),
        )
        if done:
            flash(
                _("Confirmed: %(name)s may whistle.", name=enterprise.name)
                if confirm
                else _("Refused: the accounts of %(name)s are disabled.", name=enterprise.name)
            )
            return redirect(url_for("office.registrations"), 303)
    return _screen(form, enterprise_id)
