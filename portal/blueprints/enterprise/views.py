"""The enterprise portal (`/`): the service card, the whistle form and the enterprise's cases."""

from __future__ import annotations

import secrets
from pathlib import Path

import segno
import sqlalchemy as sa
from flask import current_app, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from portal.blueprints.enterprise import bp
from portal.blueprints.enterprise.forms import WhistleForm
from portal.domain import uploads, workflow
from portal.domain.access import case_scope
from portal.domain.calendar import load_calendar, local_date
from portal.domain.card import service_card
from portal.domain.errors import RuleViolation
from portal.domain.models import Case, CaseType, Role
from portal.domain.policies import finish_days_for
from portal.extensions import db, limiter
from portal.web.guards import requires
from portal.web.loading import load_case
from portal.web.pdf import pdf_response, render_pdf
from portal.web.rendering import render_screen
from portal.web.sessions import utcnow


def _my_enterprise():
    if current_user.is_authenticated and current_user.role is Role.ENTERPRISE:
        return current_user.enterprise
    return None


@bp.get("/")
def index():
    return render_screen("enterprise/index.html", card=service_card(db.session, _my_enterprise()))


@bp.get("/card.pdf")
def card_pdf():
    card = service_card(db.session, _my_enterprise())
    whistle_url = url_for("enterprise.whistle", _external=True)
    qr = segno.make(whistle_url, error="m").svg_inline(scale=4, border=2)
    data = render_pdf("pdf/card.html", card=card, whistle_url=whistle_url, qr_svg=Markup(qr))
    return pdf_response(data, _("Service card") + ".pdf")


def _upload_root() -> Path:
    return Path(current_app.instance_path) / "uploads"


def _user_key() -> str:
    return f"user:{current_user.get_id()}" if current_user.is_authenticated else request.remote_addr


def _prepare(form: WhistleForm, enterprise) -> dict:
    targets = workflow.whistle_targets(enterprise)
    labels = {workflow.LOCAL: _("My county, district or zone: %(name)s",
                                name=targets[workflow.LOCAL].name),
              workflow.CITY: _("The city: %(name)s", name=targets[workflow.CITY].name)
              if workflow.CITY in targets else ""}
    form.level.choices = [(key, labels[key]) for key in targets]
    categories = workflow.categories_of(db.session, targets[workflow.LOCAL])
    if categories:
        form.category.choices = [("", _("Choose a category"))] + [
            (str(c.number), f"{c.number}. {c.name}") for c in categories]
    else:
        del form.category  # a jurisdiction without a category list: the office classifies
    return targets


@bp.route("/whistle", methods=["GET", "POST"])
@requires(Role.ENTERPRISE)
@limiter.limit("30 per hour", key_func=_user_key, methods=["POST"])
def whistle():
    enterprise = current_user.enterprise
    form = WhistleForm()
    _prepare(form, enterprise)
    if request.method == "GET":
        form.submission_key.data = secrets.token_urlsafe(16)
        form.contact_name.data = current_user.name
        form.contact_phone.data = current_user.mobile
        if len(form.level.choices) == 1:
            form.level.data = workflow.LOCAL
    if form.validate_on_submit():
        try:
            files = [uploads.check_file(f.filename, f.read())
                     for f in form.attachments.data or [] if f and f.filename]
            case = workflow.whistle(
                db.session, load_calendar(db.session), by=current_user, level=form.level.data,
                case_type=CaseType(form.case_type.data),
                category_number=int(form.category.data)
                if "category" in form and form.category.data else None,
                title=form.title.data.strip(), content=form.content.data.strip(),
                contact_name=form.contact_name.data.strip(),
                contact_phone=form.contact_phone.data.strip(), at=utcnow(),
                submission_key=form.submission_key.data or secrets.token_urlsafe(16),
                files=files, upload_root=_upload_root())
            db.session.commit()
        except RuleViolation as violation:
            db.session.rollback()
            field = getattr(form, violation.field or "attachments")
            field.errors = [*field.errors, _(violation.message)]
        except IntegrityError:
            # The same form arrived twice at once: the other request created the case.
            db.session.rollback()
            case = db.session.scalar(sa.select(Case).where(
                Case.submission_key == form.submission_key.data,
                Case.enterprise_id == enterprise.id))
            if case is None:
                raise
            return redirect(url_for("enterprise.case", number=case.number), 303)
        else:
            flash(_("Submitted. Your case number is %(number)s.", number=case.number))
            return redirect(url_for("enterprise.case", number=case.number), 303)
    had_files = any(f and f.filename for f in (form.attachments.data or []))
    return render_screen("enterprise/whistle.html", form=form,
                         reattach=bool(form.errors) and had_files)


@bp.get("/cases")
@requires(Role.ENTERPRISE)
def cases():
    rows = db.session.scalars(
        sa.select(Case).where(case_scope(current_user)).order_by(Case.received_at.desc())
        .options(selectinload(Case.receiving_unit), selectinload(Case.lead_unit))
    ).all()
    return render_screen("enterprise/cases.html", cases=rows)


def _case_context(case: Case) -> dict:
    calendar = load_calendar(db.session)
    today = local_date(utcnow())
    due = case.current_due
    policy = case.jurisdiction.effective_policy
    return {
        "case": case,
        "events": [e for e in case.events if e.visible_to_enterprise],
        "attachments": [a for a in case.attachments if a.visible_to_enterprise],
        "due": due,
        "days_left": calendar.working_days_between(today, due) if due else None,
        "overdue": case.is_overdue(today),
        "finish_days": finish_days_for(policy, case.type) if policy else None,
    }


@bp.get("/cases/<case_number:number>")
@requires(Role.ENTERPRISE)
def case(number: str):
    return render_screen("enterprise/case.html", hx_history=False,
                         **_case_context(load_case(number, current_user)))


@bp.get("/cases/<case_number:number>/status")
@requires(Role.ENTERPRISE)
def case_status(number: str):
    return render_screen("enterprise/case.html", block="status",
                         **_case_context(load_case(number, current_user)))
