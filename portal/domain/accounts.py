"""Accounts: password hashing, the login check with lockout, session revocation, password
rules, one-time passwords, the second factor and the administrator's account changes.

Passwords are hashed with scrypt (Werkzeug's default KDF); no plaintext is kept anywhere.
A wrong login never says which part was wrong, and an unknown login costs as much time as a
known one, so the answer does not reveal which accounts exist (SECURITY.md checklist 1).

Repeated wrong passwords, and how this meets two texts at once. SECURITY.md decided
"lockout after 5 failures" (等保 测评: 5 tries), and its checklist 1 says "5 bad passwords,
then the correct one — still locked". Issue 17 item 7 says repeated wrong passwords "slow
the account down (growing delays, an SMS code to skip them) instead of locking its owner
out". Both hold here:
- after `max_failures` (5) failures in a row the account refuses every password, the right
  one too, for a delay: the lockout of SECURITY.md, checklist 1 unchanged;
- the delay grows as failures go on after each delay ends (`LOGIN_DELAYS`, by default 1, 5,
  15 and then 60 minutes), so a guesser gets at most a few tries an hour, and the owner
  never waits long after a slip: the slow-down of the issue;
- the owner skips the delay with a one-time SMS code sent to the account's verified mobile
  (`sign_in_with_code`); asking for it is rate-limited, and a wrong code counts as a failed
  sign-in like a wrong password — so the code is no way around the count;
- unknown logins get the same answer as known ones, and asking for the skip code says the
  same whether or not the account exists or has a verified mobile.
Password rules are SECURITY.md check 2, one-time passwords check 8, the second factor
check 9; every account change an administrator makes is audited (check 28).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path

import sqlalchemy as sa
from werkzeug.security import check_password_hash, generate_password_hash

from portal.domain import audit, codes, credit_code, second_factor
from portal.domain.errors import N_, RuleViolation, collect, refuse
from portal.domain.models import Enterprise, EnterpriseKind, Jurisdiction, OrgUnit, Role, User

MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
_DUMMY_HASH = generate_password_hash("not-a-password-of-anyone")


def hash_password(password: str) -> str:
    return generate_password_hash(password)  # scrypt


def verify_password(user: User, password: str) -> bool:
    return check_password_hash(user.password_hash, password)


def find_login(session, login: str) -> User | None:
    """Staff sign in by username; enterprise users by their mobile number (or username)."""
    login = login.strip()
    if MOBILE_RE.match(login):
        user = session.scalar(sa.select(User).where(User.mobile == login))
        if user is not None:
            return user
    return session.scalar(sa.select(User).where(User.username == login))


@dataclass
class LoginResult:
    user: User | None
    reason: str  # "ok", "bad_credentials", "locked", "inactive"

    @property
    def ok(self) -> bool:
        return self.reason == "ok"


def authenticate(
    session,
    login: str,
    password: str,
    *,
    now: datetime,
    max_failures: int,
    delays: Sequence[timedelta],
    ip: str | None = None,
    password_max_age: timedelta | None = None,
) -> LoginResult:
    """Check a login and record the attempt in the audit log.

    After `max_failures` wrong passwords in a row the account is locked for the first of
    `delays`, and for the next one after each further failure (`_count_failure`); while
    locked even the right password is refused. Unknown logins and wrong passwords give the
    same result. A user with a second factor gets "second_factor": the password was right,
    but the failure count is kept until the code is (SECURITY.md 9). A staff password older
    than `password_max_age` must be changed at this sign-in (SECURITY.md 2, rotation).
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
        _count_failure(session, user, now=now, max_failures=max_failures, delays=delays)
        _audit(session, user, ip, "login", "failure", now)
        return LoginResult(None, "bad_credentials")
    if not user.active:
        _audit(session, user, ip, "login", "inactive", now)
        return LoginResult(None, "bad_credentials")
    if (
        password_max_age
        and user.role.is_staff
        and (user.password_changed_at or user.created_at) + password_max_age <= now
    ):
        user.must_change_password = True
        _audit(session, user, ip, "password_expired", "success", now)
    if user.has_second_factor:
        _audit(session, user, ip, "login", "second_factor", now, "password right, code due")
        return LoginResult(user, "second_factor")
    return _signed_in(session, user, now, ip)


