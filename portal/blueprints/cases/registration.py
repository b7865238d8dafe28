"""Registering a whistle that did not come through the portal, on one form (Chaozhou 附件2
受理登记表): the office's (`/office/register`) and a department's that received it itself
(`/workbench/register`, Chaozhou 四(二))."""

from __future__ import annotations

from flask import flash, redirect, url_for
from flask_babel import gettext as _

from portal.blueprints.office.forms import RegisterForm
from portal.domain import workflow
from portal.domain.models import CaseType, Channel, Enterprise
from portal.domain.policies import case_types_for
from portal.extensions import db
from portal.web.forms import commit_or_explain
from portal.web.labels import choices
from portal.web.rendering import render_screen


def register_screen(jurisdiction, take, *, endpoint: str, case_endpoint: str, back: str, hint):
    """The registration form (Chaozhou 附件2), shared by the office and a department that
    takes a whistle itself (Chaozhou 四(二)): `take(**fields)` registers the case from
    the form's fields; a refused registration says why beside the field."""
    form = RegisterForm()
    categories = workflow.categories_of(db.session, jurisdiction)
    form.prepare(categories)
    # Only the types the level's policy takes (Shantou 三(三): no business handling).
    taken = case_types_for(jurisdiction.effective_policy)
    form.case_type.choices = choices(taken)
    if form.case_type.default not in {t.value for t in taken}:
        form.case_type.default = taken[0].value
    if form.validate_on_submit():
        enterprise = None
        if form.credit_code.data:
            enterprise = (
                db.session.query(Enterprise)
                .filter_by(credit_code=form.credit_code.data.strip().upper())
                .one_or_none()
            )
        category = next((c for c in categories if str(c.id) == form.category.data), None)
        done, case = commit_or_explain(
            form,
            "content",
            lambda: take(
                applicant_name=form.applicant_name.data.strip(),
                contact_name=form.contact_name.data.strip(),
                contact_phone=form.contact_phone.data.strip(),
                title=form.title.data.strip(),
                content=form.content.data,
                case_type=CaseType(form.case_type.data),
                channel=Channel(form.channel.data),
                enterprise=enterprise,
                category=category,
            ),
        )
        if done:
            flash(_("Registered as %(number)s.", number=case.number))
            return redirect(url_for(case_endpoint, number=case.number), 303)
    return render_screen(
        "office/register.html",
        form=form,
        action=url_for(endpoint),
        back=back,
        hint=hint,
        status=422 if form.errors else 200,
    )
