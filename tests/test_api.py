"""The work-order API (issue 10 item 1): a hotline platform posts a work order, the office
and the department handle it through the domain, the platform reads its status; the same
work order twice is one case; wrong or revoked tokens are 401 and audited; every answer is
what /api/v1/openapi.json says it is."""

from __future__ import annotations

import threading

import jsonschema
import pytest
import sqlalchemy as sa
from openapi_spec_validator import validate

from portal.domain import work_orders, workflow
from portal.domain.calendar import WorkCalendar
from portal.domain.models import AuditLog, Case, CaseState, Channel, RatingLevel, WorkOrder
from tests import factories
from tests.conftest import IS_POSTGRES

ORDER = {
    "external_id": "12345-2026-0001203",
    "channel": "hotline_12345",
    "type": "business",
    "enterprise": {"name": "潮州市枫溪区某陶瓷厂"},
    "contact": {"name": "林先生", "phone": "13812345678"},
    "category": 2,
    "title": "厂区门前道路破损影响货车通行",
    "text": "市民热线转办：厂区门前道路破损已三个月，货车无法进出，请协调修复。",
    "received_at": "2026-11-25T09:30:00+08:00",
}


@pytest.fixture
def hotline(db, world):
    client, token = work_orders.add_client(
        db.session, name="潮州12345平台", jurisdiction=world.city, at=factories.now()
    )
    db.session.commit()
    return client, {"Authorization": f"Bearer {token}"}


@pytest.fixture
def spec(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    validate(doc)
    return doc


def conforms(spec, response, path, method):
    """The answer's body matches the document's schema for its status."""
    answer = spec["paths"][path][method]["responses"][str(response.status_code)]
    media = "application/problem+json" if response.status_code >= 400 else "application/json"
    assert response.mimetype == media
    schema = {**answer["content"][media]["schema"], "components": spec["components"]}
    jsonschema.validate(response.get_json(), schema)


def test_the_document_is_valid_openapi(spec):
    assert set(spec["paths"]) == {"/work-orders", "/work-orders/{external_id}"}


def test_a_work_order_becomes_a_case_and_its_reply_and_rating_are_read_back(
    client, db, world, hotline, spec
):
    _client, auth = hotline
    created = client.post("/api/v1/work-orders", json=ORDER, headers=auth)
    assert created.status_code == 201, created.text
    conforms(spec, created, "/work-orders", "post")
    body = created.get_json()
    assert body["state"] == "submitted" and body["external_id"] == ORDER["external_id"]
    assert created.headers["Location"] == f"/api/v1/work-orders/{ORDER['external_id']}"
    case = db.session.scalar(sa.select(Case).where(Case.number == body["case_number"]))
    assert (case.channel, case.contact_phone, case.jurisdiction_id, case.category.number) == (
        Channel.HOTLINE_12345,
        "13812345678",
        world.city.id,
        2,
    )

    factories.replied(db.session, world, case, text="已协调交通局修复路面。")
    workflow.rate(
        db.session,
        WorkCalendar(),
        case,
        by=None,
        level=RatingLevel.SATISFIED,
        solved=True,
        comment="",
        at=factories.now(),
    )
    db.session.commit()
    read = client.get(created.headers["Location"], headers=auth)
    assert read.status_code == 200
    conforms(spec, read, "/work-orders/{external_id}", "get")
    status = read.get_json()
    assert status["state"] == "rated"
    assert status["reply"]["text"] == "已协调交通局修复路面。"
    assert status["rating"] == {"level": "satisfied", "solved": True}
    assert [e["action"] for e in status["events"]][:1] == ["register"]


def test_the_same_work_order_twice_is_one_case(client, db, world, hotline, spec):
    _client, auth = hotline
    first = client.post("/api/v1/work-orders", json=ORDER, headers=auth)
    again = client.post("/api/v1/work-orders", json=ORDER, headers=auth)
    assert (first.status_code, again.status_code) == (201, 200)
    conforms(spec, again, "/work-orders", "post")
    assert first.get_json()["case_number"] == again.get_json()["case_number"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(WorkOrder)) == 1


@pytest.mark.skipif(
    not IS_POSTGRES,
    reason="SQLite serialises writers; the race needs PostgreSQL's concurrent transactions",
)
def test_the_same_work_order_at_the_same_moment_is_one_case(app, db, world, hotline):
    _client, auth = hotline
    answers, barrier = [], threading.Barrier(4)

    def post():
        with app.test_client() as c:
            barrier.wait()
            answers.append(c.post("/api/v1/work-orders", json=ORDER, headers=auth))

    threads = [threading.Thread(target=post) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(a.status_code for a in answers) == [200, 200, 200, 201]
    assert len({a.get_json()["case_number"] for a in answers}) == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Case)) == 1