def complete_second_factor(
    session,
    user: User,
    code: str,
    *,
    now: datetime,
    max_failures: int,
    delays: Sequence[timedelta],
    ip: str | None = None,
) -> LoginResult:
    """The second step of signing in: the TOTP code of a user whose password was right.

    A wrong code, or one already used, counts as a failed login towards the lockout; a
    locked or disabled account is refused whatever the code (SECURITY.md 9).
    """
    if user.is_locked(now) or not user.active or not user.has_second_factor:
        _audit(
            session,
            user,
            ip,
            "login",
            "locked" if user.is_locked(now) else "inactive",
            now,
            "second factor",
        )
        return LoginResult(None, "locked")
    assert user.totp_secret is not None  # has_second_factor, checked above
    step = second_factor.matching_step(user.totp_secret, code, now=now, after=user.totp_last_step)
    if step is None:
        _count_failure(session, user, now=now, max_failures=max_failures, delays=delays)
        _audit(session, user, ip, "login", "failure", now, "second factor")
        return LoginResult(None, "bad_code")
    user.totp_last_step = step
    return _signed_in(session, user, now, ip)


def _signed_in(session, user: User, now: datetime, ip) -> LoginResult:
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    _audit(session, user, ip, "login", "success", now)
    return LoginResult(user, "ok")


def _count_failure(
    session, user: User, *, now: datetime, max_failures: int, delays: Sequence[timedelta]
) -> None:
    """One more failure. From the `max_failures`-th on, each failure locks the account for
    the next of `delays` (the last one repeats): 1, 5, 15, 60 … minutes. The count goes on
    until a sign-in succeeds, and failures are not counted while the account waits (they
    are refused unchecked), so others' guesses cannot stretch the owner's wait further than
    one step per delay. Counted in the database, not in Python: parallel wrong guesses each
    add one."""
    failures = session.execute(
        sa.update(User)
        .where(User.id == user.id)
        .values(failed_logins=User.failed_logins + 1)
        .returning(User.failed_logins)
    ).scalar_one()
    if failures >= max_failures and delays:
        delay = delays[min(failures - max_failures, len(delays) - 1)]
        session.execute(sa.update(User).where(User.id == user.id).values(locked_until=now + delay))
    session.expire(user, ["failed_logins", "locked_until"])


def can_skip_delay(user: User | None) -> bool:
    """Whether a sign-in code may go to this account: an active account with a verified
    mobile number."""
    return bool(user and user.active and user.mobile and user.mobile_verified_at)


def request_sign_in_code(
    session, login: str, *, now: datetime, secret: str, ip: str | None = None
) -> tuple[str, str] | None:
    """Someone asks for the SMS code that skips a sign-in delay. Returns (mobile, code) to
    send when the login names an account with a verified mobile, else None; the page says
    the same in both cases (no account is revealed). Audited either way."""
    user = find_login(session, login)
    if not can_skip_delay(user):
        _audit(session, user, ip, "sign_in_code", "refused", now, "no verified mobile")
        return None
    assert user is not None and user.mobile is not None
    code = codes.issue_sms_code(
        session, purpose=codes.SIGN_IN, mobile=user.mobile, at=now, secret=secret
    )
    _audit(session, user, ip, "sign_in_code", "sent", now)
    return user.mobile, code


