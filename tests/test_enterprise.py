"""The enterprise portal: service card and its PDF, the whistle form, the case pages."""

from __future__ import annotations

import io
import subprocess

import pytest
import sqlalchemy as sa
from bs4 import BeautifulSoup
from PIL import Image

from portal.domain.models import Attachment, Case, CaseState, Channel
from portal.web.sessions import utcnow
from tests import factories
from tests.conftest import csrf_from


def _jpeg_with_exif() -> bytes:
    image = Image.new("RGB", (40, 30), "red")
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"  # Make
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


def _whistle_page(client):
    response = client.get("/whistle")
    assert response.status_code == 200
    page = BeautifulSoup(response.text, "html.parser")
    return page, csrf_from(response.text), page.select_one("#submission_key")["value"]


def _form(token, key, **overrides):
    data = {
        "csrf_token": token,
        "submission_key": key,
        "level": "local",
        "case_type": "business",
        "category": "4",
        "title": "春节后缺工30人",
        "content": "春节后一线工人缺口约30人，已在网上发布招聘，仍招不到人。",
        "contact_name": "王经理",
        "contact_phone": "13800000001",
    }
    data.update(overrides)
    return data


class TestServiceCard:
    def test_card_shows_the_ways_to_whistle_and_the_office(self, client, db, world):
        world.office.phone = "0768-2201234"
        world.office.address = "市府大院3号楼"
        db.session.commit()
        page = BeautifulSoup(client.get("/").text, "html.parser")
        assert page.select_one('a[href="tel:12345"]')
        assert page.select_one('a[href="tel:0768-2201234"]')
        assert "市府大院3号楼" in page.text
        assert page.select_one('a[href="/whistle"]')

    def test_an_enterprise_sees_its_own_liaison(self, client, db, world, login_as):
        world.users["liaison"].phone = "0768-5810001"
        db.session.commit()
        login_as("enterprise")
        page = BeautifulSoup(client.get("/").text, "html.parser")
        assert world.users["liaison"].name in page.text
        assert page.select_one('a[href="tel:0768-5810001"]')

    def test_card_pdf_embeds_the_cjk_font(self, client, world, tmp_path):
        response = client.get("/card.pdf")
        assert response.status_code == 200
        assert response.mimetype == "application/pdf"
        pdf = tmp_path / "card.pdf"
        pdf.write_bytes(response.data)
        fonts = subprocess.run(
            ["pdffonts", str(pdf)], capture_output=True, text=True, check=True
        ).stdout
        cjk = [line for line in fonts.splitlines() if "CJK" in line]
        assert cjk and all(" yes " in line for line in cjk)
        text = subprocess.run(
            ["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True
        ).stdout
        assert "服务卡" in text and "12345" in text and "/whistle" in text


class TestWhistle:
    def test_anonymous_users_are_asked_to_sign_in(self, client, world):
        assert client.get("/whistle").headers["Location"].startswith("/auth/login")

    def test_a_whistle_becomes_a_case_with_a_number_and_a_due_date(
        self, client, db, world, login_as
    ):
        login_as("enterprise")
        page, token, key = _whistle_page(client)
        assert page.select_one("#contact_phone")["value"] == "13800000001"
        response = client.post("/whistle", data=_form(token, key))
        assert response.status_code == 303
        case = db.session.scalar(sa.select(Case))
        assert response.headers["Location"] == f"/cases/{case.number}"
        assert (case.channel, case.state, case.enterprise_id) == (
            Channel.PORTAL,
            CaseState.SUBMITTED,
            world.enterprise.id,
        )
        assert case.receiving_unit_id == world.office.id
        assert case.category.number == 4
        receipt = BeautifulSoup(client.get(response.headers["Location"]).text, "html.parser")
        assert case.number in receipt.text
        assert "提交成功" in receipt.text
        assert receipt.select_one("#status")

    def test_a_resend_creates_no_second_case(self, client, db, world, login_as):
        login_as("enterprise")
        _page, token, key = _whistle_page(client)
        first = client.post("/whistle", data=_form(token, key))
        again = client.post("/whistle", data=_form(token, key))
        assert first.headers["Location"] == again.headers["Location"]
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Case)) == 1

    def test_errors_stand_beside_their_fields_and_keep_what_was_typed(
        self, client, db, world, login_as
    ):
        login_as("enterprise")
        _page, token, key = _whistle_page(client)
        response = client.post(
            "/whistle",
            data=_form(token, key, contact_phone="123", content="太短", title="保留的标题"),
        )
        assert response.status_code == 200
        page = BeautifulSoup(response.text, "html.parser")
        assert "11位手机号码" in page.select_one("#contact_phone-error").text
        assert page.select_one("#content-error")
        assert page.select_one("#title")["value"] == "保留的标题"
        assert page.select_one("#content").text.strip() == "太短"
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Case)) == 0

    def test_business_handling_goes_to_the_local_level_first(self, client, db, world, login_as):
        """Chaozhou 四(三)1: 属业务办理事项的……先向县（区）有关部门和开发区管委会吹哨."""
        world.enterprise.jurisdiction = world.county
        db.session.commit()
        login_as("enterprise")
        _page, token, key = _whistle_page(client)
        response = client.post("/whistle", data=_form(token, key, level="city"))
        page = BeautifulSoup(response.text, "html.parser")
        assert page.select_one("#level-error")
        consult = client.post(
            "/whistle", data=_form(token, key, level="city", case_type="consultation")
        )
        assert consult.status_code == 303
        assert db.session.scalar(sa.select(Case)).jurisdiction_id == world.city.id

    def test_attachments_are_checked_by_content_and_stripped(
        self, client, db, world, login_as, app
    ):
        login_as("enterprise")
        _page, token, key = _whistle_page(client)
        data = _form(token, key)
        data["attachments"] = [
            (io.BytesIO(_jpeg_with_exif()), "现场.jpg"),
            (io.BytesIO(b"%PDF-1.4\n%%EOF"), "证明.pdf"),
        ]
        response = client.post("/whistle", data=data, content_type="multipart/form-data")
        assert response.status_code == 303
        rows = db.session.scalars(sa.select(Attachment).order_by(Attachment.id)).all()
        assert [(a.filename, a.content_type) for a in rows] == [
            ("现场.jpg", "image/jpeg"),
            ("证明.pdf", "application/pdf"),
        ]
        stored = app.instance_path + "/uploads/" + rows[0].stored_name
        with open(stored, "rb") as fh:
            assert b"SecretCam" not in fh.read()

    @pytest.mark.parametrize(
        "payload,name",
        [
            (b"MZ\x90\x00 not a picture", "photo.jpg"),
            (b"<svg onload=alert(1)>", "x.png"),
            (b"\xff\xd8\xff broken jpeg", "broken.jpg"),
        ],
    )
    def test_files_that_are_not_what_they_claim_are_refused(
        self, client, db, world, login_as, payload, name
    ):
        login_as("enterprise")
        _page, token, key = _whistle_page(client)
        data = _form(token, key, title="保留")
        data["attachments"] = [(io.BytesIO(payload), name)]
        response = client.post("/whistle", data=data, content_type="multipart/form-data")
        assert response.status_code == 200
        page = BeautifulSoup(response.text, "html.parser")
        assert page.select_one("#attachments-error")
        assert page.select_one("#title")["value"] == "保留"
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Case)) == 0


