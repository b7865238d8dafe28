"""Accounts: password hashing, the login check with lockout, and session revocation.

Passwords are hashed with scrypt (Werkzeug's default KDF); no plaintext is kept anywhere.
A wrong login never says which part was wrong, and an unknown login costs as much time as a
known one, so the answer does not reveal which accounts exist (SECURITY.md checklist 1).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Optional

import sqlalchemy as sa
from werkzeug.security import check_password_hash, generate_password_hash

from portal.domain import audit, credit_code
from portal.domain.errors import N_, RuleViolation
from portal.domain.models import Enterprise, EnterpriseKind, Jurisdiction, Role, User

MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
_DUMMY_HASH = generate_password_hash("not-a-password-of-anyone")


def hash_password(password: str) -> str:
    return generate_password_hash(password)  # scrypt


def verify_password(user: User, password: str) -> bool:
    return check_password_hash(user.password_hash, password)


def find_login(session, login: str) -> Optional[User]:
    """Staff sign in by username; enterprise users by their mobile number (or username)."""
    login = login.strip()
    if MOBILE_RE.match(login):
        user = session.scalar(sa.select(User).where(User.mobile == login))
        if user is not None:
            return user
    return session.scalar(sa.select(User).where(User.username == login))


@dataclass
class LoginResult:
    user: Optional[User]
    reason: str  # "ok", "bad_credentials", "locked", "inactive"

    @property
    def ok(self) -> bool:
        return self.reason == "ok"


def authenticate(session, login: str, password: str, *, now: datetime, max_failures: int,
                 lockout: timedelta, ip: Optional[str] = None) -> LoginResult:
    """Check a login and record the attempt in the audit log.

    After `max_failures` wrong passwords in a row the account is locked for `lockout`; while
    locked even the right password is refused. Unknown logins and wrong passwords give the
    same result.
    """
    user = find_login(session, login)
    if user is None:
        check_password_hash(_DUMMY_HASH, password)  # same cost as a real check
        _audit(session, None, ip, "login", "failure", now, "unknown login")
        return LoginResult(None, "bad_credentials")
    if user.is_locked(now):
        check_password_hash(_DUMMY_HASH, password)
        _audit(session, user, ip, "login", "locked", now)
        return LoginResult(None, "locked")
    if not verify_password(user, password):
        # Counted in the database, not in Python: parallel wrong guesses each add one.
        failures = session.execute(
            sa.update(User).where(User.id == user.id)
            .values(failed_logins=User.failed_logins + 1).returning(User.failed_logins)
        ).scalar_one()
        if failures >= max_failures:
            session.execute(sa.update(User).where(User.id == user.id).values(
                locked_until=now + lockout, failed_logins=0))
        session.expire(user, ["failed_logins", "locked_until"])
        _audit(session, user, ip, "login", "failure", now)
        return LoginResult(None, "bad_credentials")
    if not user.active:
        _audit(session, user, ip, "login", "inactive", now)
        return LoginResult(None, "bad_credentials")
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    _audit(session, user, ip, "login", "success", now)
    return LoginResult(user, "ok")


def revoke_sessions(user: User) -> None:
    """End every session of this user: logout, disabling, or an admin's action."""
    user.session_version += 1


def _audit(session, user, ip, action, result, now, detail=""):
    """A login attempt's row: never the password, nor the login typed for an unknown
    account (it may be a password typed into the wrong field)."""
    audit.record(session, at=now, user_id=user.id if user else None, ip=ip, action=action,
                 object_type="user", object_id=str(user.id) if user else None,
                 result=result, detail=detail)


# --------------------------------------------------------------------------- registration

MIN_PASSWORD = 8


def check_password_rules(password: str) -> None:
    """Enterprise users: at least 8 characters and not one repeated character (SECURITY.md:
    composition rules are for staff only)."""
    if len(password) < MIN_PASSWORD:
        raise RuleViolation(N_("Use at least 8 characters for the password."), field="password")
    if len(set(password)) < 3:
        raise RuleViolation(N_("Choose a password that is harder to guess."), field="password")