def sign_in_with_code(
    session,
    login: str,
    password: str,
    code: str,
    *,
    now: datetime,
    secret: str,
    max_failures: int,
    delays: Sequence[timedelta],
    ip: str | None = None,
    password_max_age: timedelta | None = None,
) -> LoginResult:
    """Sign in at once although the account waits after failures: the SMS code sent to its
    verified mobile lifts the wait, then the password is checked as always (a second factor
    still follows). A wrong code counts as a failed sign-in; an unknown login gets the same
    answer as a wrong code."""
    user = find_login(session, login)
    if not can_skip_delay(user):
        check_password_hash(_DUMMY_HASH, password)
        _audit(session, user, ip, "login", "failure", now, "sign-in code, no such account")
        return LoginResult(None, "bad_credentials")
    assert user is not None and user.mobile is not None
    if not codes.check_sms_code(
        session, purpose=codes.SIGN_IN, mobile=user.mobile, code=code, at=now, secret=secret
    ):
        check_password_hash(_DUMMY_HASH, password)
        # A wrong code is a failed sign-in, counted even while the account waits.
        _count_failure(session, user, now=now, max_failures=max_failures, delays=delays)
        _audit(session, user, ip, "login", "failure", now, "wrong sign-in code")
        return LoginResult(None, "bad_credentials")
    if user.is_locked(now):
        user.locked_until = None
        _audit(session, user, ip, "login_delay_skipped", "success", now, "SMS code")
    return authenticate(
        session,
        login,
        password,
        now=now,
        max_failures=max_failures,
        delays=delays,
        ip=ip,
        password_max_age=password_max_age,
    )


def revoke_sessions(user: User) -> None:
    """End every session of this user: logout, disabling, or an admin's action."""
    user.session_version += 1


def _audit(session, user, ip, action, result, now, detail=""):
    """A login attempt's row: never the password, nor the login typed for an unknown
    account (it may be a password typed into the wrong field)."""
    audit.record(
        session,
        at=now,
        user_id=user.id if user else None,
        ip=ip,
        action=action,
        object_type="user",
        object_id=str(user.id) if user else None,
        result=result,
        detail=detail,
    )


def _audit_account(
    session,
    *,
    by: User | None,
    whom: User,
    action: str,
    at: datetime,
    ip: str | None = None,
    detail: str = "",
    result: str = "success",
):
    """One audit row for a change to `whom`'s account made by `by` (who, whom, what; never a
    password or a secret). The one place account changes are written to the audit log."""
    audit.record(
        session,
        at=at,
        user_id=by.id if by else None,
        ip=ip,
        action=action,
        object_type="user",
        object_id=str(whom.id),
        result=result,
        detail=detail[:500],
    )


# --------------------------------------------------------------------------- password rules

MIN_PASSWORD = 8
COMMON_PASSWORDS_FILE = Path(__file__).with_name("common_passwords.txt")


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    lines = COMMON_PASSWORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(
        line.strip().lower() for line in lines if line.strip() and not line.startswith("#")
    )


def character_classes(password: str) -> int:
    """How many of the four classes a password uses: capitals, small letters, digits and
    symbols (anything else, a space or a Chinese character included)."""
    return sum(
        (
            any(c.isascii() and c.isupper() for c in password),
            any(c.isascii() and c.islower() for c in password),
            any(c.isdigit() for c in password),
            any(not (c.isascii() and c.isalnum()) for c in password),
        )
    )


