"""The enterprise portal (`/`): the service card, the whistle form and the enterprise's cases."""

from __future__ import annotations

import secrets

import segno
import sqlalchemy as sa
from flask import abort, current_app, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy.exc import IntegrityError
from wtforms.fields.choices import SelectChoice

from portal.blueprints.cases.documents import register_enterprise
from portal.blueprints.enterprise import bp
from portal.blueprints.enterprise.forms import RatingForm, SupplementForm, WhistleForm
from portal.domain import access, answers, duplicates, uploads, workflow
from portal.domain.access import case_scope
from portal.domain.calendar import load_calendar, local_date
from portal.domain.card import service_card
from portal.domain.models import Answer, Case, CaseState, CaseType, RatingLevel, Role
from portal.domain.policies import case_types_for, finish_days_for
from portal.extensions import db, limiter
from portal.web import kept_forms, upload_budget
from portal.web.forms import commit_or_explain
from portal.web.guards import requires
from portal.web.labels import choices, label
from portal.web.loading import load_case
from portal.web.pdf import pdf_response, render_pdf
from portal.web.rendering import render_screen, wants_fragment
from portal.web.security import talisman
from portal.web.sessions import utcnow
from portal.web.uploads import send_attachment, upload_root


def _my_enterprise():
    if current_user.is_authenticated and current_user.role is Role.ENTERPRISE:
        return current_user.enterprise
    return None


@bp.get("/")
def index():
    return render_screen("enterprise/index.html", card=service_card(db.session, _my_enterprise()))


@bp.get("/card.pdf")
@limiter.limit("20 per minute")
def card_pdf():
    card = service_card(db.session, _my_enterprise())
    whistle_url = url_for("enterprise.whistle", _external=True)
    qr = segno.make(whistle_url, error="m").svg_inline(scale=4, border=2)
    data = render_pdf(
        "pdf/card.html",
        card=card,
        whistle_url=whistle_url,
        track_url=url_for("enterprise.track", _external=True),
        qr_svg=Markup(qr),
    )
    return pdf_response(data, _("Service card") + ".pdf")


def _user_key() -> str:
    return f"user:{current_user.get_id()}" if current_user.is_authenticated else request.remote_addr


def _prepare(form: WhistleForm, enterprise) -> dict:
    targets = workflow.whistle_targets(enterprise)
    labels = {
        workflow.LOCAL: _(
            "My county, district or zone: %(name)s", name=targets[workflow.LOCAL].name
        ),
        workflow.CITY: _("The city: %(name)s", name=targets[workflow.CITY].name)
        if workflow.CITY in targets
        else "",
    }
    form.level.choices = [SelectChoice(key, labels[key]) for key in targets]
    # The types some level here takes (Shantou 三(三) sets no limit for business handling,
    # so its levels take none); a level that does not take the type chosen says so.
    taken = {t for target in targets.values() for t in case_types_for(target.effective_policy)}
    form.case_type.choices = choices(t for t in CaseType if t in taken)
    categories = workflow.categories_of(db.session, targets[workflow.LOCAL])
    if categories:
        form.category.choices = [SelectChoice("", _("Choose a category"))] + [
            SelectChoice(str(c.number), f"{c.number}. {c.name}") for c in categories
        ]
    else:
        del form.category  # a jurisdiction without a category list: the office classifies
    return targets


def _files(field) -> list[uploads.CheckedFile]:
    """The files checked, after they are counted against the upload budget (per
    enterprise and per address) and before any is decoded."""
    chosen = sum(1 for f in field.data or [] if f and f.filename)
    upload_budget.charge(min(chosen, uploads.MAX_FILES + 1))  # a flood is refused unread
    return uploads.check_files(field.data)


