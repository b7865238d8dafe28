"""The work-order API (issue 10 item 1). Every call is audited with its client and result;
a wrong or revoked token is 401 and audited too. Errors are problem details (RFC 9457):
`type`, `title`, `status`, `detail` and, for a body that cannot be taken, `errors` naming
each field."""

from __future__ import annotations

import functools

from flask import g, jsonify, request, url_for
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from portal.blueprints.api import bp
from portal.blueprints.api.openapi import document
from portal.domain import work_orders
from portal.domain.calendar import load_calendar
from portal.extensions import csrf, db
from portal.web.auditing import audit_request
from portal.web.sessions import utcnow

csrf.exempt(bp)
PROBLEM = "application/problem+json"


def problem(status: int, title: str, detail: str = "", **extra):
    body = {"type": "about:blank", "title": title, "status": status, **extra}
    if detail:
        body["detail"] = detail
    response = jsonify(body)
    response.status_code = status
    response.mimetype = PROBLEM
    return response


def _audit(result: str, object_id: str | None = None, detail: str = ""):
    client = getattr(g, "api_client", None)
    name = f"client {client.id} {client.name}" if client is not None else "no client"
    audit_request(
        "api",
        object_type="work_order",
        object_id=object_id,
        result=result,
        detail=f"{request.method} {request.path} · {name} {detail}".strip(),
    )


def token_required(view):
    """The caller's bearer token names its client, or the answer is 401 (audited)."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        header = request.headers.get("Authorization", "")
        scheme, _sep, token = header.partition(" ")
        client = (
            work_orders.client_for(db.session, token.strip())
            if scheme.lower() == "bearer"
            else None
        )
        if client is None:
            db.session.rollback()
            _audit("denied", detail="wrong, revoked or missing token")
            db.session.commit()
            response = problem(
                401,
                _("Not authenticated"),
                _("Send a valid API token as 'Authorization: Bearer <token>'."),
            )
            response.headers["WWW-Authenticate"] = 'Bearer realm="work-orders"'
            return response
        g.api_client = client
        return view(*args, **kwargs)

    wrapper.access = frozenset({"api-token"})
    return wrapper


@bp.get("/openapi.json")
def openapi():
    return jsonify(document())


def _answer(work_order, status: int):
    body = work_orders.status(db.session, work_order)
    response = jsonify(body)
    response.status_code = status
    response.headers["Location"] = url_for(".work_order", external_id=work_order.external_id)
    return response


@bp.post("/work-orders")
@token_required
def create():
    """Register a work order as a case; the same external id again answers with its case
    (200 instead of 201)."""
    client = g.api_client
    body = request.get_json(silent=True)
    if body is None:
        _audit("refused", detail="not JSON")
        db.session.commit()
        return problem(
            415 if not request.is_json else 400,
            _("Not a JSON body"),
            _("Send the work order as application/json."),
        )
    order, problems = work_orders.parse(body)
    external_id = body.get("external_id") if isinstance(body, dict) else None
    external_id = external_id[:64] if isinstance(external_id, str) else None
    if order is None:
        _audit("refused", external_id, detail=", ".join(p.field for p in problems))
        db.session.commit()
        return problem(
            422,
            _("The work order cannot be taken as sent"),
            _("Correct the fields named and send it again."),
            errors=[{"field": p.field, "detail": _(p.message)} for p in problems],
        )
    at = utcnow()
    try:
        work_order, new = work_orders.hand_over(
            db.session, load_calendar(db.session), client, order, at=at
        )
        _audit("created" if new else "repeat", order.external_id)
        db.session.commit()
    except IntegrityError:  # the same work order, committed by a request at the same time
        db.session.rollback()
        work_order, new = work_orders.find(db.session, client, order.external_id), False
        _audit("repeat", order.external_id)
        db.session.commit()
    return _answer(work_order, 201 if new else 200)


@bp.get("/work-orders/<token:external_id>")
@token_required
def work_order(external_id: str):
    found = work_orders.find(db.session, g.api_client, external_id)
    if found is None:
        _audit("not found", external_id)
        db.session.commit()
        return problem(
            404, _("No such work order"), _("This client has sent no work order with that id.")
        )
    _audit("read", external_id)
    db.session.commit()
    return _answer(found, 200)
