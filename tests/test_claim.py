"""Issue 17 item 7: a mobile number that is really the user's, an enterprise that can claim
its account, and repeated wrong passwords that slow an account down instead of locking its
owner out (portal/domain/codes.py, claims.py, accounts.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
import time_machine
from bs4 import BeautifulSoup

from portal.domain import accounts, codes
from portal.domain.models import AuditLog, LiaisonAssignment, Notification, OneTimeCode, User
from tests import factories
from tests.conftest import csrf_from

SECRET = "test-secret"
FAILURE = "手机号码、用户名或密码不正确"


def _error(response, field) -> str:
    found = BeautifulSoup(response.text, "html.parser").select_one(f"#{field}-error")
    return found.text if found is not None else ""


# --------------------------------------------------------------------------- SMS codes


class TestSmsCodes:
    """6 digits, valid 5 minutes, 5 tries, used once, stored only as a keyed hash."""

    def _issue(self, db, mobile="13911112222"):
        return codes.issue_sms_code(
            db.session, purpose=codes.REGISTER, mobile=mobile, at=factories.now(), secret=SECRET
        )

    def _check(self, db, code, *, at=None, mobile="13911112222", purpose=codes.REGISTER):
        return codes.check_sms_code(
            db.session,
            purpose=purpose,
            mobile=mobile,
            code=code,
            at=at or factories.now(),
            secret=SECRET,
        )

    def test_a_code_is_six_digits_and_only_its_hash_is_kept(self, db):
        code = self._issue(db)
        assert len(code) == 6 and code.isdigit()
        row = db.session.scalar(sa.select(OneTimeCode))
        assert code not in row.code_hash and len(row.code_hash) == 64
        assert row.code_hash != codes.code_hash("another-secret", codes.REGISTER, code)

    def test_a_code_holds_five_minutes(self, db):
        code = self._issue(db)
        assert not self._check(db, code, at=factories.now() + timedelta(minutes=5, seconds=1))
        assert self._check(db, code, at=factories.now() + timedelta(minutes=4, seconds=59))

    def test_a_code_works_once(self, db):
        code = self._issue(db)
        assert self._check(db, code)
        assert not self._check(db, code)

    def test_the_fifth_wrong_try_ends_the_code(self, db):
        code = self._issue(db)
        wrong = f"{(int(code) + 1) % 10**6:06d}"
        for _ in range(5):
            assert not self._check(db, wrong)
        assert not self._check(db, code)

    def test_four_wrong_tries_leave_the_code_working(self, db):
        code = self._issue(db)
        wrong = f"{(int(code) + 1) % 10**6:06d}"
        for _ in range(4):
            assert not self._check(db, wrong)
        assert self._check(db, code)

    def test_a_new_code_replaces_the_old_and_purposes_do_not_mix(self, db):
        old = self._issue(db)
        new = self._issue(db)
        if old != new:
            assert not self._check(db, old)
        assert not self._check(db, new, purpose=codes.CLAIM)
        assert not self._check(db, new, mobile="13911113333")
        assert self._check(db, new)


# --------------------------------------------------------------------------- registration


class TestRegistrationCode:
    def _form(self, client, world, **overrides):
        page = client.get("/auth/register")
        data = {
            "csrf_token": csrf_from(page.text),
            "name": "李老板",
            "mobile": "13912345678",
            "password": "good pass 8",
            "enterprise_name": "新开陶瓷有限公司",
            "kind": "sme",
            "credit_code": "91440300708461136T",
            "jurisdiction": str(world.county.id),
        }
        data.update(overrides)
        return data

    def test_sending_the_code_keeps_everything_typed(self, client, db, world, sms_inbox):
        data = self._form(client, world)
        response = client.post("/auth/register", data={**data, "send_code": "1"})
        page = BeautifulSoup(response.text, "html.parser")
        assert "139****5678" in page.select_one("#code-sent").text
        assert page.select_one("#enterprise_name")["value"] == "新开陶瓷有限公司"
        assert page.select_one("#password")["value"] == "good pass 8"
        assert "验证码" in sms_inbox.to("13912345678")[0]
        assert db.session.scalar(sa.select(User).where(User.mobile == "13912345678")) is None

    def test_without_the_right_code_no_account(self, client, db, world, sms_inbox):
        data = self._form(client, world)
        client.post("/auth/register", data={**data, "send_code": "1"})
        code = sms_inbox.code("13912345678")
        wrong = f"{(int(code) + 1) % 10**6:06d}"
        response = client.post("/auth/register", data={**data, "code": wrong})
        assert "验证码不正确" in _error(response, "code")
        assert db.session.scalar(sa.select(User).where(User.mobile == "13912345678")) is None
        right = client.post("/auth/register", data={**data, "code": code})
        assert right.status_code == 303
        user = db.session.scalar(sa.select(User).where(User.mobile == "13912345678"))
        assert user.mobile_verified_at is not None

    def test_a_registered_number_gets_the_same_answer_and_no_code(
        self, client, db, world, sms_inbox
    ):
        """No enumeration: the page is the same; the owner is told by SMS to sign in."""
        answers = []
        for mobile in ("13800000001", "13912345678"):
            data = self._form(client, world, mobile=mobile)
            response = client.post("/auth/register", data={**data, "send_code": "1"})
            text = BeautifulSoup(response.text, "html.parser").select_one("#code-sent").text
            answers.append(
                (response.status_code, text.replace(mobile[:3] + "****" + mobile[-4:], ""))
            )
        assert answers[0] == answers[1]
        (taken,) = sms_inbox.to("13800000001")
        assert "已有账户" in taken and not any(c.isdigit() for c in taken)

    def test_codes_are_limited_per_number_and_per_address(self, client, db, world, sms_inbox):
        data = self._form(client, world)
        client.post("/auth/register", data={**data, "send_code": "1"})
        again = client.post("/auth/register", data={**data, "send_code": "1"})
        assert "过于频繁" in _error(again, "mobile")
        assert len(sms_inbox.to("13912345678")) == 1
        for n in range(4):  # other numbers from the same address: 5 a minute
            client.post(
                "/auth/register", data={**data, "mobile": f"1370000000{n}", "send_code": "1"}
            )
        refused = client.post(
            "/auth/register", data={**data, "mobile": "13700000009", "send_code": "1"}
        )
        assert "过于频繁" in _error(refused, "mobile")
        assert sms_inbox.to("13700000009") == []

    def test_the_outbox_keeps_no_code_once_sent(self, client, db, world, sms_inbox):
        data = self._form(client, world)
        client.post("/auth/register", data={**data, "send_code": "1"})
        code = sms_inbox.code("13912345678")
        (message,) = db.session.scalars(
            sa.select(Notification).where(Notification.template == "verify_code")
        ).all()
        assert message.status == "sent" and code not in str(message.params)


# --------------------------------------------------------------------------- the claim


@pytest.fixture
def registry_entry(db, world):
    """An enterprise the liaison's ledger put in the registry, without an account."""
    entry = factories.enterprise(db.session, world.city, name="老街米粉店")
    entry.contact_phone = "139 1234 5678"
    db.session.add(
        LiaisonAssignment(
            enterprise=entry,
            unit=world.users["liaison"].unit,
            user=world.users["liaison"],
            assigned_at=factories.now(),
        )
    )
    db.session.commit()
    return entry