@dataclass(frozen=True)
class PasswordPolicy:
    """Which passwords a user may choose (SECURITY.md check 2; 等保 测评: 8 characters, 3 of 4
    classes, 90 days). Staff get composition, the names check and rotation; enterprise users
    the length and the common list only (SECURITY.md, "Decisions already taken")."""

    min_length: int = MIN_PASSWORD
    classes: int = 0
    forbid_names: bool = False
    max_age: timedelta | None = None

    @classmethod
    def for_role(cls, role: Role, config: Mapping) -> PasswordPolicy:
        if not role.is_staff:
            return cls(
                min_length=max(
                    MIN_PASSWORD, config.get("ENTERPRISE_PASSWORD_MIN_LENGTH", MIN_PASSWORD)
                )
            )
        days = config.get("STAFF_PASSWORD_MAX_AGE_DAYS", 0)
        return cls(
            min_length=max(MIN_PASSWORD, config.get("STAFF_PASSWORD_MIN_LENGTH", 8)),
            classes=min(4, config.get("STAFF_PASSWORD_CLASSES", 3)),
            forbid_names=True,
            max_age=timedelta(days=days) if days else None,
        )

    def check(self, password: str, *, names: tuple[str | None, ...] = ()) -> None:
        """Raise RuleViolation (on the "password" field) for a password these rules refuse."""
        if len(password) < self.min_length:
            raise RuleViolation(
                N_("Use at least %(num)d characters for the password."),
                field="password",
                num=self.min_length,
            )
        if len(set(password)) < 3 or password.strip().lower() in common_passwords():
            raise RuleViolation(
                N_("This password is too common and easy to guess. Choose another."),
                field="password",
            )
        if character_classes(password) < self.classes:
            raise RuleViolation(
                N_(
                    "Use at least %(num)d of these: capital letters, small "
                    "letters, digits and symbols."
                ),
                field="password",
                num=self.classes,
            )
        lowered = password.lower()
        if self.forbid_names and any(n and len(n) >= 3 and n.lower() in lowered for n in names):
            raise RuleViolation(
                N_("The password must not contain your username or mobile number."),
                field="password",
            )


ENTERPRISE_POLICY = PasswordPolicy()


def check_password_rules(
    password: str, policy: PasswordPolicy = ENTERPRISE_POLICY, names: tuple[str | None, ...] = ()
) -> None:
    policy.check(password, names=names)


def one_time_password() -> str:
    """A random first password, given once by an administrator or the bootstrap command:
    four groups of four from capitals, small letters and digits (no 0/O, 1/l/I), joined by
    hyphens, so it passes every staff rule and reads out over the phone."""
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789"
    while True:
        groups = ["".join(secrets.choice(alphabet) for _ in range(4)) for _ in range(4)]
        candidate = "-".join(groups)
        if character_classes(candidate) == 4:
            return candidate


def set_one_time_password(user: User, *, at: datetime) -> str:
    """Give `user` a new random password that must be changed at the next sign-in; every
    session of the user ends. Returns the password, to be shown once and never stored."""
    password = one_time_password()
    user.password_hash = hash_password(password)
    user.must_change_password = True
    user.password_changed_at = at
    user.failed_logins = 0
    user.locked_until = None
    revoke_sessions(user)
    return password


# --------------------------------------------------------------------------- registration


def check_mobile(mobile: str) -> None:
    """An 11-digit mainland mobile number, or a RuleViolation on the "mobile" field."""
    if not MOBILE_RE.match((mobile or "").strip()):
        raise RuleViolation(
            N_("Enter an 11-digit mobile number, like 13800000000."), field="mobile"
        )


def mobile_taken(session, mobile: str) -> bool:
    return session.scalar(sa.select(User.id).where(User.mobile == mobile.strip())) is not None


def _check_new_mobile(session, mobile: str, taken: str) -> None:
    """Format, then not taken. Only called once the SMS code was right: an SMS code is
    never issued for a number that has an account (the owner is told by SMS instead), so
    "taken" is news only to the owner of the number (no enumeration, issue 17 item 7)."""
    check_mobile(mobile)
    if mobile_taken(session, mobile):
        raise RuleViolation(taken, field="mobile")