class TestCasePages:
    def test_case_page_shows_only_what_the_enterprise_may_see(self, client, db, world, login_as):
        case = factories.case(db.session, world.city, enterprise=world.enterprise)
        from portal.domain.workflow import record_event

        record_event(
            db.session,
            case,
            action="note",
            by=world.users["office"],
            at=factories.now(),
            note="内部意见：先别回复",
            visible_to_enterprise=False,
        )
        db.session.commit()
        login_as("enterprise")
        response = client.get(f"/cases/{case.number}")
        assert response.status_code == 200
        assert "内部意见" not in response.text
        assert 'hx-history="false"' in response.text
        status = client.get(f"/cases/{case.number}/status", headers={"HX-Request": "true"})
        assert status.status_code == 200 and "<html" not in status.text
        assert "2026年11月26日" in status.text  # contact due: the next working day

    def test_another_enterprises_case_is_not_found(self, client, db, world, login_as):
        theirs = factories.case(db.session, world.county, enterprise=world.other_enterprise)
        db.session.commit()
        login_as("enterprise")
        for path in (
            f"/cases/{theirs.number}",
            f"/cases/{theirs.number}/status",
            "/cases/445100-2026-99999",
        ):
            response = client.get(path)
            assert response.status_code == 404
            assert theirs.title not in response.text

    def test_case_list_links_each_case(self, client, db, world, login_as):
        case = factories.case(db.session, world.city, enterprise=world.enterprise)
        db.session.commit()
        login_as("enterprise")
        page = BeautifulSoup(client.get("/cases").text, "html.parser")
        assert page.select_one(f'a[href="/cases/{case.number}"]')