@bp.route("/whistle", methods=["GET", "POST"])
@requires(Role.ENTERPRISE)
@limiter.limit("30 per hour", key_func=_user_key, methods=["POST"])
def whistle():
    enterprise = current_user.enterprise
    if enterprise.name_check:  # registered under a company's name: the office confirms first
        return render_screen("enterprise/name_check.html", enterprise=enterprise)
    form = WhistleForm()
    _prepare(form, enterprise)
    similar, ask = [], False
    if request.method == "GET" and not kept_forms.restoring():
        form.submission_key.data = secrets.token_urlsafe(16)
        form.contact_name.data = current_user.name
        form.contact_phone.data = current_user.mobile
        if len(form.level.choices) == 1:
            form.level.data = workflow.LOCAL
    else:
        sent = (
            db.session.scalar(
                sa.select(Case).where(
                    Case.submission_key == request.form.get("submission_key", ""),
                    Case.enterprise_id == enterprise.id,
                )
            )
            if request.form.get("submission_key")
            else None
        )
        if sent is not None:  # a resend after a lost connection: the same receipt
            return redirect(url_for("enterprise.case", number=sent.number), 303)
        if request.form.get("add_to"):
            return _add_to_existing(form, request.form["add_to"])
    if form.validate_on_submit():
        similar = duplicates.similar_open_cases(
            db.session, enterprise, f"{form.title.data} {form.content.data}"
        )
        ask = duplicates.must_ask(
            similar,
            seen=set(request.form.getlist("seen_similar")),
            confirmed_new=bool(request.form.get("confirm_new")),
        )
        if not ask:
            try:
                done, case = commit_or_explain(
                    form,
                    "attachments",
                    lambda: workflow.whistle(
                        db.session,
                        load_calendar(db.session),
                        by=current_user,
                        level=form.level.data,
                        case_type=CaseType(form.case_type.data),
                        category_number=int(form.category.data)
                        if "category" in form and form.category.data
                        else None,
                        title=form.title.data.strip(),
                        content=form.content.data.strip(),
                        contact_name=form.contact_name.data.strip(),
                        contact_phone=form.contact_phone.data.strip(),
                        at=utcnow(),
                        submission_key=form.submission_key.data or secrets.token_urlsafe(16),
                        files=_files(form.attachments),
                        upload_root=upload_root(),
                    ),
                )
            except IntegrityError:
                # The same form arrived twice at once: the other request created the case.
                db.session.rollback()
                case = db.session.scalar(
                    sa.select(Case).where(
                        Case.submission_key == form.submission_key.data,
                        Case.enterprise_id == enterprise.id,
                    )
                )
                if case is None:
                    raise
                return redirect(url_for("enterprise.case", number=case.number), 303)
            if done:
                flash(_("Submitted. Your case number is %(number)s.", number=case.number))
                return redirect(url_for("enterprise.case", number=case.number), 303)
    had_files = any(f and f.filename for f in (form.attachments.data or []))
    return render_screen(
        "enterprise/whistle.html",
        form=form,
        similar=similar,
        ask=ask,
        reattach=(bool(form.errors) or ask) and had_files,
        answers=_answers_for(enterprise, f"{form.title.data or ''} {form.content.data or ''}")
        if request.method == "POST"
        else [],
    )


def _add_to_existing(form: WhistleForm, number: str):
    """The enterprise chose to add this text and its files to an open case it already has
    (重复件) rather than start a new one."""
    case = load_case(number, current_user)
    text = (form.content.data or "").strip()
    done, _event = commit_or_explain(
        form,
        "content",
        lambda: workflow.supplement(
            db.session,
            case,
            by=current_user,
            text=text,
            at=utcnow(),
            files=_files(form.attachments),
            upload_root=upload_root(),
        ),
    )
    if not done:
        return render_screen(
            "enterprise/whistle.html", form=form, similar=[], ask=False, reattach=False
        )
    flash(
        _("Added to your case %(number)s. The unit handling it has been told.", number=case.number)
    )
    return redirect(url_for("enterprise.case", number=case.number), 303)


@bp.post("/whistle/similar")
@requires(Role.ENTERPRISE)
@limiter.limit("60 per minute", key_func=_user_key)
def similar():
    """The live duplicate hint (htmx): open cases of this enterprise that read alike."""
    if not wants_fragment():
        return redirect(url_for("enterprise.whistle"), 303)
    text = f"{request.form.get('title', '')} {request.form.get('content', '')}"[:4000]
    enterprise = current_user.enterprise
    cases = duplicates.similar_open_cases(db.session, enterprise, text)
    return render_screen(
        "enterprise/whistle.html",
        block="similar",
        similar=cases,
        ask=False,
        answers=_answers_for(enterprise, text),
    )


