"""An enterprise already in the registry claims its account (issue 17 item 7).

The liaisons' ledgers put nearly every enterprise in the registry before anyone of it signs
up (Dalu 一: every enterprise has a liaison unit and person). Such an enterprise does not
register again (its credit code is taken); it claims the registry entry, in one of two ways:
- with the mobile number the registry holds for its contact (企业联络人员及电话, the ledger's
  column): the claimant receives an SMS code on that number, which shows the number is
  theirs — the registry's number, verified at the claim;
- with the one-time code printed on its service card (`codes.issue_card_code`), which its
  liaison hands over at a visit (Chaozhou 五(三) "发放服务卡"); the claimant's own mobile is
  verified by an SMS code as at registration.

Either way the code is used once, and every claim, granted or refused, is one audit row.
An enterprise that already has an account is never taken over: the claim is refused and a
colleague who uses the account adds the newcomer (`accounts.add_colleague`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import NoReturn

import sqlalchemy as sa

from portal.domain import accounts, audit, codes
from portal.domain.errors import N_, RuleViolation
from portal.domain.models import Enterprise, Role, User

CARD, REGISTRY_MOBILE = "service card", "registry mobile"
WRONG_CARD = N_(
    "This code is not right, was used already or has expired. Check the code on your "
    "service card, or ask your liaison for a new card."
)


@dataclass
class Claim:
    """What a claim needs once the form is complete."""

    name: str
    mobile: str
    password: str
    card_code: str = ""  # empty: the registry's contact mobile


def _digits(phone: str | None) -> str:
    digits = re.sub(r"\D", "", phone or "")
    return digits[2:] if digits.startswith("86") and len(digits) == 13 else digits


def card_problems(session, card_code: str, *, at: datetime, secret: str, ip=None) -> list:
    """A card code that is given but does not work, as a problem on its field (audited:
    guessing card codes shows in the log)."""
    if not card_code.strip() or codes.card_code_row(session, card_code, at=at, secret=secret):
        return []
    _audit(session, None, None, at, ip, "refused", "card code not right, used or expired")
    return [RuleViolation(WRONG_CARD, field="card_code")]


def registry_matches(session, mobile: str) -> list[Enterprise]:
    """Enterprises without an account whose registry contact number is `mobile`."""
    rows = session.scalars(
        sa.select(Enterprise)
        .where(Enterprise.contact_phone.contains(mobile[-4:]))  # typed with spaces or dashes
        .order_by(Enterprise.id)
    ).all()
    return [e for e in rows if _digits(e.contact_phone) == mobile]


def claim_account(
    session, claim: Claim, *, at: datetime, secret: str, ip: str | None = None
) -> User:
    """Give the claimant an account of the enterprise the card code or the registry's
    contact mobile names. The caller has checked the SMS code sent to `claim.mobile`.
    Raises RuleViolation (on its field) when the claim is refused; the refusal's audit row
    is written first, so the caller commits it after rolling back nothing else."""
    mobile = claim.mobile.strip()
    accounts.check_mobile(mobile)
    accounts.check_password_rules(claim.password)
    if accounts.mobile_taken(session, mobile):
        _refuse(
            session,
            None,
            at,
            ip,
            "mobile has an account",
            N_("This mobile number already has an account. Sign in instead."),
            "mobile",
        )
    row = None
    if claim.card_code.strip():
        row = codes.card_code_row(session, claim.card_code, at=at, secret=secret)
        if row is None or row.enterprise is None:
            _refuse(
                session,
                None,
                at,
                ip,
                "card code not right, used or expired",
                WRONG_CARD,
                "card_code",
            )
        enterprise, how = row.enterprise, CARD
    else:
        found = [e for e in registry_matches(session, mobile) if not e.users]
        if len(found) != 1:
            _refuse(
                session,
                None,
                at,
                ip,
                f"registry mobile matches {len(found)} enterprises without an account",
                N_(
                    "The registry has no single enterprise without an account whose "
                    "contact is this mobile number. Use the code on your service card, "
                    "which your liaison gives you, or create an account."
                ),
                "mobile",
            )
        enterprise, how = found[0], REGISTRY_MOBILE
    _lock(session, enterprise)
    if enterprise.users:
        _refuse(
            session,
            enterprise,
            at,
            ip,
            f"already has an account ({how})",
            N_("This enterprise already has an account. Ask a colleague who uses it to add you."),
            "card_code" if row is not None else "mobile",
        )
    if row is not None and not codes.use(session, row, at):
        _refuse(
            session,
            enterprise,
            at,
            ip,
            "card code used meanwhile",
            N_("This code was used already. Ask your liaison for a new card."),
            "card_code",
        )
    user = User(
        mobile=mobile,
        name=claim.name.strip(),
        role=Role.ENTERPRISE,
        enterprise=enterprise,
        password_hash=accounts.hash_password(claim.password),
        created_at=at,
        mobile_verified_at=at,
    )
    session.add(user)
    session.flush()
    codes._retire(session, codes.CARD, at, codes.OneTimeCode.enterprise_id == enterprise.id)
    _audit(session, user, enterprise, at, ip, "success", how)
    return user


class ClaimRefused(RuleViolation):
    """A refused claim; its audit row is in the session and must be committed."""


def _refuse(session, enterprise, at, ip, detail, message, field) -> NoReturn:
    _audit(session, None, enterprise, at, ip, "refused", detail)
    raise ClaimRefused(message, field=field)


def _lock(session, enterprise: Enterprise) -> None:
    """Two claims of one enterprise at once: the second waits, then sees the first's user
    (PostgreSQL row lock; SQLite writes one transaction at a time)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            sa.select(Enterprise.id).where(Enterprise.id == enterprise.id).with_for_update()
        )
    session.refresh(enterprise, ["users"])


def _audit(session, user, enterprise, at, ip, result, detail) -> None:
    audit.record(
        session,
        at=at,
        user_id=user.id if user else None,
        ip=ip,
        action="claim",
        object_type="enterprise",
        object_id=str(enterprise.id) if enterprise else None,
        result=result,
        detail=detail,
    )


def issue_card(
    session,
    enterprise: Enterprise,
    *,
    by: User,
    at: datetime,
    secret: str,
    days: int,
    ip: str | None = None,
) -> str:
    """The liaison or the office issues (or reissues) the enterprise's service-card code;
    audited. Returns the code, to be printed once."""
    if enterprise.users:
        raise RuleViolation(
            N_("This enterprise already has an account: its people add colleagues themselves.")
        )
    code = codes.issue_card_code(session, enterprise, by=by, at=at, secret=secret, days=days)
    audit.record(
        session,
        at=at,
        user_id=by.id,
        ip=ip,
        action="card_code",
        object_type="enterprise",
        object_id=str(enterprise.id),
        result="success",
        detail=f"valid {days} days",
    )
    return code
