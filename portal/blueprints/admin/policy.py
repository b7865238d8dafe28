"""Time-limit policy profiles (`/admin/policies`, issue 16 item 3): the five seeds' presets
and their copies; which jurisdiction runs which (or inherits its parent's); a copy's edits,
each a new revision and an audit row; and a calculator of what a profile means in dates.
Presets are read-only: an administrator copies one and edits the copy."""

from __future__ import annotations

import sqlalchemy as sa
from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.orm import selectinload
from wtforms.fields.choices import SelectChoice

from portal.blueprints.admin import bp
from portal.blueprints.admin.forms import (
    LIMIT_LABELS,
    TYPE_LIMIT_LABELS,
    WEEKDAYS,
    DeadlinesForm,
    JurisdictionPolicyForm,
    PolicyCopyForm,
    policy_changes,
    policy_form_class,
    policy_form_data,
)
from portal.domain import policies
from portal.domain.calendar import load_calendar
from portal.domain.errors import RuleViolation
from portal.domain.models import CaseType, Jurisdiction, PolicyProfile, Role
from portal.extensions import db
from portal.web.forms import commit_or_explain
from portal.web.guards import requires
from portal.web.rendering import render_screen
from portal.web.sessions import utcnow

CLOCK_LABELS = {
    "contact": _l("Contact the enterprise"),
    "confirm": _l("Confirm taking the case"),
    "finish": _l("Finish"),
    "plan": _l("Handling plan"),
    "reply": _l("Reply to the enterprise"),
    "extension cap": _l("Latest finish with an extension"),
}


def _profiles() -> list[PolicyProfile]:
    return db.session.scalars(
        sa.select(PolicyProfile).order_by(PolicyProfile.preset.desc(), PolicyProfile.key)
    ).all()


def _jurisdictions() -> list[Jurisdiction]:
    return db.session.scalars(
        sa.select(Jurisdiction)
        .options(selectinload(Jurisdiction.policy))
        .order_by(Jurisdiction.code)
    ).all()


def _choice_form(place: Jurisdiction, profiles, formdata=None) -> JurisdictionPolicyForm:
    form = JurisdictionPolicyForm(
        formdata=formdata,
        prefix=f"j{place.id}",
        profile=str(place.policy_id) if place.policy_id else "",
    )
    form.profile.choices = [SelectChoice("", _("Inherit the parent's"))] + [
        SelectChoice(str(p.id), f"{p.name} ({p.key})") for p in profiles
    ]
    return form


def _index(failed: tuple[int, JurisdictionPolicyForm] | None = None, status: int = 200):
    profiles = _profiles()
    places = _jurisdictions()
    used = {}
    for place in places:
        if place.policy_id:
            used[place.policy_id] = used.get(place.policy_id, 0) + 1
    forms = {
        place.id: failed[1] if failed and failed[0] == place.id else _choice_form(place, profiles)
        for place in places
    }
    return render_screen(
        "admin/policies.html",
        profiles=profiles,
        places=places,
        forms=forms,
        used=used,
        status=status,
    )


@bp.get("/policies")
@requires(Role.ADMIN)
def policies_index():
    return _index()


@bp.post("/jurisdictions/<int:jurisdiction_id>/policy")
@requires(Role.ADMIN)
def jurisdiction_policy(jurisdiction_id: int):
    """A jurisdiction runs a profile, or inherits its parent's (audited)."""
    place = db.get_or_404(Jurisdiction, jurisdiction_id)
    form = _choice_form(place, _profiles(), formdata=request.form)
    if form.validate():
        chosen = (
            db.session.get(PolicyProfile, int(form.profile.data)) if form.profile.data else None
        )
        done, _none = commit_or_explain(
            form,
            "profile",
            lambda: policies.choose_profile(
                db.session, place, chosen, by=current_user, at=utcnow(), ip=request.remote_addr
            ),
        )
        if done:
            flash(
                _(
                    "%(place)s now runs %(profile)s.",
                    place=place.name,
                    profile=place.effective_policy.name if place.effective_policy else "—",
                )
            )
            return redirect(url_for("admin.policies_index") + f"#j{place.id}", 303)
    return _index(failed=(place.id, form))