def _replied_case(db, world, *, enterprise=None, policy=None):
    """A case dispatched to the world's department and replied to, through the domain."""
    case = factories.case(db.session, world.city, enterprise=enterprise or world.enterprise)
    factories.replied(db.session, world, case, text="已联系人社局对接招聘会。", at=utcnow())
    db.session.commit()
    return case


class TestRating:
    def _rate(self, client, case, base, **data):
        page = client.get(f"{base}/{case.number}")
        token = csrf_from(page.text)
        form = {
            "csrf_token": token,
            "rating-level": "unsatisfied",
            "rating-solved": "no",
            "rating-comment": "还没有解决",
        }
        form.update(data)
        return client.post(f"{base}/{case.number}/rating", data=form)

    def test_unsatisfied_reopens_the_case_under_supervision(self, client, db, world, login_as):
        case = _replied_case(db, world)
        login_as("enterprise")
        page = BeautifulSoup(client.get(f"/cases/{case.number}").text, "html.parser")
        assert "已联系人社局对接招聘会。" in page.text
        levels = [i["value"] for i in page.select('input[name="rating-level"]')]
        assert levels == ["satisfied", "unsatisfied"]  # Chaozhou: two levels
        response = self._rate(client, case, "/cases")
        assert response.status_code == 303
        db.session.refresh(case)
        assert case.state is CaseState.IN_HAND and case.under_supervision
        actions = [e.action for e in case.events]
        assert actions[-2:] == ["rate", "supervise"]
        assert (case.ratings[0].level.value, case.ratings[0].solved) == ("unsatisfied", False)

    def test_three_levels_where_the_policy_has_them(self, client, db, world, login_as):
        from portal.domain.models import PolicyProfile

        world.city.policy = db.session.scalar(
            sa.select(PolicyProfile).where(PolicyProfile.key == "chengkou")
        )
        db.session.commit()
        case = _replied_case(db, world)
        login_as("enterprise")
        page = BeautifulSoup(client.get(f"/cases/{case.number}").text, "html.parser")
        assert [i["value"] for i in page.select('input[name="rating-level"]')] == [
            "satisfied",
            "basically_satisfied",
            "unsatisfied",
        ]

    def test_a_missing_choice_is_named_and_the_comment_kept(self, client, db, world, login_as):
        case = _replied_case(db, world)
        login_as("enterprise")
        response = self._rate(client, case, "/cases", **{"rating-level": ""})
        page = BeautifulSoup(response.text, "html.parser")
        assert page.select_one("#rating-level-error")
        assert page.select_one("#rating-comment").text.strip() == "还没有解决"

    def test_another_enterprise_cannot_rate_or_add_to_it(self, client, db, world, login_as):
        case = _replied_case(db, world, enterprise=world.other_enterprise)
        login_as("enterprise")
        token = csrf_from(client.get("/cases").text)
        for path in (f"/cases/{case.number}/rating", f"/cases/{case.number}/information"):
            assert client.post(path, data={"csrf_token": token}).status_code == 404
        db.session.refresh(case)
        assert case.ratings == [] and case.state is CaseState.AWAITING_RATING


class TestSupplement:
    def test_adding_information_is_an_event(self, client, db, world, login_as):
        case = factories.case(db.session, world.city, enterprise=world.enterprise)
        db.session.commit()
        login_as("enterprise")
        token = csrf_from(client.get(f"/cases/{case.number}").text)
        response = client.post(
            f"/cases/{case.number}/information",
            data={
                "csrf_token": token,
                "more-text": "补充：已联系过劳务公司。",
                "more-attachments": [(io.BytesIO(b"%PDF-1.4 x"), "合同.pdf")],
            },
            content_type="multipart/form-data",
        )
        assert response.status_code == 303
        db.session.refresh(case)
        assert case.events[-1].action == "supplement"
        assert case.events[-1].note == "补充：已联系过劳务公司。"
        [file] = case.attachments
        download = client.get(f"/cases/{case.number}/files/{file.id}")
        assert download.status_code == 200
        assert download.headers["Content-Disposition"].startswith("attachment")
        assert download.mimetype == "application/pdf"
        assert download.data == b"%PDF-1.4 x"

    def test_an_empty_supplement_is_refused_beside_the_field(self, client, db, world, login_as):
        case = factories.case(db.session, world.city, enterprise=world.enterprise)
        db.session.commit()
        login_as("enterprise")
        token = csrf_from(client.get(f"/cases/{case.number}").text)
        response = client.post(
            f"/cases/{case.number}/information", data={"csrf_token": token, "more-text": ""}
        )
        assert BeautifulSoup(response.text, "html.parser").select_one("#more-text-error")

    def test_another_enterprises_file_is_not_found(self, client, db, world, login_as, app):
        from portal.domain import uploads, workflow

        theirs = factories.case(db.session, world.county, enterprise=world.other_enterprise)
        attachment = workflow.attach(
            db.session,
            theirs,
            uploads.check_file("x.pdf", b"%PDF-1.4 secret"),
            by=None,
            at=factories.now(),
            upload_root=__import__("pathlib").Path(app.instance_path) / "uploads",
        )
        mine = factories.case(db.session, world.city, enterprise=world.enterprise)
        db.session.commit()
        login_as("enterprise")
        for path in (
            f"/cases/{theirs.number}/files/{attachment.id}",
            f"/cases/{mine.number}/files/{attachment.id}",
        ):
            response = client.get(path)
            assert response.status_code == 404 and b"secret" not in response.data