def test_a_refused_work_order_says_why(client, db, world, hotline):
    _client, auth = hotline
    number = client.post("/api/v1/work-orders", json=ORDER, headers=auth).get_json()["case_number"]
    case = db.session.scalar(sa.select(Case).where(Case.number == number))
    workflow.refuse(
        db.session,
        case,
        by=world.users["office"],
        at=factories.now(),
        reason=7,
        message="诉求已由12345直接办结。",
    )
    db.session.commit()
    status = client.get(f"/api/v1/work-orders/{ORDER['external_id']}", headers=auth).get_json()
    assert status["state"] == CaseState.REFUSED.value
    assert status["refusal"] == {
        "action": "refuse",
        "reason_code": 7,
        "message": "诉求已由12345直接办结。",
    }


@pytest.mark.parametrize("header", [None, "Bearer wo_not-a-token", "Basic abc"])
def test_a_wrong_token_is_401_and_audited(client, db, world, hotline, spec, header):
    headers = {"Authorization": header} if header else {}
    response = client.post("/api/v1/work-orders", json=ORDER, headers=headers)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    conforms(spec, response, "/work-orders", "post")
    row = db.session.scalar(sa.select(AuditLog).where(AuditLog.action == "api"))
    assert row.result == "denied" and "wo_not-a-token" not in (row.detail or "")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Case)) == 0


def test_a_revoked_token_is_401(client, db, world, hotline):
    api_client, auth = hotline
    assert client.post("/api/v1/work-orders", json=ORDER, headers=auth).status_code == 201
    api_client.revoked_at = factories.now()
    db.session.commit()
    assert (
        client.get(f"/api/v1/work-orders/{ORDER['external_id']}", headers=auth).status_code == 401
    )


def test_every_call_is_audited(client, db, world, hotline):
    _client, auth = hotline
    client.post("/api/v1/work-orders", json=ORDER, headers=auth)
    client.post("/api/v1/work-orders", json=ORDER, headers=auth)
    client.get(f"/api/v1/work-orders/{ORDER['external_id']}", headers=auth)
    client.get("/api/v1/work-orders/not-there-at-all", headers=auth)
    rows = db.session.execute(
        sa.select(AuditLog.result, AuditLog.object_id)
        .where(AuditLog.action == "api")
        .order_by(AuditLog.id)
    ).all()
    assert [r.result for r in rows] == ["created", "repeat", "read", "not found"]


def test_another_clients_work_order_is_not_found(client, db, world, hotline, spec):
    _client, auth = hotline
    client.post("/api/v1/work-orders", json=ORDER, headers=auth)
    _other, token = work_orders.add_client(
        db.session, name="县12345", at=factories.now(), jurisdiction=world.county
    )
    db.session.commit()
    response = client.get(
        f"/api/v1/work-orders/{ORDER['external_id']}", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 404
    conforms(spec, response, "/work-orders/{external_id}", "get")


def test_every_field_that_cannot_be_taken_is_named(client, db, world, hotline, spec):
    _client, auth = hotline
    bad = {
        **ORDER,
        "external_id": "x",
        "channel": "portal",
        "contact": {"name": "林"},
        "received_at": "2026-11-25 09:30",
        "title": "\x00" + "长" * 300,
    }
    response = client.post("/api/v1/work-orders", json=bad, headers=auth)
    assert response.status_code == 422
    conforms(spec, response, "/work-orders", "post")
    fields = {e["field"] for e in response.get_json()["errors"]}
    assert fields == {"external_id", "channel", "contact.phone", "received_at", "title"}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Case)) == 0
    for body, status in (("not json", 415), ("[1, 2]", 422)):
        answer = client.post(
            "/api/v1/work-orders",
            data=body,
            headers={**auth, "Content-Type": "text/plain" if status == 415 else "application/json"},
        )
        assert answer.status_code == status
        conforms(spec, answer, "/work-orders", "post")


