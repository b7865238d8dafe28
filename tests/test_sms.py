"""Real SMS delivery (issue 17 item 8): Alibaba Cloud SMS and Tencent Cloud SMS adapters,
each against a local fake server that checks the request's signature the way the provider
documents it and answers success, a signature error or throttling as the provider does.
A refused message stays in the outbox and goes out on a later attempt."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, quote

import pytest

from portal import jobs
from portal.domain.notify import SMS
from portal.web.sessions import utcnow
from tests.test_jobs import _message

SECRET = "fake-secret-123"
THROTTLED = "13800000099"  # the fake answers this number with throttling, once
TEMPLATES = {"overdue": {"id": "SMS_0001", "params": ["number", "due"]}}


class FakeProvider(BaseHTTPRequestHandler):
    """One provider's SendSms, recording what it accepted."""

    sent: list
    throttled_once: set

    def log_message(self, *args):  # quiet
        pass

    def _answer(self, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _throttle(self, number: str) -> bool:
        if number == THROTTLED and number not in self.throttled_once:
            self.throttled_once.add(number)
            return True
        return False


class FakeAliyun(FakeProvider):
    """dysmsapi 2017-05-25 SendSms, RPC signature v1, as Alibaba Cloud documents it."""

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"])).decode()
        params = dict(parse_qsl(body, keep_blank_values=True))
        given = params.pop("Signature", "")

        def enc(text):
            return quote(text, safe="~")

        query = "&".join(f"{enc(k)}={enc(v)}" for k, v in sorted(params.items()))
        to_sign = "POST&%2F&" + enc(query)
        expected = base64.b64encode(
            hmac.new(f"{SECRET}&".encode(), to_sign.encode(), hashlib.sha1).digest()
        ).decode()
        if given != expected or params.get("Version") != "2017-05-25":
            return self._answer(400, {"Code": "SignatureDoesNotMatch", "Message": "bad"})
        if self._throttle(params["PhoneNumbers"]):
            return self._answer(
                200, {"Code": "isv.BUSINESS_LIMIT_CONTROL", "Message": "触发分钟级流控Permits:1"}
            )
        self.sent.append(params)
        return self._answer(200, {"Code": "OK", "Message": "OK", "BizId": "900619746936498440"})


class FakeTencent(FakeProvider):
    """SMS API 2021-01-11 SendSms, TC3-HMAC-SHA256, as Tencent Cloud documents it."""

    def do_POST(self):
        payload = self.rfile.read(int(self.headers["Content-Length"]))
        timestamp = int(self.headers["X-TC-Timestamp"])
        from datetime import UTC, datetime

        day = datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d")
        canonical = (
            f"POST\n/\n\ncontent-type:{self.headers['Content-Type']}\n"
            f"host:{self.headers['Host']}\n\ncontent-type;host\n"
            + hashlib.sha256(payload).hexdigest()
        )
        to_sign = (
            f"TC3-HMAC-SHA256\n{timestamp}\n{day}/sms/tc3_request\n"
            + hashlib.sha256(canonical.encode()).hexdigest()
        )
        key = f"TC3{SECRET}".encode()
        for part in (day, "sms", "tc3_request"):
            key = hmac.new(key, part.encode(), hashlib.sha256).digest()
        signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
        expected = (
            f"TC3-HMAC-SHA256 Credential=AKID-fake/{day}/sms/tc3_request, "
            f"SignedHeaders=content-type;host, Signature={signature}"
        )
        if self.headers["Authorization"] != expected or self.headers["X-TC-Action"] != "SendSms":
            return self._answer(
                200,
                {"Response": {"Error": {"Code": "AuthFailure.SignatureFailure", "Message": "x"}}},
            )
        body = json.loads(payload)
        number = body["PhoneNumberSet"][0].removeprefix("+86")
        if self._throttle(number):
            status = {"Code": "LimitExceeded.PhoneNumberThirtySecondLimit", "Message": "limit"}
        else:
            self.sent.append(body)
            status = {"Code": "Ok", "Message": "send success", "SerialNo": "2028:1"}
        return self._answer(200, {"Response": {"SendStatusSet": [status], "RequestId": "r"}})


def _serve(handler):
    handler = type(handler.__name__, (handler,), {"sent": [], "throttled_once": set()})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server, thread, handler


@pytest.fixture(params=["aliyun", "tencent"])
def provider(request, app):
    fake = FakeAliyun if request.param == "aliyun" else FakeTencent
    server, thread, handler = _serve(fake)
    url = f"http://127.0.0.1:{server.server_port}/"
    app.config.update(
        SMS_BACKEND=request.param,
        SMS_SIGN_NAME="潮州吹哨报到",
        SMS_TEMPLATES=TEMPLATES,
        ALIYUN_ACCESS_KEY_ID="LTAI-fake",
        ALIYUN_ACCESS_KEY_SECRET=SECRET,
        ALIYUN_SMS_ENDPOINT=url,
        TENCENT_SECRET_ID="AKID-fake",
        TENCENT_SECRET_KEY=SECRET,
        TENCENT_SMS_APP_ID="1400000000",
        TENCENT_SMS_ENDPOINT=url,
    )
    yield request.param, handler
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def test_a_message_goes_out_signed_with_its_template(app, db, provider):
    name, handler = provider
    message = _message(db, SMS, "13800000001")
    assert jobs.deliver(message.id) == "sent"
    (sent,) = handler.sent
    if name == "aliyun":
        assert sent["PhoneNumbers"] == "13800000001" and sent["TemplateCode"] == "SMS_0001"
        assert sent["SignName"] == "潮州吹哨报到"
        assert json.loads(sent["TemplateParam"]) == {
            "number": "445100-2026-00001",
            "due": "2026-11-09",
        }
    else:
        assert sent["PhoneNumberSet"] == ["+8613800000001"] and sent["TemplateId"] == "SMS_0001"
        assert sent["TemplateParamSet"] == ["445100-2026-00001", "2026-11-09"]


def test_throttling_is_retried_by_the_outbox(app, db, provider):
    name, handler = provider
    message = _message(db, SMS, THROTTLED)
    assert jobs.deliver(message.id) == "pending"
    db.session.refresh(message)
    assert message.attempts == 1 and message.next_attempt_at is not None
    assert ("BUSINESS_LIMIT_CONTROL" if name == "aliyun" else "LimitExceeded") in (
        message.last_error
    )
    assert jobs.enqueue_pending(utcnow() + timedelta(hours=1)) == 1
    db.session.refresh(message)
    assert message.status == "sent" and len(handler.sent) == 1


def test_a_wrong_secret_is_refused_and_recorded(app, db, provider):
    name, handler = provider
    app.config.update(ALIYUN_ACCESS_KEY_SECRET="wrong", TENCENT_SECRET_KEY="wrong")
    message = _message(db, SMS, "13800000001")
    assert jobs.deliver(message.id) == "pending"
    db.session.refresh(message)
    assert ("SignatureDoesNotMatch" if name == "aliyun" else "SignatureFailure") in (
        message.last_error
    )
    assert handler.sent == []


def test_a_template_without_a_provider_id_is_not_sent(app, db, provider):
    app.config["SMS_TEMPLATES"] = {}
    message = _message(db, SMS, "13800000001")
    assert jobs.deliver(message.id) == "pending"
    db.session.refresh(message)
    assert "TemplateNotConfigured" in message.last_error