class TestTrack:
    def _staff_case(self, db, world):
        case = factories.case(
            db.session, world.city, by=world.users["office"], channel=Channel.HOTLINE_12345
        )
        db.session.commit()
        return case

    def _track(self, client, number, mobile):
        token = csrf_from(client.get("/track").text)
        return client.post("/track", data={"csrf_token": token, "number": number, "mobile": mobile})

    def test_number_and_mobile_open_the_case(self, client, db, world):
        case = self._staff_case(db, world)
        response = self._track(client, case.number, "13900000000")
        assert response.status_code == 303
        page = client.get(response.headers["Location"])
        assert page.status_code == 200 and case.number in page.text

    def test_a_wrong_mobile_says_nothing_about_the_case(self, client, db, world):
        case = self._staff_case(db, world)
        response = self._track(client, case.number, "13900000001")
        assert response.status_code == 200
        assert case.title not in response.text
        assert "没有与该事项编号和手机号码相符的诉求" in response.text
        assert client.get(f"/track/{case.number}").status_code == 404

    def test_rating_from_the_track_page(self, client, db, world):
        case = self._staff_case(db, world)
        factories.replied(db.session, world, case, text="已办结", at=utcnow())
        db.session.commit()
        self._track(client, case.number, "13900000000")
        token = csrf_from(client.get(f"/track/{case.number}").text)
        response = client.post(
            f"/track/{case.number}/rating",
            data={"csrf_token": token, "rating-level": "unsatisfied", "rating-solved": "no"},
        )
        assert response.status_code == 303
        db.session.refresh(case)
        assert case.state is CaseState.IN_HAND and case.under_supervision
        assert case.ratings[0].rated_by_id is None

    def test_the_sms_short_link_opens_the_case(self, client, db, world):
        from portal.domain import workflow

        case = self._staff_case(db, world)
        code = workflow.issue_tracking_code(case)
        db.session.commit()
        assert code not in (case.tracking_hash or "")
        response = client.get(f"/t/{code}")
        assert response.headers["Location"] == f"/track/{case.number}"
        assert client.get(f"/track/{case.number}").status_code == 200
        stale = client.get("/t/not-a-real-code-123")
        assert stale.headers["Location"] == "/track"

    @pytest.mark.parametrize(
        ("shape", "mobile"),
        [
            ("{code}{year}{seq}", "+86 139 0000 0000"),
            ("{code} {year} {seq}", "139-0000-0000"),
            ("{lower}", "0086 13900000000"),
            ("{code} - {year} - {seq}", "139 0000 0000"),
            ("\uff14{tail}", "+86-139-0000-0000"),  # a full-width first digit
        ],
    )
    def test_the_number_and_mobile_as_people_type_them(self, client, db, world, shape, mobile):
        """Issue 17 item 2: with or without hyphens and spaces; spaces, dashes or +86."""
        case = self._staff_case(db, world)
        code, year, seq = case.number.split("-")
        assert code.startswith("4")
        typed = shape.format(
            code=code, year=year, seq=seq, lower=case.number.lower(), tail=case.number[1:]
        )
        response = self._track(client, typed, mobile)
        assert response.status_code == 303, typed
        assert response.headers["Location"] == f"/track/{case.number}"

    def test_a_close_but_wrong_number_or_mobile_matches_nothing(self, client, db, world):
        case = self._staff_case(db, world)
        code, year, seq = case.number.split("-")
        for number, mobile in (
            (f"{code}{year}{int(seq) + 1:05d}", "13900000000"),
            (case.number, "+86 139 0000 0001"),
            (case.number, "86"),
        ):
            assert self._track(client, number, mobile).status_code == 200

    def test_every_way_in_leads_to_tracking(self, client, db, world):
        """Issue 17 item 2: linked from the home page and the signed-out header, and the
        page says that every case, however it came in, can be tracked."""
        page = BeautifulSoup(client.get("/").text, "html.parser")
        assert page.select_one('header a[href="/track"]').get_text(strip=True) == "查询办理进度"
        assert page.select_one('main a[href="/track"]').get_text(strip=True) == "查询办理进度"
        track = BeautifulSoup(client.get("/track").text, "html.parser")
        assert "每件诉求都可在此查询" in track.select_one("main").get_text()

    def test_the_receipt_links_to_tracking(self, client, db, world, login_as):
        case = factories.case(db.session, world.city, enterprise=world.enterprise)
        db.session.commit()
        login_as("enterprise")
        page = BeautifulSoup(client.get(f"/cases/{case.number}").text, "html.parser")
        assert page.select_one('main a[href="/track"]').get_text(strip=True) == "查询办理进度"

    def test_guessing_is_rate_limited(self, client, db, world, app):
        for _ in range(10):
            self._track(client, "445100-2026-00001", "13900000009")
        assert self._track(client, "445100-2026-00001", "13900000009").status_code == 429