def _limits(profile: PolicyProfile) -> list[tuple[str, str, str]]:
    """(what, value, clause) for every limit of the profile, in the form's order."""
    rows = []
    clauses = profile.clauses or {}
    for name, kind in policies.EDITABLE.items():
        value = getattr(profile, name)
        if kind == "flag":
            shown = _("Yes") if value else _("No")
        elif kind == "weekday":
            shown = str(WEEKDAYS[value]) if value is not None else "—"
        else:
            shown = "—" if value is None else str(value)
        rows.append((str(LIMIT_LABELS[name]), shown, clauses.get(name, "")))
    for type_value, label in TYPE_LIMIT_LABELS.items():
        value = (profile.finish_days_by_type or {}).get(type_value)
        if value is not None:
            rows.append((str(label), str(value), clauses.get("finish_days_by_type", "")))
    return rows


def _detail(profile: PolicyProfile, copy_form=None, error=None, status=200):
    calculator = DeadlinesForm(request.args, meta={"csrf": False})
    clocks = None
    asked = "at" in request.args
    if asked and calculator.validate():
        try:
            clocks = policies.deadlines(
                profile,
                CaseType(calculator.type.data),
                calculator.at.data,
                load_calendar(db.session),
                unit_level=calculator.unit_level.data or "city",
            )
        except RuleViolation as rule:  # a type the profile does not take (Shantou: business)
            calculator.type.errors = [_(rule.message, **rule.params)]
    in_use = db.session.scalars(
        sa.select(Jurisdiction)
        .where(Jurisdiction.policy_id == profile.id)
        .order_by(Jurisdiction.code)
    ).all()
    return render_screen(
        "admin/policy.html",
        block="deadlines" if asked else "content",
        profile=profile,
        limits=_limits(profile),
        calculator=calculator,
        clocks=clocks,
        asked=asked,
        copy_form=copy_form or PolicyCopyForm(formdata=None),
        in_use=in_use,
        clock_labels=CLOCK_LABELS,
        error=error,
        status=status,
    )


@bp.get("/policies/<int:profile_id>")
@requires(Role.ADMIN)
def policy(profile_id: int):
    """The profile's limits with their clauses, its history, who runs it, and the
    calculator (`?type=…&at=…&unit_level=…`; htmx swaps only its result)."""
    return _detail(db.get_or_404(PolicyProfile, profile_id))


@bp.post("/policies/<int:profile_id>/copy")
@requires(Role.ADMIN)
def policy_copy(profile_id: int):
    source = db.get_or_404(PolicyProfile, profile_id)
    form = PolicyCopyForm()
    if form.validate_on_submit():
        done, copy = commit_or_explain(
            form,
            "key",
            lambda: policies.copy_profile(
                db.session,
                source,
                key=form.key.data,
                name=form.name.data,
                by=current_user,
                at=utcnow(),
                ip=request.remote_addr,
            ),
        )
        if done:
            flash(_("Copied. Edit the copy's limits, then choose it for a jurisdiction."))
            return redirect(url_for("admin.policy_edit", profile_id=copy.id), 303)
    return _detail(source, copy_form=form)


@bp.route("/policies/<int:profile_id>/edit", methods=["GET", "POST"])
@requires(Role.ADMIN)
def policy_edit(profile_id: int):
    """Edit a copy's limits: one new revision, audited old → new; cases already
    dispatched keep the limits they were dispatched under."""
    profile = db.get_or_404(PolicyProfile, profile_id)
    if profile.preset:
        return _detail(profile, error=_("A seed's preset cannot be edited; copy it first."))
    form_class = policy_form_class()
    form = form_class() if request.method == "POST" else form_class(data=policy_form_data(profile))
    if form.validate_on_submit():
        done, changed = commit_or_explain(
            form,
            "note",
            lambda: policies.edit_profile(
                db.session,
                profile,
                policy_changes(form),
                note=form.note.data,
                by=current_user,
                at=utcnow(),
                ip=request.remote_addr,
            ),
        )
        if done:
            flash(
                _("Saved as revision %(number)d.", number=profile.revision)
                if changed
                else _("Nothing changed.")
            )
            return redirect(url_for("admin.policy", profile_id=profile.id), 303)
    return render_screen(
        "admin/policy_edit.html",
        profile=profile,
        form=form,
        limit_names=list(policies.EDITABLE),
        type_names=[policies.TYPE_LIMIT_PREFIX + t for t in TYPE_LIMIT_LABELS],
    )