def _answers_for(enterprise, text: str) -> list:
    """Published answers that may settle a consultation before it is sent (知识库)."""
    if request.form.get("case_type") != CaseType.CONSULTATION.value:
        return []
    return answers.hints(db.session, answers.places_for(enterprise.jurisdiction), text)


@bp.post("/answers/<int:answer_id>/settled")
@requires(Role.ENTERPRISE)
def answer_settled(answer_id: int):
    """ "This answers my question": counted as a consultation settled without a case."""
    found = db.session.get(Answer, answer_id)
    places = answers.places_for(current_user.enterprise.jurisdiction)
    if found is None or not found.published or found.jurisdiction_id not in places:
        abort(404)
    try:
        answers.settled(db.session, found, by=current_user, at=utcnow())
        db.session.commit()
    except IntegrityError:  # a colleague's click at the same moment was counted
        db.session.rollback()
    flash(_("Glad the answer helped. Nothing was sent; whistle again any time."))
    return redirect(url_for("enterprise.cases"), 303)


CASES_PER_PAGE = 20


@bp.get("/cases")
@requires(Role.ENTERPRISE)
def cases():
    """The enterprise's cases, newest first, a page at a time (an enterprise may have
    hundreds; a phone needs the latest few)."""
    page = request.args.get("page", 1, type=int)
    if not 1 <= page <= 10_000:
        abort(404)
    rows = db.session.scalars(
        sa.select(Case)
        .where(case_scope(current_user))
        .order_by(Case.received_at.desc(), Case.id.desc())
        .limit(CASES_PER_PAGE + 1)
        .offset((page - 1) * CASES_PER_PAGE)
    ).all()
    return render_screen(
        "enterprise/cases.html",
        cases=rows[:CASES_PER_PAGE],
        page=page,
        more=len(rows) > CASES_PER_PAGE,
    )


def _rating_form(case: Case) -> RatingForm:
    """The evaluation form with the levels the case's policy offers (2 or 3)."""
    form = RatingForm(prefix="rating")
    form.level.choices = [SelectChoice(lv.value, label(lv)) for lv in workflow.rating_levels(case)]
    return form


def case_context(
    case: Case,
    *,
    rate_url: str,
    supplement_url: str | None,
    attachment_endpoint: str | None,
    timeline: bool = True,
) -> dict:
    """What the case page shows the enterprise: its visible timeline and files, the next due
    date in working days, and the rating and supplement forms when they apply. The status
    fragment passes `timeline=False`: it shows no events, so none are read."""
    calendar = load_calendar(db.session)
    now = utcnow()
    today = local_date(now)
    due = case.current_due
    policy = case.policy  # its own limits: those it was dispatched under, a 12345 order's
    rating_form = None
    if workflow.can_rate(case, calendar, now):
        rating_form = _rating_form(case)
    return {
        "case": case,
        "events": access.enterprise_timeline(db.session, case) if timeline else [],
        "attachments": [a for a in case.attachments if a.visible_to_enterprise],
        "attachment_endpoint": attachment_endpoint,
        "due": due,
        # Counted only forward: a long-overdue date needs no count, just "overdue".
        "days_left": calendar.working_days_between(today, due) if due and due >= today else None,
        "overdue": case.is_overdue(today),
        "finish_days": finish_days_for(policy, case.type) if policy else None,
        "rating_form": rating_form,
        "rating_deadline": workflow.rating_deadline(case, calendar) if rating_form else None,
        "rate_url": rate_url,
        "supplement_url": supplement_url if case.is_open else None,
        # The enterprise's own ratings in the timeline: level and solved or not (issue 17
        # item 6); the comment is the event's note.
        "rating_labels": {lv.value: label(lv) for lv in RatingLevel},
    }


def _my_case_context(case: Case, timeline: bool = True) -> dict:
    return case_context(
        case,
        rate_url=url_for("enterprise.rate", number=case.number),
        supplement_url=url_for("enterprise.add_information", number=case.number),
        attachment_endpoint="enterprise.attachment",
        timeline=timeline,
    )


@bp.get("/cases/<case_number:number>")
@requires(Role.ENTERPRISE)
def case(number: str):
    return render_screen(
        "enterprise/case.html",
        hx_history=False,
        **_my_case_context(load_case(number, current_user)),
    )