class TestDuplicates:
    """Shantou 二: the same problem again is a duplicate, added to the open case."""

    def _open_case(self, db, world):
        case = factories.case(
            db.session, world.city, enterprise=world.enterprise, title="春节后一线工人缺口约30人"
        )
        case.content = "春节后一线工人缺口约30人，已在网上发布招聘，仍招不到人。"
        db.session.commit()
        return case

    def test_the_live_hint_lists_a_similar_open_case(self, client, db, world, login_as):
        case = self._open_case(db, world)
        login_as("enterprise")
        _page, token, _key = _whistle_page(client)
        response = client.post(
            "/whistle/similar",
            headers={"HX-Request": "true", "X-CSRFToken": token},
            data={"title": "缺工", "content": "春节后一线工人缺口30人，招不到人"},
        )
        assert response.status_code == 200 and "<html" not in response.text
        page = BeautifulSoup(response.text, "html.parser")
        assert page.select_one(f'button[name="add_to"][value="{case.number}"]')
        unrelated = client.post(
            "/whistle/similar",
            headers={"HX-Request": "true", "X-CSRFToken": token},
            data={"title": "用地", "content": "厂区扩建用地指标迟迟未落实"},
        )
        assert "add_to" not in unrelated.text

    def test_without_javascript_the_server_asks_before_a_second_case(
        self, client, db, world, login_as
    ):
        self._open_case(db, world)
        login_as("enterprise")
        _page, token, key = _whistle_page(client)
        asked = client.post("/whistle", data=_form(token, key))
        assert asked.status_code == 200
        page = BeautifulSoup(asked.text, "html.parser")
        assert page.select_one('button[name="confirm_new"]')
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Case)) == 1
        confirmed = client.post("/whistle", data={**_form(token, key), "confirm_new": "1"})
        assert confirmed.status_code == 303
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Case)) == 2

    def test_adding_to_the_open_case_instead(self, client, db, world, login_as):
        case = self._open_case(db, world)
        login_as("enterprise")
        _page, token, key = _whistle_page(client)
        response = client.post("/whistle", data={**_form(token, key), "add_to": case.number})
        assert response.headers["Location"] == f"/cases/{case.number}"
        db.session.refresh(case)
        assert case.events[-1].action == "supplement"
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Case)) == 1

    def test_adding_to_another_enterprises_case_is_not_found(self, client, db, world, login_as):
        theirs = factories.case(db.session, world.county, enterprise=world.other_enterprise)
        db.session.commit()
        login_as("enterprise")
        _page, token, key = _whistle_page(client)
        response = client.post("/whistle", data={**_form(token, key), "add_to": theirs.number})
        assert response.status_code == 404
        db.session.refresh(theirs)
        assert [e.action for e in theirs.events] == ["register"]


