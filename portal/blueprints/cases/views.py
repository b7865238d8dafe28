"""The staff case page, for the office (`/office/cases/…`) and the department workbench
(`/workbench/cases/…`): the case with the steps this user may take now, its files, and one
POST per step.

A form that does not validate answers 422; a step a rule refuses answers 409 with the
rule's words beside the field; a step that lost a race with a colleague (the case's
version moved on) answers 409 with the case as it is now. Everything typed is kept.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import selectinload

from portal.blueprints.cases.steps import (
    STAFF_STEPS,
    step_form,
)
from portal.domain import workflow
from portal.domain.access import sees_contact
from portal.domain.calendar import load_calendar, local_date
from portal.domain.models import (
    Case,
    CaseEvent,
    CaseState,
    Role,
)
from portal.extensions import db
from portal.web import documents
from portal.web.auditing import audit_request
from portal.web.forms import commit_or_explain
from portal.web.guards import requires
from portal.web.labels import case_contact_phone, label_of
from portal.web.loading import load_case
from portal.web.rendering import render_screen
from portal.web.security import talisman
from portal.web.sessions import utcnow
from portal.web.uploads import send_attachment


def _staff_context(case: Case, user, *, failed: dict | None = None, conflict=False) -> dict:
    calendar = load_calendar(db.session)
    now = utcnow()
    today = local_date(now)
    due = case.current_due
    forms = dict(failed or {})
    steps = [
        (
            action,
            action_label_for_step(action),
            forms.get(action) or step_form(action, case),
            STAFF_STEPS[action].panel,
        )
        for action in workflow.available_steps(case, user)
        if action in STAFF_STEPS
    ]
    events = db.session.scalars(
        sa.select(CaseEvent)
        .where(CaseEvent.case_id == case.id)
        .options(selectinload(CaseEvent.actor), selectinload(CaseEvent.actor_unit))
        .order_by(CaseEvent.id)
    ).all()
    return {
        "case": case,
        # The contact phone whole only for the staff assigned to the case (checklist 13).
        "contact_phone": case_contact_phone(case, user),
        "contact_whole": sees_contact(case, user),
        "events": events,
        "steps": steps,
        "open_step": next(iter(forms), None),
        "conflict": conflict,
        "due": due,
        "days_left": workflow.working_days_left(case, calendar, today),
        "overdue": case.is_overdue(today),
        "contact_overdue": case.contact_overdue(today),
        "progress_due": workflow.progress_due(case, today),
        "extension": workflow.pending_extension(case),
        "supervision": workflow.open_supervision(case),
        "rating_deadline": workflow.rating_deadline(case, calendar),
        "window_closed": workflow.rating_window_closed(case, calendar, today),
        "sampled": case.state is CaseState.RATED and workflow.callback_sampled(case),
        "refusal_reasons": workflow.REFUSAL_REASONS,
        "label_of": label_of,
        "documents": documents.applicable(
            documents.CaseFacts(
                case,
                for_enterprise=False,
                office=case.office or case.receiving_unit,
                events=list(events),
            )
        ),
    }


def action_label_for_step(action: str) -> str:
    return str(STAFF_STEPS[action].title)


def register(bp, audience: str, *roles: Role) -> None:
    """Add the case page and its steps to `bp` (the "cases" blueprint under `audience`, the
    office or the workbench), for `roles`."""
    name = audience

    @bp.get("/<case_number:number>")
    @requires(*roles)
    def case(number: str):
        found = load_case(number, current_user)
        return render_screen(
            "cases/case.html", hx_history=False, bp=name, **_staff_context(found, current_user)
        )

    @bp.get("/<case_number:number>/files/<int:attachment_id>")
    @talisman(content_security_policy={"default-src": "'none'", "sandbox": ""})
    @requires(*roles)
    def attachment(number: str, attachment_id: int):
        """Staff may open every file of a case they may see, always as a download."""
        return send_attachment(load_case(number, current_user), attachment_id, staff=True)

    @bp.post("/<case_number:number>/<step:action>")
    @requires(*roles)
    def act(number: str, action: str):
        if action not in STAFF_STEPS:
            abort(404)
        found = load_case(number, current_user)
        form = step_form(action, found, submitted=True)

        def stale():
            form.form_errors.append(
                _(
                    "Someone else changed this case while you were "
                    "working on it. Here it is as it is now; what you "
                    "typed is kept below."
                )
            )

        if form.version.data != str(found.version_id):
            stale()
            return _rerender(found, action, form, name, status=409)
        if not workflow.is_allowed(found, current_user, action):
            form.form_errors.append(
                _(
                    "This case has moved on and this step no longer "
                    "applies. Its current state is shown on the page."
                )
            )
            return _rerender(found, action, form, name, status=409)
        if form.validate_on_submit():
            calendar = load_calendar(db.session)
            verb = STAFF_STEPS[action].take

            def audited_step():
                """The step, then its audit row, last before the commit (SECURITY.md
                "nothing lost" 4 and checklist 28: the change and its record, or neither)."""
                before = found.state
                result = verb(form, found, current_user, utcnow(), calendar)
                audit_request(
                    "step",
                    object_type="case",
                    object_id=found.number,
                    result="ok",
                    detail=f"{action}: {before.value} → {found.state.value}",
                )
                return result

            done, _result = commit_or_explain(
                form, _first_field(form), audited_step, on_stale=stale
            )
            if done:
                flash(_("Done: %(step)s.", step=action_label_for_step(action)))
                return redirect(url_for(".case", number=number), 303)
            # A rule refused the step (its words stand beside the field), or the step lost
            # a race (the case as it is now): 409 either way, what was typed kept.
            db.session.expire_all()
            return _rerender(load_case(number, current_user), action, form, name, status=409)
        return _rerender(found, action, form, name, status=422)


def _first_field(form) -> str:
    """Where a rule's message goes when it names no field: the step's first field."""
    return next((f.short_name for f in form if f.short_name != "version"), "version")


def _rerender(case, action, form, bp_name, status):
    form.version.data = str(case.version_id)
    context = _staff_context(case, current_user, failed={action: form})
    return render_screen(
        "cases/case.html", hx_history=False, bp=bp_name, status=status, form=form, **context
    )
