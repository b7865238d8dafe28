"""SMS delivery through the providers offices contract in China (issue 17 item 8), chosen by
`SMS_BACKEND`: "log" (written to the log), "aliyun" (Alibaba Cloud SMS, dysmsapi
2017-05-25, RPC signature v1: HMAC-SHA1) or "tencent" (Tencent Cloud SMS, API 3.0
2021-01-11, TC3-HMAC-SHA256). Both send a registered template with its parameters under a
registered sign name, never free text: `SMS_TEMPLATES` maps each of the portal's message
templates to the provider's template id and the order of its parameters, e.g.
`{"case_registered": {"id": "SMS_123456", "params": ["number", "link"]}}`.

Built on the providers' documented HTTP protocols with the standard library, so nothing
beyond Python is installed and a test can point the endpoint at a local fake server that
checks the signature and answers like the real one. Any refusal raises `SmsError`; the
outbox (`jobs.deliver`) records it and retries with back-off, so a throttled message goes
out later, never lost.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import urllib.error
import urllib.request
from datetime import UTC, datetime
from urllib.parse import quote, urlsplit

ALIYUN_VERSION = "2017-05-25"
TENCENT_VERSION = "2021-01-11"
TIMEOUT = 10


class SmsError(RuntimeError):
    """The provider refused or could not be reached; `code` is its error code."""

    def __init__(self, code: str, message: str = ""):
        super().__init__(f"{code}: {message}" if message else code)
        self.code = code


def template_for(config, template: str, params: dict) -> tuple[str, list[tuple[str, str]]]:
    """The provider's template id and the parameters in its order, as text."""
    entry = (config.get("SMS_TEMPLATES") or {}).get(template)
    if not entry:
        raise SmsError("TemplateNotConfigured", f"no provider template for {template!r}")
    return entry["id"], [(name, str(params.get(name, ""))) for name in entry.get("params", [])]


# -- Alibaba Cloud ---------------------------------------------------------------------------


def _aliyun_quote(text: str) -> str:
    """RFC 3986 percent-encoding as the RPC signature wants it (space %20, ~ kept)."""
    return quote(text, safe="~")


def aliyun_signature(secret: str, method: str, params: dict[str, str]) -> str:
    """Signature v1: HMAC-SHA1 under "<secret>&" of METHOD&%2F&<encoded sorted query>."""
    query = "&".join(f"{_aliyun_quote(k)}={_aliyun_quote(v)}" for k, v in sorted(params.items()))
    to_sign = f"{method}&{_aliyun_quote('/')}&{_aliyun_quote(query)}"
    digest = hmac.new(f"{secret}&".encode(), to_sign.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def send_aliyun(config, number: str, template: str, params: dict, *, now: datetime) -> str:
    """SendSms; the provider's BizId."""
    template_id, ordered = template_for(config, template, params)
    query = {
        "AccessKeyId": config["ALIYUN_ACCESS_KEY_ID"],
        "Action": "SendSms",
        "Format": "JSON",
        "PhoneNumbers": number,
        "RegionId": config.get("ALIYUN_REGION", "cn-hangzhou"),
        "SignName": config["SMS_SIGN_NAME"],
        "SignatureMethod": "HMAC-SHA1",
        "SignatureNonce": secrets.token_hex(16),
        "SignatureVersion": "1.0",
        "TemplateCode": template_id,
        "TemplateParam": json.dumps(dict(ordered), ensure_ascii=False, separators=(",", ":")),
        "Timestamp": now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "Version": ALIYUN_VERSION,
    }
    query["Signature"] = aliyun_signature(config["ALIYUN_ACCESS_KEY_SECRET"], "POST", query)
    body = "&".join(f"{_aliyun_quote(k)}={_aliyun_quote(v)}" for k, v in query.items())
    request = urllib.request.Request(
        config.get("ALIYUN_SMS_ENDPOINT", "https://dysmsapi.aliyuncs.com/"),
        data=body.encode(),
        method="POST",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    answer = _call(request)
    if answer.get("Code") != "OK":
        raise SmsError(answer.get("Code", "Unknown"), answer.get("Message", ""))
    return answer.get("BizId", "")


# -- Tencent Cloud ---------------------------------------------------------------------------


def _hmac256(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


def tencent_authorization(
    secret_id: str, secret_key: str, host: str, payload: bytes, timestamp: int
) -> str:
    """TC3-HMAC-SHA256 over the canonical POST request (content-type and host signed)."""
    day = datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d")
    canonical = "\n".join(
        [
            "POST",
            "/",
            "",
            f"content-type:application/json; charset=utf-8\nhost:{host}\n",
            "content-type;host",
            hashlib.sha256(payload).hexdigest(),
        ]
    )
    scope = f"{day}/sms/tc3_request"
    to_sign = "\n".join(
        [
            "TC3-HMAC-SHA256",
            str(timestamp),
            scope,
            hashlib.sha256(canonical.encode()).hexdigest(),
        ]
    )
    key = _hmac256(_hmac256(_hmac256(f"TC3{secret_key}".encode(), day), "sms"), "tc3_request")
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    return (
        f"TC3-HMAC-SHA256 Credential={secret_id}/{scope}, "
        f"SignedHeaders=content-type;host, Signature={signature}"
    )


def send_tencent(config, number: str, template: str, params: dict, *, now: datetime) -> str:
    """SendSms; the provider's SerialNo."""
    template_id, ordered = template_for(config, template, params)
    endpoint = config.get("TENCENT_SMS_ENDPOINT", "https://sms.tencentcloudapi.com/")
    host = urlsplit(endpoint).netloc
    payload = json.dumps(
        {
            "PhoneNumberSet": [f"+86{number}"],
            "SmsSdkAppId": config["TENCENT_SMS_APP_ID"],
            "SignName": config["SMS_SIGN_NAME"],
            "TemplateId": template_id,
            "TemplateParamSet": [value for _name, value in ordered],
        },
        ensure_ascii=False,
        separators=(",", ":"),
    ).encode()
    timestamp = int(now.timestamp())
    request = urllib.request.Request(
        endpoint,
        data=payload,
        method="POST",
        headers={
            "Authorization": tencent_authorization(
                config["TENCENT_SECRET_ID"], config["TENCENT_SECRET_KEY"], host, payload, timestamp
            ),
            "Content-Type": "application/json; charset=utf-8",
            "Host": host,
            "X-TC-Action": "SendSms",
            "X-TC-Timestamp": str(timestamp),
            "X-TC-Version": TENCENT_VERSION,
            "X-TC-Region": config.get("TENCENT_SMS_REGION", "ap-guangzhou"),
        },
    )
    answer = _call(request).get("Response", {})
    if "Error" in answer:
        raise SmsError(answer["Error"].get("Code", "Unknown"), answer["Error"].get("Message", ""))
    statuses = answer.get("SendStatusSet") or [{}]
    status = statuses[0]
    if status.get("Code") != "Ok":
        raise SmsError(status.get("Code", "Unknown"), status.get("Message", ""))
    return status.get("SerialNo", "")


def _call(request: urllib.request.Request) -> dict:
    """The provider's JSON answer; HTTP errors carry one too (e.g. a bad signature)."""
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:  # noqa: S310
            return json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        try:
            return json.loads(error.read() or b"{}") or {"Code": f"HTTP{error.code}"}
        except ValueError:
            raise SmsError(f"HTTP{error.code}") from error
    except (urllib.error.URLError, TimeoutError) as error:
        raise SmsError("Unreachable", str(error)) from error


BACKENDS = {"aliyun": send_aliyun, "tencent": send_tencent}