def _check_credit_code(session, raw: str, kind: EnterpriseKind | None) -> None:
    code = credit_code.normalise(raw or "") or None
    if code is None and kind is not None and kind is not EnterpriseKind.INDIVIDUAL:
        raise RuleViolation(
            N_("Enter the 18-character unified social credit code from the business licence."),
            field="credit_code",
        )
    if code is not None and not credit_code.is_valid(code):
        raise RuleViolation(
            N_(
                "This is not a valid unified social credit code. Check the 18 "
                "characters on the business licence."
            ),
            field="credit_code",
        )
    if code is not None and session.scalar(
        sa.select(Enterprise.id).where(Enterprise.credit_code == code)
    ):
        raise RuleViolation(
            N_(
                "This enterprise is already registered. Ask a colleague who "
                "uses its account to add you, or call the office to link your "
                "account."
            ),
            field="credit_code",
        )


def registration_problems(
    session, *, mobile: str, password: str, credit_code_raw: str, kind: EnterpriseKind | None
) -> list[RuleViolation]:
    """Every rule a registration breaks, one per field, so the form tells them all at
    once (issue 17 item 3); `kind` is None while not chosen. Whether the mobile number has an
    account is not among them: that answer waits for the SMS code (issue 17 item 7)."""
    return collect(
        lambda: check_mobile(mobile),
        lambda: check_password_rules(password),
        lambda: _check_credit_code(session, credit_code_raw, kind),
    )


def colleague_problems(session, *, mobile: str, password: str) -> list[RuleViolation]:
    """Every rule adding a colleague breaks (mobile, password), told at once; whether the
    number has an account waits for the SMS code, as for registration."""
    return collect(
        lambda: check_mobile(mobile),
        lambda: check_password_rules(password),
    )


def register_enterprise_user(
    session,
    *,
    name: str,
    mobile: str,
    password: str,
    enterprise_name: str,
    credit_code_raw: str,
    kind: EnterpriseKind,
    jurisdiction: Jurisdiction,
    at: datetime,
) -> User:
    """An enterprise signs up on the portal with a mobile number, a password, its name and
    its unified social credit code (individual businesses may have none).

    The mobile number was shown to be the user's by an SMS code (the caller checked it,
    `codes.check_sms_code`), so it is recorded as verified.

    An enterprise already in the registry is never joined by registering: its credit code and
    phone are public, so knowing them must never open a company's cases. It claims its
    account instead (`claim_account`: the registry's own contact mobile, or the code on its
    service card), or a colleague who already uses the account adds the new user.
    """
    refuse(
        registration_problems(
            session, mobile=mobile, password=password, credit_code_raw=credit_code_raw, kind=kind
        )
    )
    _check_new_mobile(
        session, mobile, N_("This mobile number already has an account. Sign in instead.")
    )
    mobile = mobile.strip()
    code = credit_code.normalise(credit_code_raw or "") or None
    enterprise = Enterprise(
        name=enterprise_name.strip(),
        credit_code=code,
        kind=kind,
        jurisdiction=jurisdiction,
        contact_name=name.strip(),
        contact_phone=mobile,
        created_at=at,
    )
    squatted = kind is EnterpriseKind.INDIVIDUAL and bool(companies_named(session, enterprise.name))
    if squatted:
        enterprise.name_check = NAME_PENDING
    session.add(enterprise)
    user = User(
        mobile=mobile,
        name=name.strip(),
        role=Role.ENTERPRISE,
        enterprise=enterprise,
        password_hash=hash_password(password),
        created_at=at,
        mobile_verified_at=at,
    )
    session.add(user)
    session.flush()
    if squatted:
        _audit_registration(
            session, at, user, enterprise, "pending", "an individual business, a company's name"
        )
    return user


# An individual business registered under the exact name of a registered company waits for
# the office's confirmation before it can whistle (issue 18 item 4): a case carries the
# enterprise's name, and a name that reads as a company's must not speak for it.
NAME_PENDING = "pending"
NAME_REFUSED = "refused"


def companies_named(session, name: str) -> list[Enterprise]:
    """Registered companies (not individual businesses) whose name is exactly `name`."""
    return list(
        session.scalars(
            sa.select(Enterprise)
            .where(
                Enterprise.name == name.strip(),
                Enterprise.kind != EnterpriseKind.INDIVIDUAL,
                Enterprise.name_check.is_(None),
            )
            .order_by(Enterprise.id)
        )
    )


