"""The office (`/office`): the queue of new whistles, returns to rule on, replies to review,
escalations and callbacks; registering a whistle that arrived by phone, 12345, e-mail, a
visit, deputies or associations; and the staff case page with the office's steps.

Leaders (approvals, escalations put before them) and inspectors (supervision,
accountability) work from the same pages with their own steps.
"""

from __future__ import annotations

from flask import flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.blueprints import cases
from portal.blueprints.cases import documents as document_views
from portal.blueprints.cases import queue
from portal.blueprints.office import bp
from portal.blueprints.office.forms import RegisterForm
from portal.domain import queues, workflow
from portal.domain.calendar import load_calendar
from portal.domain.models import CaseType, Channel, Enterprise, Role
from portal.domain.policies import case_types_for
from portal.extensions import db
from portal.web.forms import commit_or_explain
from portal.web.guards import requires
from portal.web.labels import choices
from portal.web.rendering import render_screen
from portal.web.sessions import utcnow

ROLES = (Role.OFFICE, Role.LEADER, Role.INSPECTOR)


@bp.get("/")
@requires(*ROLES)
def index():
    summary = {}
    if (
        current_user.role is Role.OFFICE
        and current_user.unit is not None
        and not queue.is_queue_swap()
    ):  # the list alone does not show it
        summary["returns"] = queues.returns_by_unit(db.session, current_user.unit)
    title = {Role.LEADER: _("For the leaders"), Role.INSPECTOR: _("Supervision")}.get(
        current_user.role, _("Office")
    )
    return queue.queue_screen(title, endpoint="office.index", summary=summary)


@bp.route("/register", methods=["GET", "POST"])
@requires(Role.OFFICE)
def register():
    """受理登记 of a whistle that did not come through the portal (Chaozhou 附件2's fields):
    typed in while the caller is on the line, so one short form."""
    office = current_user.unit
    form = RegisterForm()
    categories = workflow.categories_of(db.session, office.jurisdiction)
    form.prepare(categories)
    # Only the types the office's policy takes (Shantou 三(三): no business handling).
    taken = case_types_for(office.jurisdiction.effective_policy)
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
            lambda: workflow.register_case(
                db.session,
                load_calendar(db.session),
                jurisdiction=office.jurisdiction,
                applicant_name=form.applicant_name.data.strip(),
                contact_name=form.contact_name.data.strip(),
                contact_phone=form.contact_phone.data.strip(),
                title=form.title.data.strip(),
                content=form.content.data,
                case_type=CaseType(form.case_type.data),
                channel=Channel(form.channel.data),
                at=utcnow(),
                by=current_user,
                enterprise=enterprise,
                category=category,
                receiving_unit=office,
            ),
        )
        if done:
            flash(_("Registered as %(number)s.", number=case.number))
            return redirect(url_for("office.cases.case", number=case.number), 303)
    return render_screen("office/register.html", form=form, status=422 if form.errors else 200)


bp.register_blueprint(cases.blueprint("office", *ROLES), url_prefix="/cases")
document_views.register_staff(bp, *ROLES)


@bp.get("/intake")
@requires(Role.OFFICE)
def intake():
    """The e-mails that could not be taken as cases (issue 10: "goes to a review list, never
    lost"): the office reads each and registers it by hand, or answers its sender."""
    from portal.domain import intake as mailroom
    from portal.domain.access import jurisdiction_subtree

    places = list(db.session.scalars(jurisdiction_subtree(current_user.unit.jurisdiction_id)))
    messages = mailroom.review_list(db.session, places)
    return render_screen(
        "office/intake.html", messages=[(m, mailroom.preview(m.raw)) for m in messages]
    )