@bp.get("/cases/<case_number:number>/status")
@requires(Role.ENTERPRISE)
def case_status(number: str):
    return render_screen(
        "enterprise/case.html",
        block="status",
        **_my_case_context(load_case(number, current_user), timeline=False),
    )


def _rated_message(case: Case, calendar) -> str:
    """What the enterprise is told after rating. 不满意 always says what happens next and by
    when, whoever answered (issue 17 item 6; Chaozhou 四(四)4 "对企业不满意……由本级领导小组
    办公室进行督办", Chengkou 五(三)3 "责成重新办理"): the lead unit handles it again, or, for
    an answer the office gave itself, the office dispatches it anew; under supervision."""
    if case.rating_level is not RatingLevel.UNSATISFIED:
        return _("Thank you for rating the service.")
    due = case.current_due
    day = current_app.jinja_env.filters["day"](due) if due else None  # as pages write it
    if case.state is CaseState.IN_HAND and case.lead_unit is not None:
        if day:
            return _(
                "Thank you. Your case goes back to %(unit)s to be handled again, under the "
                "office's supervision, by %(day)s.",
                unit=case.lead_unit.name,
                day=day,
            )
        return _(
            "Thank you. Your case goes back to %(unit)s to be handled again, under the "
            "office's supervision.",
            unit=case.lead_unit.name,
        )
    if day:
        return _(
            "Thank you. The office takes your case up again under supervision and sends it "
            "to the department that must act by %(day)s.",
            day=day,
        )
    return _(
        "Thank you. The office takes your case up again under supervision and sends it to "
        "the department that must act."
    )


def submit_rating(case: Case, by, redirect_to: str, rerender):
    """Shared by the case page and the /track page: validate, rate, commit, redirect."""
    calendar = load_calendar(db.session)
    form = _rating_form(case)
    refused = False
    if form.validate_on_submit():
        done, _rating = commit_or_explain(
            form,
            "level",
            lambda: workflow.rate(
                db.session,
                calendar,
                case,
                by=by,
                level=RatingLevel(form.level.data),
                solved=form.solved.data == "yes",
                comment=form.comment.data or "",
                at=utcnow(),
            ),
        )
        if done:
            flash(_rated_message(case, calendar))
            return redirect(redirect_to, 303)
        refused = True
    response = rerender(form)
    if refused:  # a rule refused it, e.g. no reply to rate yet: 409 (SECURITY.md check 15)
        response.status_code = 409
    return response


@bp.post("/cases/<case_number:number>/rating")
@requires(Role.ENTERPRISE)
@limiter.limit("20 per hour", key_func=_user_key)
def rate(number: str):
    case = load_case(number, current_user)
    target = url_for("enterprise.case", number=number)

    def rerender(form):
        context = _my_case_context(case)
        context["rating_form"] = form
        return render_screen("enterprise/case.html", hx_history=False, status=200, **context)

    return submit_rating(case, current_user, target, rerender)


@bp.route("/cases/<case_number:number>/information", methods=["GET", "POST"])
@requires(Role.ENTERPRISE)
@limiter.limit("30 per hour", key_func=_user_key, methods=["POST"])
def add_information(number: str):
    """Add information or files to an open case (its own short page, so the case page stays
    light on a phone)."""
    case = load_case(number, current_user)
    if not case.is_open:
        abort(404)
    form = SupplementForm(prefix="more")
    if form.validate_on_submit():
        done, _event = commit_or_explain(
            form,
            "attachments",
            lambda: workflow.supplement(
                db.session,
                case,
                by=current_user,
                text=form.text.data or "",
                at=utcnow(),
                files=_files(form.attachments),
                upload_root=upload_root(),
            ),
        )
        if done:
            flash(_("Added to your case. The unit handling it has been told."))
            return redirect(url_for("enterprise.case", number=number), 303)
    return render_screen("enterprise/information.html", case=case, form=form)


@bp.get("/cases/<case_number:number>/files/<int:attachment_id>")
@talisman(content_security_policy={"default-src": "'none'", "sandbox": ""})
@requires(Role.ENTERPRISE)
def attachment(number: str, attachment_id: int):
    case = load_case(number, current_user)
    return send_attachment(case, attachment_id)


register_enterprise(bp)
