"""The service-card code (issue 17 item 7): the enterprise's liaison, or the office, issues
a one-time code printed on the enterprise's service card with a QR code of the claim page,
and hands it over at a visit; with it the enterprise claims its account
(portal/domain/claims.py). Reissuing replaces the code before; only its hash is kept, so
the code is shown once, on the page that issues it."""

from __future__ import annotations

import segno
import sqlalchemy as sa
from flask import abort, current_app, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from markupsafe import Markup
from wtforms import HiddenField

from portal.blueprints.contacts import bp
from portal.domain import claims, codes, ledger
from portal.domain.access import jurisdiction_subtree
from portal.domain.card import service_card
from portal.domain.errors import RuleViolation
from portal.domain.models import Enterprise, Role
from portal.extensions import db, limiter
from portal.web.guards import requires
from portal.web.pdf import pdf_response, render_pdf
from portal.web.rendering import render_screen
from portal.web.sessions import utcnow


def _enterprise(enterprise_id: int) -> Enterprise:
    """The enterprise if it is this liaison's (or their unit's), or in the office's
    jurisdiction; else 404."""
    if current_user.role is Role.LIAISON:
        if ledger.assignment_of(db.session, current_user, enterprise_id) is None:
            abort(404)
        return db.session.get(Enterprise, enterprise_id)
    found = db.session.scalar(
        sa.select(Enterprise).where(
            Enterprise.id == enterprise_id,
            Enterprise.jurisdiction_id.in_(jurisdiction_subtree(current_user.unit.jurisdiction_id)),
        )
    )
    if found is None:
        abort(404)
    return found


@bp.route("/enterprises/<int:enterprise_id>/card-code", methods=["GET", "POST"])
@requires(Role.LIAISON, Role.OFFICE)
@limiter.limit("30 per hour", methods=["POST"])
def card_code(enterprise_id: int):
    enterprise = _enterprise(enterprise_id)
    form = FlaskForm()
    code = qr = claim_url = None
    problem = None
    if form.validate_on_submit():
        try:
            code = claims.issue_card(
                db.session,
                enterprise,
                by=current_user,
                at=utcnow(),
                secret=current_app.config["SECRET_KEY"],
                days=current_app.config["CLAIM_CARD_DAYS"],
                ip=request.remote_addr,
            )
            db.session.commit()
        except RuleViolation as violation:
            db.session.rollback()
            problem = _(violation.message)
        else:
            claim_url, qr = _claim_qr(code)
    live = codes.live_card_code(db.session, enterprise, utcnow())
    return render_screen(
        "contacts/card_code.html",
        form=form,
        print_form=CardPdfForm(code=code),
        enterprise=enterprise,
        code=code,
        qr=qr,
        claim_url=claim_url,
        live=live,
        problem=problem,
        has_account=bool(enterprise.users),
        days=current_app.config["CLAIM_CARD_DAYS"],
    )


def _claim_qr(code: str) -> tuple[str, Markup]:
    """The claim page's address with the code, and its QR code (inline SVG)."""
    claim_url = url_for("auth.claim", card=code, _external=True)
    svg = segno.make(claim_url, error="m").svg_inline(
        scale=3, title=_("QR code of the claim page with this code")
    )
    return claim_url, Markup(svg.replace("<svg ", '<svg role="img" ', 1))


class CardPdfForm(FlaskForm):
    code = HiddenField()


@bp.post("/enterprises/<int:enterprise_id>/card.pdf")
@requires(Role.LIAISON, Role.OFFICE)
@limiter.limit("30 per hour")
def card_pdf(enterprise_id: int):
    """The enterprise's service card (Chaozhou 附件4) with its claim code and the QR of
    the claim page, to print and hand over. The code comes back from the page that issued
    it (only its hash is kept) and must be the enterprise's live code."""
    enterprise = _enterprise(enterprise_id)
    form = CardPdfForm()
    row = None
    if form.validate_on_submit():
        row = codes.card_code_row(
            db.session, form.code.data or "", at=utcnow(), secret=current_app.config["SECRET_KEY"]
        )
    if row is None or row.enterprise_id != enterprise.id:
        return render_screen(
            "contacts/card_code.html",
            form=FlaskForm(),
            print_form=None,
            enterprise=enterprise,
            code=None,
            qr=None,
            claim_url=None,
            live=codes.live_card_code(db.session, enterprise, utcnow()),
            problem=_("This code no longer works. Issue a new one."),
            has_account=bool(enterprise.users),
            days=current_app.config["CLAIM_CARD_DAYS"],
            status=422,
        )
    code = codes.grouped(codes.normalise(form.code.data))
    claim_url, qr = _claim_qr(code)
    whistle_url = url_for("enterprise.whistle", _external=True)
    data = render_pdf(
        "pdf/card.html",
        card=service_card(db.session, enterprise),
        enterprise=enterprise,
        whistle_url=whistle_url,
        track_url=url_for("enterprise.track", _external=True),
        qr_svg=Markup(segno.make(whistle_url, error="m").svg_inline(scale=4, border=2)),
        claim_code=code,
        claim_url=claim_url,
        claim_qr=qr,
        claim_until=row.expires_at,
    )
    return pdf_response(data, _("Service card") + ".pdf")