def decide_name(session, enterprise: Enterprise, *, by: User, at: datetime, confirm: bool) -> None:
    """The office confirms that an individual business may use its name (it may whistle
    from now on), or refuses it (its accounts are disabled, their sessions end). Audited."""
    if enterprise.name_check != NAME_PENDING:
        raise RuleViolation(N_("This registration was already decided."))
    enterprise.name_check = None if confirm else NAME_REFUSED
    if not confirm:
        for user in enterprise.users:
            user.active = False
            revoke_sessions(user)
    _audit_registration(
        session, at, by, enterprise, "confirmed" if confirm else "refused", enterprise.name
    )


def _audit_registration(session, at, by: User, enterprise: Enterprise, result, detail) -> None:
    audit.record(
        session,
        at=at,
        user_id=by.id,
        action="registration",
        object_type="enterprise",
        object_id=str(enterprise.id),
        result=result,
        detail=detail,
    )


def add_colleague(
    session, *, by: User, name: str, mobile: str, password: str, at: datetime
) -> User:
    """An enterprise user adds a colleague to the same enterprise (an enterprise may have
    several users). The colleague signs in with the mobile number and the password given,
    and must change it at that first sign-in: a password someone else chose is never kept
    (issue 17 item 7). The colleague's mobile was shown by the SMS code the colleague
    received (checked by the caller)."""
    if by.enterprise_id is None:
        raise RuleViolation(N_("Only an enterprise account can add colleagues."))
    refuse(colleague_problems(session, mobile=mobile, password=password))
    _check_new_mobile(session, mobile, N_("This mobile number already has an account."))
    mobile = mobile.strip()
    user = User(
        mobile=mobile,
        name=name.strip(),
        role=Role.ENTERPRISE,
        enterprise_id=by.enterprise_id,
        password_hash=hash_password(password),
        must_change_password=True,
        created_at=at,
        mobile_verified_at=at,
    )
    session.add(user)
    audit.record(
        session,
        at=at,
        user_id=by.id,
        action="add_user",
        object_type="user",
        object_id=mobile[-4:],
        result="success",
    )
    return user


def change_password(
    user: User,
    *,
    current: str,
    new: str,
    policy: PasswordPolicy = ENTERPRISE_POLICY,
    at: datetime | None = None,
) -> None:
    """Changing a password needs the current one (SECURITY.md 2) and meets `policy`; every
    other session of the user ends, and a one-time or expired password is done with."""
    if not verify_password(user, current):
        raise RuleViolation(N_("The current password is not right."), field="current")
    policy.check(new, names=(user.username, user.mobile))
    if verify_password(user, new):
        raise RuleViolation(
            N_("Choose a password different from the current one."), field="password"
        )
    user.password_hash = hash_password(new)
    user.must_change_password = False
    if at is not None:
        user.password_changed_at = at
    revoke_sessions(user)


# --------------------------------------------------------------------------- second factor


def enrol_second_factor(
    session, user: User, *, secret: str, code: str, at: datetime, ip: str | None = None
) -> None:
    """Turn on the TOTP second factor once the user shows a code from the new secret; the
    code is then used up (SECURITY.md 9)."""
    step = second_factor.matching_step(secret, code, now=at)
    if step is None:
        raise RuleViolation(
            N_("That code is not right. Enter the 6 digits the app shows now."), field="code"
        )
    user.totp_secret = secret
    user.totp_last_step = step
    _audit_account(session, by=user, whom=user, action="second_factor_enrol", at=at, ip=ip)


# --------------------------------------------------------------------------- administration


