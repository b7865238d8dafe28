"""`/track`: a case's status for whoever has its number and the mobile number it was
registered with, no account needed; staff-registered cases (phone, 12345, visits) are
followed here. SMS messages carry a short link, `/t/<code>`, that opens the same page.

Access is granted per case in the signed session after a match, so the page can be
refreshed and rated without typing the numbers again; rate-limited against guessing.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, redirect, request, session, url_for
from flask_babel import gettext as _

from portal.blueprints.enterprise import bp
from portal.blueprints.enterprise.forms import TrackForm
from portal.blueprints.enterprise.views import case_context, submit_rating
from portal.domain import tracking, workflow
from portal.domain.models import Case
from portal.extensions import db, limiter
from portal.web.loading import audit_case_view
from portal.web.rendering import render_screen

GRANTS = "tracked_cases"
MAX_GRANTS = 5


def _grant(case: Case) -> None:
    granted = [n for n in session.get(GRANTS, []) if n != case.id]
    session[GRANTS] = [case.id, *granted][:MAX_GRANTS]


def _tracked(number: str) -> Case:
    case = db.session.scalar(sa.select(Case).where(Case.number == number))
    if case is None or case.id not in session.get(GRANTS, []):
        abort(404)
    return case


def _context(case: Case) -> dict:
    return case_context(
        case,
        rate_url=url_for("enterprise.track_rate", number=case.number),
        supplement_url=None,
        attachment_endpoint=None,
    )


def _number_key() -> str:
    """Guesses at one case count together however its number is written."""
    typed = request.form.get("number") or ""
    return "track:" + (tracking.case_number_candidates(typed) or [typed.strip().upper()])[0][:32]


@bp.route("/track", methods=["GET", "POST"])
@limiter.limit("10 per minute;60 per hour", methods=["POST"])
@limiter.limit("10 per hour", methods=["POST"], key_func=_number_key)
def track():
    form = TrackForm()
    if form.validate_on_submit():
        case = workflow.find_tracked_case(db.session, form.number.data, form.mobile.data)
        audit_case_view(
            case.number if case else form.number.data.strip().upper()[:32],
            None,
            found=case is not None,
            action="track",
        )
        if case is not None:
            _grant(case)
            return redirect(url_for("enterprise.tracked", number=case.number), 303)
        form.form_errors.append(
            _("No case matches this case number and mobile number. Check both and try again.")
        )
    return render_screen("enterprise/track.html", form=form)


@bp.get("/track/<case_number:number>")
def tracked(number: str):
    return render_screen(
        "enterprise/case.html", hx_history=False, tracking=True, **_context(_tracked(number))
    )


@bp.post("/track/<case_number:number>/rating")
@limiter.limit("20 per hour")
def track_rate(number: str):
    case = _tracked(number)

    def rerender(form):
        context = _context(case)
        context["rating_form"] = form
        return render_screen("enterprise/case.html", hx_history=False, tracking=True, **context)

    return submit_rating(case, None, url_for("enterprise.tracked", number=number), rerender)


@bp.get("/t/<token:code>")
@limiter.limit("30 per minute")
def short_link(code: str):
    """The short link in an SMS: opens the case it was issued for."""
    case = db.session.scalar(
        sa.select(Case).where(Case.tracking_hash == workflow.hash_tracking_code(code))
    )
    if case is None:
        flash(_("This link is no longer valid. Enter the case number and your mobile number."))
        return redirect(url_for("enterprise.track"), 303)
    _grant(case)
    return redirect(url_for("enterprise.tracked", number=case.number), 303)
