"""The TOTP second factor (RFC 6238 with pyotp; SECURITY.md check 9, 等保 level 3 options).

A code is accepted for its own 30-second step and the one either side (a phone's clock may
be a little off), and only for a step later than the last one accepted, so a code seen over
someone's shoulder or replayed from a log is refused.
"""

from __future__ import annotations

import hmac
from datetime import datetime

import pyotp

ISSUER = "吹哨报到"
DRIFT_STEPS = 1  # one step (30 s) either side


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(secret: str, account: str) -> str:
    """The otpauth:// address an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=account, issuer_name=ISSUER)


def matching_step(secret: str, code: str, *, now: datetime, after: int | None = None) -> int | None:
    """The time step whose code `code` is, within the allowed drift and later than `after`
    (the last step used), or None."""
    code = "".join(code.split())
    if not (code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now)
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if after is not None and step <= after:
            continue
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None