def create_staff_user(
    session,
    *,
    by: User | None,
    name: str,
    username: str,
    role: Role,
    unit: OrgUnit | None,
    at: datetime,
    ip: str | None = None,
) -> tuple[User, str]:
    """An administrator (or, with `by` None, the bootstrap command) creates a staff account.
    It gets a random one-time password, returned to be shown once, which must be changed
    at the first sign-in: no account starts with a known password (SECURITY.md 8)."""
    username = username.strip()
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{1,63}", username) or MOBILE_RE.match(username):
        raise RuleViolation(
            N_(
                "Use 2 to 64 letters, digits, dots, hyphens or underscores "
                "for the username, not a mobile number."
            ),
            field="username",
        )
    if session.scalar(sa.select(User.id).where(User.username == username)) is not None:
        raise RuleViolation(N_("This username is taken. Choose another."), field="username")
    _check_staff_placement(role, unit)
    user = User(
        username=username,
        name=name.strip(),
        role=role,
        unit=unit,
        password_hash="!",
        created_at=at,
        session_version=0,
        active=True,
    )
    password = set_one_time_password(user, at=at)
    session.add(user)
    session.flush()
    _audit_account(
        session,
        by=by,
        whom=user,
        action="user_create",
        at=at,
        ip=ip,
        detail=f"role {role.value}; unit {unit.id if unit else '-'}",
    )
    return user, password


def _check_staff_placement(role: Role, unit: OrgUnit | None) -> None:
    if not role.is_staff:
        raise RuleViolation(
            N_("Enterprise accounts are made by the enterprise itself."), field="role"
        )
    if role is not Role.ADMIN and unit is None:
        raise RuleViolation(N_("Choose the unit this person works in."), field="unit")


def change_role(
    session,
    user: User,
    *,
    by: User,
    role: Role,
    unit: OrgUnit | None,
    at: datetime,
    ip: str | None = None,
) -> None:
    """Change a staff member's role or unit; audited with the old and the new values."""
    if not user.role.is_staff:
        raise RuleViolation(N_("An enterprise account has no staff role."), field="role")
    if user.id == by.id and role is not user.role:
        raise RuleViolation(
            N_("You cannot change your own role. Ask another administrator."), field="role"
        )
    _check_staff_placement(role, unit)
    old_role, old_unit = user.role, user.unit_id
    new_unit = unit.id if unit else None
    if (old_role, old_unit) == (role, new_unit):
        raise RuleViolation(N_("Choose a different role or unit."), field="role")
    user.role, user.unit = role, unit
    _audit_account(
        session,
        by=by,
        whom=user,
        action="role_change",
        at=at,
        ip=ip,
        detail=f"role {old_role.value}→{role.value}; unit {old_unit or '-'}→{new_unit or '-'}",
    )


def set_active(
    session, user: User, *, by: User, active: bool, at: datetime, ip: str | None = None
) -> None:
    """Disable or enable an account; disabling ends every session at once (SECURITY.md 5)."""
    if user.id == by.id:
        raise RuleViolation(N_("You cannot disable your own account."))
    if user.active == active:
        return
    user.active = active
    if not active:
        revoke_sessions(user)
    _audit_account(
        session, by=by, whom=user, action="user_enable" if active else "user_disable", at=at, ip=ip
    )


def reset_password(session, user: User, *, by: User, at: datetime, ip: str | None = None) -> str:
    """A new one-time password for `user` (returned, to be shown once); the user must change
    it at the next sign-in, and every session of the user ends."""
    password = set_one_time_password(user, at=at)
    _audit_account(session, by=by, whom=user, action="password_reset", at=at, ip=ip)
    return password


def reset_second_factor(
    session, user: User, *, by: User, at: datetime, ip: str | None = None
) -> None:
    """Remove a lost second factor; the user enrols again (forced where it is required).
    Every session of the user ends."""
    user.totp_secret = None
    user.totp_last_step = None
    revoke_sessions(user)
    _audit_account(session, by=by, whom=user, action="second_factor_reset", at=at, ip=ip)