def register_enterprise_user(session, *, name: str, mobile: str, password: str,
                             enterprise_name: str, credit_code_raw: str,
                             kind: EnterpriseKind, jurisdiction: Jurisdiction,
                             at: datetime) -> User:
    """An enterprise signs up on the portal with a mobile number, a password, its name and
    its unified social credit code (individual businesses may have none).

    An enterprise already in the registry is never joined by registering: its credit code and
    phone are public, and the mobile number is not verified here, so knowing them must never
    open a company's cases. A colleague who already uses the account adds the new user, or
    the office links it.
    """
    mobile = mobile.strip()
    if not MOBILE_RE.match(mobile):
        raise RuleViolation(N_("Enter an 11-digit mobile number, like 13800000000."),
                            field="mobile")
    if session.scalar(sa.select(User.id).where(User.mobile == mobile)) is not None:
        raise RuleViolation(N_("This mobile number already has an account. Sign in instead."),
                            field="mobile")
    check_password_rules(password)
    code = credit_code.normalise(credit_code_raw or "") or None
    if code is None and kind is not EnterpriseKind.INDIVIDUAL:
        raise RuleViolation(N_("Enter the 18-character unified social credit code from the "
                               "business licence."), field="credit_code")
    if code is not None and not credit_code.is_valid(code):
        raise RuleViolation(N_("This is not a valid unified social credit code. Check the 18 "
                               "characters on the business licence."), field="credit_code")
    enterprise = None
    if code is not None:
        enterprise = session.scalar(sa.select(Enterprise).where(Enterprise.credit_code == code))
    if enterprise is not None:
        raise RuleViolation(N_("This enterprise is already registered. Ask a colleague who "
                               "uses its account to add you, or call the office to link your "
                               "account."), field="credit_code")
    enterprise = Enterprise(
        name=enterprise_name.strip(), credit_code=code, kind=kind, jurisdiction=jurisdiction,
        contact_name=name.strip(), contact_phone=mobile, created_at=at)
    session.add(enterprise)
    user = User(mobile=mobile, name=name.strip(), role=Role.ENTERPRISE, enterprise=enterprise,
                password_hash=hash_password(password), created_at=at)
    session.add(user)
    session.flush()
    return user


def add_colleague(session, *, by: User, name: str, mobile: str, password: str,
                  at: datetime) -> User:
    """An enterprise user adds a colleague to the same enterprise (an enterprise may have
    several users). The colleague signs in with the mobile number and the password given,
    and should change it."""
    if by.enterprise_id is None:
        raise RuleViolation(N_("Only an enterprise account can add colleagues."))
    mobile = mobile.strip()
    if not MOBILE_RE.match(mobile):
        raise RuleViolation(N_("Enter an 11-digit mobile number, like 13800000000."),
                            field="mobile")
    if session.scalar(sa.select(User.id).where(User.mobile == mobile)) is not None:
        raise RuleViolation(N_("This mobile number already has an account."), field="mobile")
    check_password_rules(password)
    user = User(mobile=mobile, name=name.strip(), role=Role.ENTERPRISE,
                enterprise_id=by.enterprise_id, password_hash=hash_password(password),
                created_at=at)
    session.add(user)
    audit.record(session, at=at, user_id=by.id, action="add_user", object_type="user",
                 object_id=mobile[-4:], result="success")
    return user


def change_password(user: User, *, current: str, new: str) -> None:
    """Changing a password needs the current one; every other session of the user ends."""
    if not verify_password(user, current):
        raise RuleViolation(N_("The current password is not right."), field="current")
    check_password_rules(new)
    if verify_password(user, new):
        raise RuleViolation(N_("Choose a password different from the current one."),
                            field="password")
    user.password_hash = hash_password(new)
    revoke_sessions(user)
