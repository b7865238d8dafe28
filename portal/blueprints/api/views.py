"""The work-order API (issue 10 item 1). Every call is audited with its client and result;
a wrong or revoked token is 401 and audited too. Errors are problem details (RFC 9457):
`type`, `title`, `status`, `detail` and, for a body that cannot be taken, `errors` naming
each field."""

from __future__ import annotations

import functools
import secrets

from flask import current_app, g, jsonify, request, url_for
from flask_babel import gettext as _
from spectree import Response
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import HTTPException

from portal.blueprints.api import bp
from portal.blueprints.api.openapi import PREFIX, document, spec
from portal.blueprints.api.schemas import (
    NotJson,
    Problem,
    WorkOrder,
    WorkOrderStatus,
    read_order,
    sent_external_id,
)
from portal.domain import work_orders
from portal.domain.calendar import load_calendar
from portal.domain.errors import RuleViolation
from portal.extensions import csrf, db, limiter
from portal.web import unavailable
from portal.web.auditing import audit_request
from portal.web.sessions import utcnow

csrf.exempt(bp)
PROBLEM = "application/problem+json"


def _client_key() -> str:
    """Whose calls count together: the bearer token's (as its hash, so no secret sits in
    the limiter's storage), or the address's for a call without one. A wrong token counts
    as itself; guessing tokens is 401s audited, and 2**256 of them."""
    scheme, _sep, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return "api-token:" + work_orders.hash_token(token.strip())
    return "api-address:" + (request.remote_addr or "")


# One budget per client for both routes (API_RATE_LIMIT); over it flask-limiter raises 429,
# answered below as a problem with its Retry-After. A refused call is not audited: a flood
# must not become a flood of audit rows.
api_limit = limiter.shared_limit(
    lambda: current_app.config["API_RATE_LIMIT"], scope="api", key_func=_client_key
)


def problem(status: int, title: str, detail: str = "", **extra):
    body = {"type": "about:blank", "title": title, "status": status, **extra}
    if detail:
        body["detail"] = detail
    response = jsonify(body)
    response.status_code = status
    response.mimetype = PROBLEM
    return response


def _http_problem(error: HTTPException):
    response = problem(error.code or 500, error.name, error.description or "")
    if error.code == 405 and getattr(error, "valid_methods", None):
        response.headers["Allow"] = ", ".join(error.valid_methods)
    return response


@bp.before_app_request
def _unrouted():
    """A URL under /api/ that matches no route, or not with this method, is answered as a
    problem too (the routing error is raised before any view of the blueprint runs)."""
    error = request.routing_exception
    if isinstance(error, HTTPException) and request.path.startswith(f"{PREFIX}/"):
        return _http_problem(error)
    return None


@bp.errorhandler(HTTPException)
def _http_error(error: HTTPException):
    if error.code is None or error.code < 400:
        return error
    return _http_problem(error)


@bp.errorhandler(Exception)
def _unexpected(error: Exception):
    if unavailable.database_away(error):  # a 503 to retry, not a bug
        return unavailable.answer(error)
    db.session.rollback()
    error_id = secrets.token_hex(4)
    current_app.logger.exception("error %s on %s %s", error_id, request.method, request.path)
    return problem(
        500,
        _("Internal server error"),
        _("Something went wrong on our side. Quote error number %(id)s.", id=error_id),
    )


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


# What any call may be answered, whatever its route.
EVERY_CALL = {
    "HTTP_401": (Problem, "Wrong, revoked or missing token"),
    "HTTP_429": (Problem, "Too many calls with this token: wait Retry-After seconds"),
}


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
@api_limit
@token_required
@spec.validate(
    json=WorkOrder,
    resp=Response(
        HTTP_201=(WorkOrderStatus, "Registered"),
        HTTP_200=(WorkOrderStatus, "Already registered: its case"),
        HTTP_400=(Problem, "Not JSON"),
        HTTP_415=(Problem, "Not application/json"),
        HTTP_422=(Problem, "Fields that cannot be taken, each named"),
        **EVERY_CALL,
    ),
    skip_validation=True,
    operation_id="createWorkOrder",
)
def create():
    """Register a work order as a case (idempotent by external_id)

    The same external id again answers with its case (200 instead of 201)."""
    client = g.api_client
    if not request.is_json:
        _audit("refused", detail="not JSON")
        db.session.commit()
        return problem(415, _("Not a JSON body"), _("Send the work order as application/json."))
    raw = request.get_data(cache=True)
    try:
        order, problems = read_order(raw)
    except NotJson:
        _audit("refused", detail="not JSON")
        db.session.commit()
        return problem(400, _("Not a JSON body"), _("Send the work order as application/json."))
    if order is None:
        _audit("refused", sent_external_id(raw), detail=", ".join(f for f, _m in problems))
        db.session.commit()
        return problem(
            422,
            _("The work order cannot be taken as sent"),
            _("Correct the fields named and send it again."),
            errors=[{"field": field, "detail": _(message)} for field, message in problems],
        )
    at = utcnow()
    try:
        work_order, new = work_orders.hand_over(
            db.session, load_calendar(db.session), client, order, at=at
        )
        _audit("created" if new else "repeat", order.external_id)
        db.session.commit()
    except RuleViolation as refused:  # e.g. a type the jurisdiction's policy does not take
        db.session.rollback()
        field = {"case_type": "type"}.get(refused.field or "", refused.field or "type")
        _audit("refused", order.external_id, detail=field)
        db.session.commit()
        return problem(
            422,
            _("The work order cannot be taken as sent"),
            _("Correct the fields named and send it again."),
            errors=[{"field": field, "detail": _(refused.message, **refused.params)}],
        )
    except IntegrityError:  # the same work order, committed by a request at the same time
        db.session.rollback()
        work_order, new = work_orders.find(db.session, client, order.external_id), False
        _audit("repeat", order.external_id)
        db.session.commit()
    return _answer(work_order, 201 if new else 200)


@bp.get("/work-orders/<token:external_id>")
@api_limit
@token_required
@spec.validate(
    resp=Response(
        HTTP_200=(WorkOrderStatus, "The work order's case"),
        HTTP_404=(Problem, "This client sent no such work order"),
        **EVERY_CALL,
    ),
    skip_validation=True,
    operation_id="getWorkOrder",
)
def work_order(external_id: str):
    """A work order's case: state, due date, events, reply, rating"""
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
