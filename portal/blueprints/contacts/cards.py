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

from portal.blueprints.contacts import bp
from portal.domain import claims, codes, ledger
from portal.domain.access import jurisdiction_subtree
from portal.domain.errors import RuleViolation
from portal.domain.models import Enterprise, Role
from portal.extensions import db, limiter
from portal.web.guards import requires
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
            claim_url = url_for("auth.claim", card=code, _external=True)
            svg = segno.make(claim_url, error="m").svg_inline(
                scale=3, title=_("QR code of the claim page with this code")
            )
            qr = Markup(svg.replace("<svg ", '<svg role="img" ', 1))
    live = codes.live_card_code(db.session, enterprise, utcnow())
    return render_screen(
        "contacts/card_code.html",
        form=form,
        enterprise=enterprise,
        code=code,
        qr=qr,
        claim_url=claim_url,
        live=live,
        problem=problem,
        has_account=bool(enterprise.users),
        days=current_app.config["CLAIM_CARD_DAYS"],
    )