def _claim(client, sms_inbox, mobile="13912345678", **fields):
    """The claim form: send the SMS code, then post it with the rest."""
    token = csrf_from(client.get("/auth/claim").text)
    data = {"csrf_token": token, "name": "王店主", "mobile": mobile, "password": "rice noodle 8"}
    data.update(fields)
    client.post("/auth/claim", data={**data, "send_code": "1"})
    texts = sms_inbox.to(mobile)
    code = sms_inbox.code(mobile) if texts and "验证码" in texts[-1] else "000000"
    return client.post("/auth/claim", data={**data, "code": code})


def _claims(db) -> list[tuple[str, str]]:
    return [
        (row.result, row.detail)
        for row in db.session.scalars(
            sa.select(AuditLog).where(AuditLog.action == "claim").order_by(AuditLog.id)
        )
    ]


class TestClaim:
    def test_the_liaison_issues_a_card_code_shown_once_and_kept_hashed(
        self, client, db, world, login_as, registry_entry
    ):
        login_as("liaison")
        path = f"/contacts/enterprises/{registry_entry.id}/card-code"
        response = client.post(path, data={"csrf_token": csrf_from(client.get(path).text)})
        page = BeautifulSoup(response.text, "html.parser")
        code = page.select_one("#card-code").text.strip()
        assert len(codes.normalise(code)) == 12
        assert page.select_one("svg[role=img]") is not None  # the QR of the claim page
        row = db.session.scalar(sa.select(OneTimeCode).where(OneTimeCode.purpose == "card"))
        assert codes.normalise(code) not in row.code_hash
        assert row.enterprise_id == registry_entry.id
        assert codes.normalise(code) not in client.get(path).text  # shown only once
        audited = db.session.scalar(sa.select(AuditLog).where(AuditLog.action == "card_code"))
        assert audited.user_id == world.users["liaison"].id

    def test_the_card_pdf_carries_the_live_code_only(
        self, client, db, world, login_as, registry_entry
    ):
        """The service card printed with the code and the claim page's QR (Chaozhou 附件4,
        五(三) 发放服务卡); a code that is not the enterprise's live one prints nothing."""
        login_as("liaison")
        path = f"/contacts/enterprises/{registry_entry.id}/card-code"
        issued = client.post(path, data={"csrf_token": csrf_from(client.get(path).text)})
        code = BeautifulSoup(issued.text, "html.parser").select_one("#card-code").text.strip()
        token = csrf_from(issued.text)
        pdf = client.post(
            f"/contacts/enterprises/{registry_entry.id}/card.pdf",
            data={"csrf_token": token, "code": code},
        )
        assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
        forged = client.post(
            f"/contacts/enterprises/{registry_entry.id}/card.pdf",
            data={"csrf_token": token, "code": "AAAA-BBBB-CCCC"},
        )
        assert forged.status_code == 422 and not forged.data.startswith(b"%PDF")

    def test_another_liaisons_enterprise_is_not_found(self, client, db, world, login_as):
        login_as("liaison")
        path = f"/contacts/enterprises/{world.other_enterprise.id}/card-code"
        assert client.get(path).status_code == 404

    def _card(self, db, world, entry) -> str:
        code = codes.issue_card_code(
            db.session,
            entry,
            by=world.users["liaison"],
            at=factories.now(),
            secret="test-secret-key-not-for-production",
            days=90,
        )
        db.session.commit()
        return code

    def test_a_card_code_claims_the_account_once(
        self, client, app, db, world, registry_entry, sms_inbox
    ):
        card = self._card(db, world, registry_entry)
        response = _claim(client, sms_inbox, mobile="13711112222", card_code=card.lower())
        assert response.status_code == 303 and response.headers["Location"] == "/whistle"
        user = db.session.scalar(sa.select(User).where(User.mobile == "13711112222"))
        assert user.enterprise_id == registry_entry.id and user.mobile_verified_at
        assert _claims(db) == [("success", "service card")]
        # Used once: a second claimant with the same card gets nowhere.
        other = app.test_client()
        again = _claim(other, sms_inbox, mobile="13711113333", card_code=card)
        assert "认领码不正确、已使用或已过期" in _error(again, "card_code")
        assert db.session.scalar(sa.select(User).where(User.mobile == "13711113333")) is None
        assert _claims(db)[-1][0] == "refused"

    def test_a_card_code_expires(self, client, db, world, registry_entry, sms_inbox):
        card = self._card(db, world, registry_entry)
        with time_machine.travel(factories.now() + timedelta(days=91)):
            response = _claim(client, sms_inbox, mobile="13711112222", card_code=card)
        assert "已过期" in _error(response, "card_code")

    def test_a_reissued_card_ends_the_old_code(self, client, db, world, registry_entry, sms_inbox):
        old = self._card(db, world, registry_entry)
        self._card(db, world, registry_entry)
        response = _claim(client, sms_inbox, mobile="13711112222", card_code=old)
        assert "认领码不正确" in _error(response, "card_code")

    def test_the_registry_contact_mobile_claims_the_account(
        self, client, db, world, registry_entry, sms_inbox
    ):
        response = _claim(client, sms_inbox)  # 13912345678, as "139 1234 5678" in the registry
        assert response.status_code == 303
        user = db.session.scalar(sa.select(User).where(User.mobile == "13912345678"))
        assert user.enterprise_id == registry_entry.id
        assert _claims(db) == [("success", "registry mobile")]

    def test_a_mobile_the_registry_does_not_hold_claims_nothing(
        self, client, db, world, registry_entry, sms_inbox
    ):
        response = _claim(client, sms_inbox, mobile="13711112222")
        assert "服务卡认领码" in _error(response, "mobile")
        assert db.session.scalar(sa.select(User).where(User.mobile == "13711112222")) is None
        assert _claims(db)[-1][0] == "refused"

    def test_a_claimed_enterprise_is_never_taken_over(
        self, client, db, world, registry_entry, sms_inbox
    ):
        """The world's enterprise has an account; a card code issued before it was claimed
        (or a registry mobile) does not add a stranger to it."""
        card = self._card(db, world, registry_entry)
        first = _claim(client, sms_inbox, mobile="13711112222", card_code=card)
        assert first.status_code == 303
        client.post("/auth/logout", data={"csrf_token": csrf_from(client.get("/cases").text)})
        # Someone also holds the registry's mobile: the enterprise is claimed already.
        second = _claim(client, sms_inbox)
        assert "没有唯一一家" in _error(second, "mobile")
        users = db.session.scalars(
            sa.select(User.mobile).where(User.enterprise_id == registry_entry.id)
        ).all()
        assert users == ["13711112222"]
        # And a card issued to an enterprise with an account is refused.
        with pytest.raises(Exception, match="already has an account"):
            from portal.domain import claims

            claims.issue_card(
                db.session,
                registry_entry,
                by=world.users["liaison"],
                at=factories.now(),
                secret=SECRET,
                days=90,
            )

    def test_a_claimed_enterprise_refuses_a_leftover_card_code(self, client, db, world, sms_inbox):
        """A code issued by hand to an enterprise that has an account is refused at the
        claim, audited, and the account is untouched."""
        card = self._card(db, world, world.enterprise)
        response = _claim(client, sms_inbox, mobile="13711112222", card_code=card)
        assert "已有账户" in _error(response, "card_code")
        assert db.session.scalar(sa.select(User).where(User.mobile == "13711112222")) is None
        assert _claims(db)[-1] == ("refused", "already has an account (service card)")