def test_the_cli_adds_lists_and_revokes_clients(runner, db, world):
    added = runner.invoke(
        args=[
            "api-clients",
            "add",
            "潮州12345平台",
            "--jurisdiction",
            "445100",
            "--webhook",
            "https://hotline.example/hook",
        ]
    )
    assert added.exit_code == 0, added.output
    token = next(
        line.split(": ", 1)[1] for line in added.output.splitlines() if line.startswith("token")
    )
    client = work_orders.client_for(db.session, token)
    assert client is not None and client.token_hash != token and client.webhook_secret
    assert "active" in runner.invoke(args=["api-clients", "list"]).output
    assert runner.invoke(args=["api-clients", "revoke", str(client.id)]).exit_code == 0
    db.session.expire_all()
    assert work_orders.client_for(db.session, token) is None


class Receiver:
    """A hotline platform's webhook endpoint on a free local port: it keeps what it gets,
    and answers 503 to the first `fail` deliveries."""

    def __init__(self, fail: int = 0):
        import http.server

        received, self.fail = [], fail
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if outer.fail:
                    outer.fail -= 1
                    self.send_response(503)
                else:
                    received.append((dict(self.headers), body))
                    self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.received = received
        self.server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def test_the_reply_and_the_rating_reach_the_platform_signed(client, db, world):
    """End to end (issue 10's test): the work order through the API, dispatched, handled
    and replied through the domain, rated; the platform's webhook gets the reply and the
    rating, each signed with its secret; a delivery the platform refused is retried."""
    import hashlib
    import hmac
    import json

    from portal import jobs
    from portal.domain.models import Notification

    receiver = Receiver(fail=1)
    try:
        api_client, token = work_orders.add_client(
            db.session,
            name="潮州12345平台",
            jurisdiction=world.city,
            at=factories.now(),
            webhook_url=receiver.url,
        )
        db.session.commit()
        secret = api_client.webhook_secret
        number = client.post(
            "/api/v1/work-orders", json=ORDER, headers={"Authorization": f"Bearer {token}"}
        ).get_json()["case_number"]
        case = db.session.scalar(sa.select(Case).where(Case.number == number))
        factories.replied(db.session, world, case, text="已协调交通局修复路面。")
        db.session.commit()
        jobs.enqueue_pending(factories.now())  # refused once by the platform: kept
        hook = db.session.scalar(sa.select(Notification).where(Notification.channel == "webhook"))
        assert (hook.status, hook.attempts, receiver.received) == ("pending", 1, [])
        hook.next_attempt_at = None  # its back-off has passed
        db.session.commit()
        jobs.enqueue_pending(factories.now())
        workflow.rate(
            db.session,
            WorkCalendar(),
            case,
            by=None,
            level=RatingLevel.SATISFIED,
            solved=True,
            comment="",
            at=factories.now(),
        )
        db.session.commit()
        jobs.enqueue_pending(factories.now())
    finally:
        receiver.close()
    events = []
    for headers, body in receiver.received:
        expected = hmac.new(
            secret.encode(), headers["X-Portal-Timestamp"].encode() + b"." + body, hashlib.sha256
        ).hexdigest()
        assert headers["X-Portal-Signature"] == f"sha256={expected}"
        payload = json.loads(body)
        events.append((payload["event"], payload["work_order"]["state"]))
        assert payload["work_order"]["external_id"] == ORDER["external_id"]
    assert events[0][0] == "publish_reply" and events[-1] == ("rate", "rated")
    assert (
        json.loads(receiver.received[0][1])["work_order"]["reply"]["text"]
        == "已协调交通局修复路面。"
    )


def test_the_body_schema_is_the_model_the_views_check_with(spec):
    """One source: the document's WorkOrder is the pydantic model's JSON schema."""
    from portal.blueprints.api.schemas import WorkOrder

    generated = WorkOrder.model_json_schema(ref_template="#/components/schemas/{model}")
    generated.pop("$defs", None)
    assert spec["components"]["schemas"]["WorkOrder"] == generated
    body = spec["paths"]["/work-orders"]["post"]["requestBody"]["content"]["application/json"]
    assert body["schema"] == {"$ref": "#/components/schemas/WorkOrder"}


@pytest.mark.parametrize(
    "method,path,status",
    [
        ("get", "/api/v1/no-such-thing", 404),
        ("get", "/api/v1/work-orders/x", 404),  # not an external id: no route
        ("put", "/api/v1/work-orders", 405),
        ("delete", "/api/v1/work-orders/12345-2026-0001203", 405),
    ],
)
def test_urls_and_methods_the_api_lacks_are_problems_too(client, hotline, method, path, status):
    _client, auth = hotline
    response = getattr(client, method)(path, headers=auth)
    assert response.status_code == status
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["status"] == status
    if status == 405:
        assert "GET" in response.headers["Allow"] or "POST" in response.headers["Allow"]
