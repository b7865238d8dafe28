"""Configuration, read from the environment (microblog's `Config` pattern).

`Config` is production-shaped; `TestConfig` overlays what tests need. Secrets never
live in the repository: SECRET_KEY comes from the environment or is generated once
into the instance folder (see `secret_key_from_instance`).
"""

from __future__ import annotations

import json
import os
import secrets
from datetime import timedelta
from pathlib import Path


def database_url(raw: str | None) -> str:
    """Normalise DATABASE_URL: a bare `postgresql://` means psycopg 3."""
    url = raw or "sqlite:///portal.db"
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def secret_key_from_instance(instance_path: str) -> str:
    """Return the instance's secret key, creating it (mode 0600) on first use.

    Several workers may start at once: each writes a candidate to its own file and links it
    into place; the first link wins and everyone reads the winner.
    """
    path = Path(instance_path) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        candidate = path.with_name(f"secret_key.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(48))
        try:
            os.link(candidate, path)
        except FileExistsError:
            pass
        finally:
            candidate.unlink()
    return path.read_text().strip()


def check_retention(config) -> None:
    """Refuse an audit retention under 180 days (网络安全法 §21: 留存网络日志不少于六个月) and
    a negative retention period."""
    from portal.domain.retention import MIN_AUDIT_DAYS

    if int(config.get("AUDIT_RETENTION_DAYS", MIN_AUDIT_DAYS)) < MIN_AUDIT_DAYS:
        raise RuntimeError(
            f"AUDIT_RETENTION_DAYS must be at least {MIN_AUDIT_DAYS} (网络安全法 §21)"
        )
    for key in (
        "RETENTION_NOTIFICATION_DAYS",
        "RETENTION_TRACKING_DAYS",
        "RETENTION_CASE_CONTACT_DAYS",
    ):
        if int(config.get(key, 0)) < 0:
            raise RuntimeError(f"{key} must not be negative")


def _flag(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


class Config:
    SECRET_KEY = os.environ.get("SECRET_KEY")  # None: generated into instance/
    SQLALCHEMY_DATABASE_URI = database_url(os.environ.get("DATABASE_URL"))
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}

    # Sessions and cookies (SECURITY.md "Cookies"; Secure when served over HTTPS).
    SECURE_COOKIES = _flag("SECURE_COOKIES", False)
    # Production mode: PostgreSQL, a configured secret and the Redis queue are required.
    PRODUCTION = _flag("PRODUCTION", False)
    # Reverse proxies (nginx) in front of gunicorn: trust that many X-Forwarded-* hops, so
    # rate limits and the audit log see the client's address and HTTPS is recognised.
    PROXY_HOPS = int(os.environ.get("PROXY_HOPS", 0))
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_IDLE_TIMEOUT = timedelta(minutes=int(os.environ.get("SESSION_IDLE_MINUTES", 30)))
    SESSION_ABSOLUTE_TIMEOUT = timedelta(hours=int(os.environ.get("SESSION_ABSOLUTE_HOURS", 12)))
    REMEMBER_COOKIE_DURATION = timedelta(seconds=0)

    # CSRF: no time limit, slow mobile forms must not expire (SECURITY.md, Flask-WTF).
    WTF_CSRF_TIME_LIMIT = None

    # Login protection (portal/domain/accounts.py says how this is SECURITY.md's lockout and
    # issue 17's slow-down at once): after 5 failures (等保 测评) the account refuses every
    # password for the first delay, then for the next after each further failure (minutes,
    # the last repeating); an SMS code to the verified mobile skips the wait.
    LOGIN_MAX_FAILURES = 5
    LOGIN_DELAYS = [
        timedelta(minutes=int(m))
        for m in os.environ.get("LOGIN_DELAY_MINUTES", "1,5,15,60").split(",")
        if m.strip()
    ]
    # One-time SMS codes (registration, adding a colleague, a claim, skipping a sign-in
    # delay: 6 digits, 5 minutes, 5 tries), asked at most this often per number and per
    # client address; sent through the outbox as the templates "verify_code" (code, minutes)
    # and "number_taken" (a registration tried with a number that has an account), which
    # SMS_TEMPLATES maps to the provider's templates.
    SMS_CODE_LIMIT_NUMBER = os.environ.get(
        "SMS_CODE_LIMIT_NUMBER", "1 per minute;5 per hour;10 per day"
    )
    SMS_CODE_LIMIT_ADDRESS = os.environ.get("SMS_CODE_LIMIT_ADDRESS", "5 per minute;20 per hour")
    # How long a service-card code (the claim of a registry enterprise's account) holds.
    CLAIM_CARD_DAYS = int(os.environ.get("CLAIM_CARD_DAYS", 90))
    RATELIMIT_STORAGE_URI = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    # Redis down: the same limits go on in each worker's memory (never a 500, never open);
    # the per-account lockout in the database holds whatever the storage does.
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    RATELIMIT_SWALLOW_ERRORS = False
    RATELIMIT_HEADERS_ENABLED = True
    RATELIMIT_KEY_PREFIX = "portal"
    LOGIN_RATE_LIMIT = os.environ.get("LOGIN_RATE_LIMIT", "10 per minute;50 per hour")
    # The work-order API, per client token (a call without one: per address); both routes
    # count together. Over it: 429 problem+json with Retry-After (issue 18 item 5).
    API_RATE_LIMIT = os.environ.get("API_RATE_LIMIT", "120 per minute;3000 per hour")
    # While Redis is down each worker counts alone, so each allows less (checklist 27).
    LOGIN_FALLBACK_RATE_LIMIT = os.environ.get(
        "LOGIN_FALLBACK_RATE_LIMIT", "3 per minute;15 per hour"
    )

    # Password rules (SECURITY.md check 2; 等保 测评: 8 characters, 3 of the 4 classes, 90
    # days). Staff: length, composition, not their username or mobile, rotation (on by
    # default in production, 0 = off). Enterprise users: length only. Everyone: not a common
    # password (portal/domain/common_passwords.txt). Lengths below 8 are raised to 8.
    STAFF_PASSWORD_MIN_LENGTH = int(os.environ.get("STAFF_PASSWORD_MIN_LENGTH", 8))
    STAFF_PASSWORD_CLASSES = int(os.environ.get("STAFF_PASSWORD_CLASSES", 3))
    STAFF_PASSWORD_MAX_AGE_DAYS = int(
        os.environ.get("STAFF_PASSWORD_MAX_AGE_DAYS", 90 if PRODUCTION else 0)
    )
    ENTERPRISE_PASSWORD_MIN_LENGTH = int(os.environ.get("ENTERPRISE_PASSWORD_MIN_LENGTH", 8))
    # 等保 level 3: staff must have a TOTP second factor; those without one enrol right
    # after the password, before any other page (SECURITY.md check 9).
    REQUIRE_STAFF_MFA = _flag("REQUIRE_STAFF_MFA", False)
    # How long the step between a right password and the code may take.
    SECOND_FACTOR_WINDOW = timedelta(minutes=5)

    # Notifications (issue 8): the job queue that delivers the outbox — Huey over Redis in
    # production (JOBS_BACKEND=redis, with `huey_consumer portal.worker.huey`); "sqlite" a
    # queue file in instance/ for one machine with a consumer; by default ("immediate") the
    # embedded setup delivers in the process that wrote the message (the scheduler's tick).
    # E-mail by SMTP; SMS through a provider adapter ("log" writes each message to the log).
    JOBS_BACKEND = os.environ.get("JOBS_BACKEND", "immediate")  # immediate | sqlite | redis
    JOBS_REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/1")
    SMTP_HOST = os.environ.get("SMTP_HOST", "")
    SMTP_PORT = int(os.environ.get("SMTP_PORT", 25))
    SMTP_FROM = os.environ.get("SMTP_FROM", "noreply@portal.invalid")
    SMS_BACKEND = os.environ.get("SMS_BACKEND", "log")  # log | aliyun | tencent
    # The provider's registered sign name and templates (portal/sms.py): a JSON object of
    # the portal's template keys to {"id": provider template id, "params": [names]}.
    SMS_SIGN_NAME = os.environ.get("SMS_SIGN_NAME", "")
    SMS_TEMPLATES = json.loads(os.environ.get("SMS_TEMPLATES", "{}"))
    ALIYUN_ACCESS_KEY_ID = os.environ.get("ALIYUN_ACCESS_KEY_ID", "")
    ALIYUN_ACCESS_KEY_SECRET = os.environ.get("ALIYUN_ACCESS_KEY_SECRET", "")
    ALIYUN_SMS_ENDPOINT = os.environ.get("ALIYUN_SMS_ENDPOINT", "https://dysmsapi.aliyuncs.com/")
    TENCENT_SECRET_ID = os.environ.get("TENCENT_SECRET_ID", "")
    TENCENT_SECRET_KEY = os.environ.get("TENCENT_SECRET_KEY", "")
    TENCENT_SMS_APP_ID = os.environ.get("TENCENT_SMS_APP_ID", "")
    TENCENT_SMS_REGION = os.environ.get("TENCENT_SMS_REGION", "ap-guangzhou")
    TENCENT_SMS_ENDPOINT = os.environ.get(
        "TENCENT_SMS_ENDPOINT", "https://sms.tencentcloudapi.com/"
    )
    # E-mail intake (`flask --app wsgi intake mail`, issue 10): the office's mailbox over
    # IMAP, and the jurisdiction (its code) whose office receives what arrives there.
    INTAKE_IMAP_HOST = os.environ.get("INTAKE_IMAP_HOST", "")
    INTAKE_IMAP_PORT = int(os.environ.get("INTAKE_IMAP_PORT", 993))
    INTAKE_IMAP_SSL = os.environ.get("INTAKE_IMAP_SSL", "1") != "0"
    INTAKE_IMAP_USER = os.environ.get("INTAKE_IMAP_USER", "")
    INTAKE_IMAP_PASSWORD = os.environ.get("INTAKE_IMAP_PASSWORD", "")
    INTAKE_IMAP_FOLDER = os.environ.get("INTAKE_IMAP_FOLDER", "INBOX")
    INTAKE_JURISDICTION = os.environ.get("INTAKE_JURISDICTION", "")

    # Retention (SECURITY.md checklist 30; portal/domain/retention.py says what each covers).
    # Audit rows are never purged by the app; AUDIT_RETENTION_DAYS is the period promised
    # for them and their off-host copies, at least 180 days (网络安全法 §21).
    AUDIT_RETENTION_DAYS = int(os.environ.get("AUDIT_RETENTION_DAYS", 365))
    RETENTION_NOTIFICATION_DAYS = int(os.environ.get("RETENTION_NOTIFICATION_DAYS", 90))
    RETENTION_TRACKING_DAYS = int(os.environ.get("RETENTION_TRACKING_DAYS", 30))
    RETENTION_CASE_CONTACT_DAYS = int(os.environ.get("RETENTION_CASE_CONTACT_DAYS", 3 * 365))

    # i18n: Chinese first (English msgids, shipped as zh_Hans_CN).
    BABEL_DEFAULT_LOCALE = "zh_Hans_CN"
    BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
    LANGUAGES = {"zh_Hans_CN": "中文", "en": "English"}

    # Demo data (never in production): the password every demo account gets.
    DEMO_PASSWORD = os.environ.get("DEMO_PASSWORD", "demo12345")

    # Five attachments of 10 MB each plus the form (portal/domain/uploads.py).
    MAX_CONTENT_LENGTH = 51 * 1024 * 1024
    # Files sent, per enterprise (all its accounts) and per address (portal/web/upload_budget.py).
    UPLOAD_BUDGET_ENTERPRISE = os.environ.get("UPLOAD_BUDGET_ENTERPRISE", "60 per hour;300 per day")
    UPLOAD_BUDGET_ADDRESS = os.environ.get("UPLOAD_BUDGET_ADDRESS", "100 per hour;500 per day")
    # Static files are addressed by content hash (web/assets.py), so phones may keep them.
    SEND_FILE_MAX_AGE_DEFAULT = timedelta(days=365)
    TESTING = False


class TestConfig(Config):
    TESTING = True
    SECRET_KEY = "test-secret-key-not-for-production"
    SQLALCHEMY_DATABASE_URI = database_url(os.environ.get("DATABASE_URL", "sqlite://"))
    RATELIMIT_STORAGE_URI = "memory://"
    LOGIN_RATE_LIMIT = "1000 per minute"
    STAFF_PASSWORD_MAX_AGE_DAYS = 0  # rotation off unless a test sets it
    REQUIRE_STAFF_MFA = False
    JOBS_BACKEND = "immediate"