class TestReviewFindings:
    """Hardening found in review: each test names what it guards."""

    def test_a_phone_whistle_has_no_contact_deadline(self, db, world):
        """Chaozhou 四(四)1: only whistles received neither on site nor by phone must be
        followed by a contact within 1 working day."""
        by_phone = factories.case(
            db.session, world.city, channel=Channel.PHONE, by=world.users["office"]
        )
        online = factories.case(db.session, world.city)
        assert by_phone.contact_due is None
        assert online.contact_due is not None

    def test_an_unsatisfied_rating_starts_a_new_handling_round(self, db, world):
        from portal.domain import workflow
        from portal.domain.calendar import WorkCalendar
        from portal.domain.models import RatingLevel

        case = _replied_case(db, world)
        later = factories.now().replace(day=30)  # Monday 2026-11-30
        workflow.rate(
            db.session,
            WorkCalendar(),
            case,
            by=None,
            level=RatingLevel.UNSATISFIED,
            solved=False,
            comment="",
            at=later,
        )
        assert str(case.finish_due) == "2026-12-07"  # Chaozhou: 5 working days again

    def test_a_huge_picture_is_refused_before_decoding(self):
        from portal.domain import uploads
        from portal.domain.errors import RuleViolation

        out = io.BytesIO()
        Image.new("1", (8500, 8500)).save(out, "PNG")
        with pytest.raises(RuleViolation):
            uploads.check_file("bomb.png", out.getvalue())

    def test_too_many_files_are_refused_before_any_is_read(self):
        from portal.domain import uploads
        from portal.domain.errors import RuleViolation

        class Exploding:
            filename = "x.png"

            def read(self):
                raise AssertionError("read before the count was checked")

        with pytest.raises(RuleViolation):
            uploads.check_files([Exploding() for _ in range(6)])

    def test_a_page_number_out_of_range_is_not_found(self, client, world, login_as):
        login_as("enterprise")
        assert client.get("/cases?page=9223372036854775807").status_code == 404
        assert client.get("/cases?page=0").status_code == 404

    def test_the_similar_hint_without_htmx_goes_back_to_the_form(self, client, world, login_as):
        login_as("enterprise")
        _page, token, _key = _whistle_page(client)
        response = client.post("/whistle/similar", data={"csrf_token": token, "content": "x"})
        assert response.status_code == 303 and response.headers["Location"] == "/whistle"

    def test_a_forged_submission_key_is_refused_beside_the_form(self, client, db, world, login_as):
        login_as("enterprise")
        _page, token, _key = _whistle_page(client)
        response = client.post("/whistle", data=_form(token, "x" * 500))
        assert response.status_code == 200
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Case)) == 0

    def test_case_views_and_refusals_are_audited(self, client, db, world, login_as):
        from portal.domain.models import AuditLog

        mine = factories.case(db.session, world.city, enterprise=world.enterprise)
        theirs = factories.case(db.session, world.county, enterprise=world.other_enterprise)
        db.session.commit()
        login_as("enterprise")
        client.get(f"/cases/{mine.number}")
        client.get(f"/cases/{theirs.number}")
        rows = db.session.execute(
            sa.select(AuditLog.object_id, AuditLog.result).where(AuditLog.action == "view")
        ).all()
        assert rows == [(mine.number, "ok"), (theirs.number, "denied")]

    def test_a_category_missing_at_the_chosen_level_is_refused(self, db, world):
        from portal.domain import workflow
        from portal.domain.calendar import WorkCalendar
        from portal.domain.errors import RuleViolation
        from portal.domain.models import CaseType

        with pytest.raises(RuleViolation) as refused:
            workflow.whistle(
                db.session,
                WorkCalendar(),
                by=world.users["enterprise"],
                level="local",
                case_type=CaseType.CONSULTATION,
                category_number=99,
                title="t",
                content="咨询政策问题的具体内容",
                contact_name="a",
                contact_phone="13800000001",
                at=factories.now(),
                submission_key="k-99",
                upload_root=None,
            )
        assert refused.value.field == "category"

    def test_attachments_are_served_under_a_sandbox_policy(self, client, db, world, login_as, app):
        from pathlib import Path

        from portal.domain import uploads, workflow

        case = factories.case(db.session, world.city, enterprise=world.enterprise)
        a = workflow.attach(
            db.session,
            case,
            uploads.check_file("a.pdf", b"%PDF-1.4 a"),
            by=None,
            at=factories.now(),
            upload_root=Path(app.instance_path) / "uploads",
        )
        db.session.commit()
        login_as("enterprise")
        response = client.get(f"/cases/{case.number}/files/{a.id}")
        assert "sandbox" in response.headers["Content-Security-Policy"]
        assert "default-src 'none'" in response.headers["Content-Security-Policy"]
