"""One-time codes (issue 17 item 7): SMS codes that show a mobile number is the user's, and
service-card codes with which an enterprise already in the registry claims its account.

- An SMS code is 6 digits, valid for 5 minutes, and allows 5 tries; asking again replaces
  the earlier code of the same purpose and number. It is kept only as an HMAC-SHA256 under
  the application's secret key (a 6-digit code hashed without a key would be found by
  trying the million possibilities), and used once.
- A service-card code (服务卡, Chaozhou 附件4; 五(三) "发放服务卡，明确联系服务企业责任人") is
  12 letters and digits (about 60 bits, so guessing one is hopeless even without its
  rate limit), printed with a QR code and handed over by the liaison at a visit; issuing a
  new one replaces the old; it expires (CLAIM_CARD_DAYS) and is used once.

Nothing here knows Flask; the secret and the time are passed in.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa

from portal.domain.models import Enterprise, OneTimeCode, User

SMS_DIGITS = 6
SMS_TTL = timedelta(minutes=5)
SMS_TRIES = 5
CARD_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read out at a visit
CARD_LENGTH = 12

REGISTER, COLLEAGUE, CLAIM, SIGN_IN, CARD = "register", "colleague", "claim", "sign_in", "card"
SMS_PURPOSES = (REGISTER, COLLEAGUE, CLAIM, SIGN_IN)


def code_hash(secret: str, purpose: str, code: str) -> str:
    """The keyed hash kept instead of the code; the purpose is part of it, so a code for
    one purpose never matches another's row."""
    message = f"{purpose}:{normalise(code)}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def normalise(code: str) -> str:
    """What a person types, as compared: spaces and hyphens dropped, capitals."""
    return "".join(c for c in (code or "") if c.isalnum()).upper()


def new_sms_code() -> str:
    return f"{secrets.randbelow(10**SMS_DIGITS):0{SMS_DIGITS}d}"


def issue_sms_code(session, *, purpose: str, mobile: str, at: datetime, secret: str) -> str:
    """A new SMS code for `mobile`; any earlier live code of the same purpose for that
    number stops working. Returns the code, to be sent and never stored."""
    assert purpose in SMS_PURPOSES
    _retire(session, purpose, at, OneTimeCode.mobile == mobile)
    code = new_sms_code()
    session.add(
        OneTimeCode(
            purpose=purpose,
            mobile=mobile,
            code_hash=code_hash(secret, purpose, code),
            created_at=at,
            expires_at=at + SMS_TTL,
            attempts=0,
        )
    )
    session.flush()
    return code


def check_sms_code(
    session, *, purpose: str, mobile: str, code: str, at: datetime, secret: str
) -> bool:
    """True when `code` is the live code sent to `mobile` for `purpose`; the code is then
    used up. A wrong code counts one of its 5 tries (counted in the database, so parallel
    guesses each count); the fifth wrong one ends it. The caller commits either way."""
    row = session.scalar(
        sa.select(OneTimeCode)
        .where(
            OneTimeCode.purpose == purpose,
            OneTimeCode.mobile == mobile,
            OneTimeCode.used_at.is_(None),
            OneTimeCode.expires_at > at,
            OneTimeCode.attempts < SMS_TRIES,
        )
        .order_by(OneTimeCode.id.desc())
        .limit(1)
    )
    if row is None:
        return False
    if not hmac.compare_digest(row.code_hash, code_hash(secret, purpose, code)):
        session.execute(
            sa.update(OneTimeCode)
            .where(OneTimeCode.id == row.id)
            .values(attempts=OneTimeCode.attempts + 1)
        )
        session.expire(row, ["attempts"])
        return False
    used = session.execute(
        sa.update(OneTimeCode)
        .where(OneTimeCode.id == row.id, OneTimeCode.used_at.is_(None))
        .values(used_at=at)
    )
    session.expire(row, ["used_at"])
    return used.rowcount == 1  # two requests with the same code: one wins


def new_card_code() -> str:
    return "".join(secrets.choice(CARD_ALPHABET) for _ in range(CARD_LENGTH))


def grouped(code: str) -> str:
    """ABCD-EFGH-JKLM: how a card code is printed and read out."""
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def issue_card_code(
    session, enterprise: Enterprise, *, by: User, at: datetime, secret: str, days: int
) -> str:
    """A new service-card code for `enterprise` (the one before stops working), valid for
    `days`. Returns it grouped, to be printed on the card once; only its hash is kept."""
    _retire(session, CARD, at, OneTimeCode.enterprise_id == enterprise.id)
    code = new_card_code()
    session.add(
        OneTimeCode(
            purpose=CARD,
            enterprise_id=enterprise.id,
            code_hash=code_hash(secret, CARD, code),
            created_at=at,
            expires_at=at + timedelta(days=days),
            attempts=0,
            issued_by_id=by.id,
        )
    )
    session.flush()
    return grouped(code)


def card_code_row(session, code: str, *, at: datetime, secret: str) -> OneTimeCode | None:
    """The live card code `code` names, or None (wrong, used, replaced or expired)."""
    if len(normalise(code)) != CARD_LENGTH:
        return None
    return session.scalar(
        sa.select(OneTimeCode).where(
            OneTimeCode.purpose == CARD,
            OneTimeCode.code_hash == code_hash(secret, CARD, code),
            OneTimeCode.used_at.is_(None),
            OneTimeCode.expires_at > at,
        )
    )


def use(session, row: OneTimeCode, at: datetime) -> bool:
    """Mark `row` used; False when another request used it first."""
    done = session.execute(
        sa.update(OneTimeCode)
        .where(OneTimeCode.id == row.id, OneTimeCode.used_at.is_(None))
        .values(used_at=at)
    )
    session.expire(row, ["used_at"])
    return done.rowcount == 1


def live_card_code(session, enterprise: Enterprise, at: datetime) -> OneTimeCode | None:
    """The enterprise's card code that still works (its code is not known, only when it
    was issued and until when it holds)."""
    return session.scalar(
        sa.select(OneTimeCode)
        .where(
            OneTimeCode.purpose == CARD,
            OneTimeCode.enterprise_id == enterprise.id,
            OneTimeCode.used_at.is_(None),
            OneTimeCode.expires_at > at,
        )
        .order_by(OneTimeCode.id.desc())
        .limit(1)
    )


def _retire(session, purpose: str, at: datetime, target) -> None:
    """End the live codes of `purpose` for a target: they expire now."""
    session.execute(
        sa.update(OneTimeCode)
        .where(
            OneTimeCode.purpose == purpose,
            target,
            OneTimeCode.used_at.is_(None),
            OneTimeCode.expires_at > at,
        )
        .values(expires_at=at)
    )
