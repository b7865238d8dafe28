"""`GET /healthz`: 200 when the database answers, 503 otherwise (for load balancers).

Asked every few seconds by every balancer, so it costs what a hello-world does plus one
`SELECT 1` on a pooled connection: no ORM session, no user, no template."""

from flask import Blueprint, jsonify
from sqlalchemy.exc import SQLAlchemyError

from portal.extensions import db

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    try:
        with db.engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")
    except SQLAlchemyError:
        return jsonify(status="unavailable", database="unreachable"), 503
    return jsonify(status="ok", database="ok")