# --------------------------------------------------------------------------- slow-down


def _login(client, login, password):
    token = csrf_from(client.get("/auth/login").text)
    return client.post(
        "/auth/login", data={"login": login, "password": password, "csrf_token": token}
    )


class TestGrowingDelays:
    """SECURITY.md checklist 1 (still locked after 5, the same answer for unknown logins)
    and issue 17 item 7 (growing delays, an SMS code to skip them)."""

    def test_the_delay_grows_with_each_further_failure(self, db, world):
        user = world.users["enterprise"]
        delays = [timedelta(minutes=m) for m in (1, 5, 15, 60)]
        at = factories.now()
        waited = []
        for _ in range(9):
            result = accounts.authenticate(
                db.session, user.mobile, "wrong", now=at, max_failures=5, delays=delays
            )
            assert not result.ok
            if user.locked_until:
                waited.append(user.locked_until - at)
                at = user.locked_until + timedelta(seconds=1)
        assert waited == [timedelta(minutes=m) for m in (1, 5, 15, 60, 60)]

    def test_while_waiting_the_right_password_is_refused(self, client, db, world):
        for _ in range(5):
            _login(client, "13800000001", "wrong")
        assert FAILURE in _login(client, "13800000001", factories.PASSWORD).text

    def _skip(self, client, login, code, password=factories.PASSWORD):
        token = csrf_from(client.get("/auth/sign-in-code").text)
        return client.post(
            "/auth/sign-in-code",
            data={"csrf_token": token, "login": login, "code": code, "password": password},
        )

    def _ask(self, client, login):
        token = csrf_from(client.get("/auth/sign-in-code").text)
        return client.post(
            "/auth/sign-in-code", data={"csrf_token": token, "login": login, "send_code": "1"}
        )

    def test_an_sms_code_skips_the_wait(self, client, db, world, sms_inbox):
        user = world.users["enterprise"]
        user.mobile_verified_at = factories.now()
        db.session.commit()
        for _ in range(5):
            _login(client, "13800000001", "wrong")
        self._ask(client, "13800000001")
        response = self._skip(client, "13800000001", sms_inbox.code("13800000001"))
        assert response.status_code == 303
        assert client.get("/cases").status_code == 200
        actions = db.session.scalars(sa.select(AuditLog.action).order_by(AuditLog.id)).all()
        assert "login_delay_skipped" in actions and actions[-1] == "login"

    def test_a_wrong_skip_code_counts_as_a_failure(self, client, db, world, sms_inbox):
        user = world.users["enterprise"]
        user.mobile_verified_at = factories.now()
        db.session.commit()
        self._ask(client, "13800000001")
        code = sms_inbox.code("13800000001")
        wrong = f"{(int(code) + 1) % 10**6:06d}"
        response = self._skip(client, "13800000001", wrong)
        assert "验证码、账户或密码不正确" in response.text
        db.session.refresh(user)
        assert user.failed_logins == 1

    def test_asking_for_a_skip_code_reveals_no_account(self, client, db, world, sms_inbox):
        """Unknown, unverified and verified logins: the same page; only a verified mobile
        receives a code."""
        user = world.users["enterprise"]
        user.mobile_verified_at = factories.now()
        db.session.commit()
        texts = []
        for login in ("13800000001", "nobody", "office"):
            page = BeautifulSoup(self._ask(client, login).text, "html.parser")
            texts.append(page.select_one("#code-sent").text)
        assert len(set(texts)) == 1
        assert len(sms_inbox.messages) == 1 and sms_inbox.messages[0][0] == "13800000001"
        assert "验证码、账户或密码不正确" in self._skip(client, "nobody", "123456").text
