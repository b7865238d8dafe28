"""The office and the department workbench through their pages: queues with filters, the
staff case page offering only the steps allowed, one POST per step, errors beside the
field with what was typed kept, stale forms refused, another unit's case out of reach."""

from __future__ import annotations

import io
from contextlib import contextmanager
from datetime import UTC, timedelta

import pytest
import sqlalchemy as sa
import time_machine
from bs4 import BeautifulSoup
from sqlalchemy import event
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from portal.domain import workflow
from portal.domain.calendar import WorkCalendar
from portal.domain.errors import RuleViolation
from portal.domain.models import Case, CaseState, Category, Channel, Role
from portal.extensions import db as _db
from tests import factories
from tests.conftest import csrf_from

CAL = WorkCalendar()


def _heads_the_desk_overdue(client, login_as, *, late, fresh) -> None:
    """`late` heads the office's desk, said overdue in words, and the overdue filter finds it
    but not `fresh` — read on the day `fresh` arrived, whatever today's date is."""
    with time_machine.travel(factories.now(), tick=True):
        login_as("office")
        rows = page(client.get("/office/")).select("table.queue tbody tr")
        assert late.number in rows[0].text and "已逾期" in rows[0].text
        overdue = client.get("/office/?overdue=y").text
        assert late.number in overdue and fresh.number not in overdue


def page(response) -> BeautifulSoup:
    return BeautifulSoup(response.text, "html.parser")


def steps_offered(response) -> set[str]:
    return {d["id"].removeprefix("step-") for d in page(response).select("details.step")}


def post_step(client, url_prefix: str, case: Case, step: str, **fields):
    """POST a step as its form on the case page would (prefix, version, CSRF)."""
    shown = client.get(f"{url_prefix}/cases/{case.number}")
    assert shown.status_code == 200, shown.status_code
    soup = page(shown)
    version = soup.select_one(f'input[name="{step}-version"]')
    data = {
        "csrf_token": csrf_from(shown.text),
        f"{step}-version": version["value"] if version else "0",
    }
    files = {}
    for name, value in fields.items():
        if isinstance(value, tuple):
            files[f"{step}-{name}"] = value
        else:
            data[f"{step}-{name}"] = value
    data.update(files)
    kebab = step.replace("_", "-")
    return client.post(
        f"{url_prefix}/cases/{case.number}/{kebab}",
        data=data,
        content_type="multipart/form-data" if files else None,
    )


def login_user(client, user):
    token = csrf_from(client.get("/auth/login").text)
    response = client.post(
        "/auth/login",
        data={
            "login": user.username or user.mobile,
            "password": factories.PASSWORD,
            "csrf_token": token,
        },
    )
    assert response.status_code == 303


class TestOfficeQueue:
    def test_new_whistles_wait_on_the_office_desk(self, client, db, world, login_as):
        fresh = factories.case(
            db.session, world.city, enterprise=world.enterprise, title="新来的诉求"
        )
        done = factories.case(
            db.session, world.city, enterprise=world.enterprise, title="已经交办的"
        )
        workflow.accept(db.session, CAL, done, by=world.users["office"], at=factories.now())
        workflow.dispatch(
            db.session,
            CAL,
            done,
            by=world.users["office"],
            at=factories.now(),
            lead=world.department,
        )
        db.session.commit()
        login_as("office")
        desk = client.get("/office/").text
        assert fresh.number in desk and done.number not in desk
        everything = client.get("/office/?view=all").text
        assert fresh.number in everything and done.number in everything

    def test_filters_search_and_paging(self, client, db, world, login_as):
        cases = [
            factories.case(db.session, world.city, enterprise=world.enterprise, title=f"诉求{n}")
            for n in range(23)
        ]
        other = factories.case(db.session, world.city, enterprise=world.other_enterprise)
        db.session.commit()
        login_as("office")
        first = page(client.get("/office/?view=all"))
        assert len(first.select("table.queue tbody tr")) == 20
        second = page(client.get("/office/?view=all&page=2"))
        assert len(second.select("table.queue tbody tr")) == 4
        by_number = client.get(f"/office/?view=all&q={cases[5].number}").text
        assert cases[5].number in by_number and cases[6].number not in by_number
        by_name = client.get("/office/?view=all&q=别家五金").text
        assert other.number in by_name and cases[0].number not in by_name
        accepted = client.get("/office/?view=all&state=accepted").text
        assert "没有符合条件的诉求" in accepted

    def test_category_department_and_date_filters(self, client, db, world, login_as):
        office = world.users["office"]
        labour = db.session.scalar(
            sa.select(Category).where(
                Category.jurisdiction_id == world.city.id, Category.number == 4
            )
        )
        early = factories.case(
            db.session,
            world.city,
            enterprise=world.enterprise,
            at=factories.now() - timedelta(days=20),
            title="上月的",
        )
        hired = factories.case(db.session, world.city, enterprise=world.enterprise, title="招工难")
        hired.category = labour
        land = factories.case(db.session, world.city, enterprise=world.enterprise, title="用地难")
        for case, lead in ((hired, world.department), (land, world.other_department)):
            workflow.accept(db.session, CAL, case, by=office, at=factories.now())
            workflow.dispatch(db.session, CAL, case, by=office, at=factories.now(), lead=lead)
        db.session.commit()
        login_as("office")

        def shown(query):
            text = client.get(f"/office/?view=all&{query}").text
            return {c.number for c in (early, hired, land) if c.number in text}

        assert shown(f"category={labour.id}") == {hired.number}
        assert shown(f"unit={world.other_department.id}") == {land.number}
        assert shown("received_from=2026-11-20") == {hired.number, land.number}
        assert shown("received_to=2026-11-10") == {early.number}
        assert shown("received_from=2026-11-01&received_to=2026-11-30") == {
            early.number,
            hired.number,
            land.number,
        }

    def test_returns_are_counted_per_unit(self, client, db, world, login_as):
        """退单拉锯: how often each unit sent the office's cases back, most first."""
        office, handler = world.users["office"], world.users["handler"]
        for n in range(2):
            case = factories.case(
                db.session, world.city, enterprise=world.enterprise, title=f"退回{n}"
            )
            workflow.accept(db.session, CAL, case, by=office, at=factories.now())
            workflow.dispatch(
                db.session, CAL, case, by=office, at=factories.now(), lead=world.department
            )
            workflow.return_case(
                db.session,
                CAL,
                case,
                by=handler,
                at=factories.now(),
                reason="not_our_duty",
                note="不属我局职能",
            )
        db.session.commit()
        login_as("office")
        rows = [
            [td.get_text(strip=True) for td in tr.select("td")]
            for tr in page(client.get("/office/")).select("table.returns tbody tr")
        ]
        assert rows == [[world.department.name, "2"]]

    def test_overdue_filter_and_urgency_order(self, client, db, world, login_as):
        old = factories.case(
            db.session,
            world.city,
            enterprise=world.enterprise,
            at=factories.now() - timedelta(days=10),
            title="早就该联系了",
        )
        new = factories.case(db.session, world.city, enterprise=world.enterprise, title="刚刚收到")
        db.session.commit()
        _heads_the_desk_overdue(client, login_as, late=old, fresh=new)

    def test_a_reply_waiting_too_long_for_review_is_overdue_on_the_desk(
        self, client, db, world, login_as
    ):
        """DOMAIN.md 8: the office reviews a reply within 1 working day; past it the reply
        heads the desk, said overdue in words."""
        t = factories.now() - timedelta(days=7)
        waiting = factories.case(
            db.session, world.city, enterprise=world.enterprise, at=t, title="答复待审核"
        )
        office, handler = world.users["office"], world.users["handler"]
        workflow.accept(db.session, CAL, waiting, by=office, at=t)
        workflow.dispatch(db.session, CAL, waiting, by=office, at=t, lead=world.department)
        workflow.sign(db.session, waiting, by=handler, at=t)
        workflow.contact(db.session, waiting, by=handler, at=t, method="phone", when=t, note="")
        workflow.reply(db.session, CAL, waiting, by=handler, text="已办结", at=t)
        fresh = factories.case(db.session, world.city, enterprise=world.enterprise)
        db.session.commit()
        _heads_the_desk_overdue(client, login_as, late=waiting, fresh=fresh)

    def test_bad_filter_input_is_explained_not_a_500(self, client, db, world, login_as):
        login_as("office")
        response = client.get("/office/?received_from=2026-13-45&page=abc&state=bogus")
        assert response.status_code == 200
        soup = page(response)
        assert soup.select_one("#received_from-error") is not None
        assert soup.select_one('input[name="received_from"]')["value"] == "2026-13-45"

    def test_htmx_filter_gets_only_the_list(self, client, db, world, login_as):
        factories.case(db.session, world.city, enterprise=world.enterprise)
        db.session.commit()
        login_as("office")
        response = client.get(
            "/office/?view=all", headers={"HX-Request": "true", "HX-Target": "queue"}
        )
        assert response.status_code == 200
        assert b"<html" not in response.data and b"<table" in response.data
        assert "HX-Request" in response.headers["Vary"]

    def test_the_queue_sends_the_same_statements_whatever_the_page_holds(
        self, client, app, db, world, login_as
    ):
        login_as("office")

        def statements(path):
            seen = []

            def count(*_args):
                seen.append(1)

            event.listen(_db.engine, "before_cursor_execute", count)
            try:
                assert client.get(path).status_code == 200
            finally:
                event.remove(_db.engine, "before_cursor_execute", count)
            return len(seen)

        factories.case(db.session, world.city, enterprise=world.enterprise)
        db.session.commit()
        one = statements("/office/?view=all")
        for n in range(25):
            c = factories.case(
                db.session, world.city if n % 2 else world.county, enterprise=world.enterprise
            )
            if n % 3 == 0:
                workflow.accept(
                    db.session,
                    CAL,
                    c,
                    by=world.users["office"]
                    if c.office is world.office
                    else world.county_office_user,
                    at=factories.now(),
                )
        db.session.commit()
        many = statements("/office/?view=all")
        assert many == one


class TestScope:
    def test_another_units_case_is_404(self, client, db, world, login_as):
        case = factories.dispatched(db.session, world, world.other_department)
        db.session.commit()
        login_as("handler")  # of world.department, not the lead
        assert client.get(f"/workbench/cases/{case.number}").status_code == 404
        token = csrf_from(client.get("/workbench/").text)
        response = client.post(
            f"/workbench/cases/{case.number}/sign", data={"csrf_token": token, "sign-version": "3"}
        )
        assert response.status_code == 404
        assert workflow.is_allowed(case, world.users["handler"], "sign") is False

    def test_a_county_office_cannot_reach_a_city_case(self, client, db, world):
        case = factories.case(db.session, world.city, enterprise=world.enterprise)
        db.session.commit()
        login_user(client, world.county_office_user)
        assert client.get(f"/office/cases/{case.number}").status_code == 404
        assert case.number not in client.get("/office/?view=all").text

    def test_a_co_handler_sees_the_case_and_adds_its_part(self, client, db, world):
        case = factories.case(db.session, world.city, enterprise=world.enterprise)
        office = world.users["office"]
        workflow.accept(db.session, CAL, case, by=office, at=factories.now())
        workflow.dispatch(
            db.session,
            CAL,
            case,
            by=office,
            at=factories.now(),
            lead=world.department,
            co=[world.other_department],
        )
        workflow.sign(db.session, case, by=world.users["handler"], at=factories.now())
        co_handler = factories.user(db.session, Role.HANDLER, unit=world.other_department)
        db.session.commit()
        login_user(client, co_handler)
        shown = client.get(f"/workbench/cases/{case.number}")
        assert steps_offered(shown) == {"progress", "contribute"}
        response = post_step(
            client, "/workbench", case, "contribute", text="自然资源局意见：可调整"
        )
        assert response.status_code == 303
        db.session.expire_all()
        assert case.events[-1].action == "contribute"

    def test_the_leader_sees_only_what_was_put_before_it(self, client, db, world, login_as):
        plain = factories.case(db.session, world.city, enterprise=world.enterprise)
        db.session.commit()
        login_as("leader")
        assert client.get(f"/office/cases/{plain.number}").status_code == 404


class TestSteps:
    def test_office_steps_on_a_new_whistle(self, client, db, world, login_as):
        case = factories.case(db.session, world.city, enterprise=world.enterprise)
        case.category = db.session.scalar(
            sa.select(Category).where(  # 4 引才用工 → 人社局
                Category.jurisdiction_id == world.city.id, Category.number == 4
            )
        )
        db.session.commit()
        login_as("office")
        offered = steps_offered(client.get(f"/office/cases/{case.number}"))
        assert offered == {"accept", "refuse", "merge", "answer", "office_contact"}
        assert post_step(client, "/office", case, "accept").status_code == 303
        db.session.expire_all()
        assert case.state is CaseState.ACCEPTED
        shown = client.get(f"/office/cases/{case.number}")
        assert "dispatch" in steps_offered(shown)
        # The category's default lead department is suggested.
        lead = page(shown).select_one('select[name="dispatch-lead"] option[selected]')
        assert lead is not None and lead["value"] == str(world.department.id)

    def test_a_refusal_without_a_message_is_explained_and_keeps_the_reason(
        self, client, db, world, login_as
    ):
        case = factories.case(db.session, world.city, enterprise=world.enterprise)
        db.session.commit()
        login_as("office")
        response = post_step(client, "/office", case, "refuse", reason="4", message="  ")
        assert response.status_code == 409  # a rule of the domain, said beside the field
        soup = page(response)
        assert soup.select_one("details#step-refuse[open]") is not None
        assert "请用通俗的话告诉企业不予受理的原因" in soup.select_one("#refuse-message-error").text
        assert soup.select_one('select[name="refuse-reason"] option[selected]')["value"] == "4"
        assert soup.select_one(".error-summary a")["href"] == "#refuse-message"
        db.session.expire_all()
        assert case.state is CaseState.SUBMITTED and len(case.events) == 1

    def test_a_stale_form_is_refused_with_the_case_as_it_is_now(self, client, db, world, login_as):
        case = factories.case(db.session, world.city, enterprise=world.enterprise)
        db.session.commit()
        login_as("office")
        shown = client.get(f"/office/cases/{case.number}")
        token = csrf_from(shown.text)
        # A colleague accepts it first.
        workflow.accept(db.session, CAL, case, by=world.users["office"], at=factories.now())
        db.session.commit()
        response = client.post(
            f"/office/cases/{case.number}/refuse",
            data={
                "csrf_token": token,
                "refuse-version": "1",
                "refuse-reason": "7",
                "refuse-message": "联系不上，请重新提交联系方式。",
            },
        )
        assert response.status_code == 409
        soup = page(response)
        assert "有人修改了该诉求" in soup.text
        assert "联系不上，请重新提交联系方式。" in soup.select_one("#refuse-message").text
        assert "已受理" in soup.select_one("#status-title").text
        db.session.expire_all()
        assert case.state is CaseState.ACCEPTED

    def test_a_step_that_no_longer_applies_answers_409(self, client, db, world, login_as):
        case = factories.case(db.session, world.city, enterprise=world.enterprise)
        workflow.accept(db.session, CAL, case, by=world.users["office"], at=factories.now())
        db.session.commit()
        login_as("office")
        token = csrf_from(client.get(f"/office/cases/{case.number}").text)
        response = client.post(
            f"/office/cases/{case.number}/accept",
            data={"csrf_token": token, "accept-version": str(case.version_id)},
        )
        assert response.status_code == 409
        assert (
            client.post(
                f"/office/cases/{case.number}/no-such-step", data={"csrf_token": token}
            ).status_code
            == 404
        )

    def test_a_post_without_csrf_is_refused(self, client, db, world, login_as):
        case = factories.case(db.session, world.city, enterprise=world.enterprise)
        db.session.commit()
        login_as("office")
        response = client.post(f"/office/cases/{case.number}/accept", data={"accept-version": "1"})
        assert response.status_code == 400
        db.session.expire_all()
        assert case.state is CaseState.SUBMITTED

    def test_dispatch_sign_extension_reply_review(self, client, db, world, login_as):
        """The workbench part of the loop through the pages, as three people."""
        case = factories.case(db.session, world.city, enterprise=world.enterprise)
        workflow.accept(db.session, CAL, case, by=world.users["office"], at=factories.now())
        db.session.commit()
        login_as("office")
        assert (
            post_step(
                client,
                "/office",
                case,
                "dispatch",
                lead=str(world.department.id),
                co=str(world.other_department.id),
                note="请尽快联系企业",
            ).status_code
            == 303
        )
        client.post("/auth/logout", data={"csrf_token": csrf_from(client.get("/office/").text)})

        login_as("handler")
        assert case.number in client.get("/workbench/").text
        assert steps_offered(client.get(f"/workbench/cases/{case.number}")) == {
            "sign",
            "return",
            "contact",
            "escalate",
        }
        assert post_step(client, "/workbench", case, "sign").status_code == 303
        assert (
            post_step(
                client,
                "/workbench",
                case,
                "contact",
                method="visit",
                when="2026-11-25T09:30",
                note="上门了解",
            ).status_code
            == 303
        )
        too_many = post_step(
            client, "/workbench", case, "request_extension", days="12", reason="需协调用地"
        )
        assert too_many.status_code == 409
        assert (
            "可申请延期1至10个工作日"
            in page(too_many).select_one("#request_extension-days-error").text
        )
        assert (
            post_step(
                client, "/workbench", case, "request_extension", days="5", reason="需协调用地"
            ).status_code
            == 303
        )
        client.post("/auth/logout", data={"csrf_token": csrf_from(client.get("/workbench/").text)})

        login_as("head")
        queue = client.get("/workbench/").text
        assert "1 项延期申请待您审批" in queue
        assert (
            post_step(
                client, "/workbench", case, "decide_extension", decision="approve"
            ).status_code
            == 303
        )
        pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
        assert (
            post_step(
                client,
                "/workbench",
                case,
                "reply",
                text="已协调解决用地指标",
                attachments=(io.BytesIO(pdf), "批复.pdf"),
            ).status_code
            == 303
        )
        client.post("/auth/logout", data={"csrf_token": csrf_from(client.get("/workbench/").text)})

        db.session.expire_all()
        assert case.state is CaseState.REPLIED
        assert [a.visible_to_enterprise for a in case.attachments] == [False]
        file_id = case.attachments[0].id
        login_as("enterprise")  # not yet reviewed: the enterprise cannot fetch it
        assert client.get(f"/cases/{case.number}/files/{file_id}").status_code == 404
        client.post("/auth/logout", data={"csrf_token": csrf_from(client.get("/cases").text)})
        login_as("office")
        download = client.get(f"/office/cases/{case.number}/files/{file_id}")
        assert download.status_code == 200 and download.data == pdf
        assert download.headers["Content-Disposition"].startswith("attachment")
        assert "approve_reply" in steps_offered(client.get(f"/office/cases/{case.number}"))
        assert post_step(client, "/office", case, "approve_reply").status_code == 303
        db.session.expire_all()
        assert case.state is CaseState.AWAITING_RATING
        assert [a.visible_to_enterprise for a in case.attachments] == [True]
        assert (
            case.finish_due == CAL.add_working_days(CAL.due_date(factories.now(), 5), 5)
            or case.finish_due is not None
        )
        actions = [e.action for e in case.events]
        assert actions == [
            "register",
            "accept",
            "dispatch",
            "sign",
            "contact",
            "request_extension",
            "decide_extension",
            "reply",
            "publish_reply",
        ]
        assert {e.actor_id for e in case.events[4:7]} == {
            world.users["handler"].id,
            world.users["head"].id,
        }


class TestRegisterByPhone:
    def test_a_phone_whistle_in_one_short_form(self, client, db, world, login_as):
        login_as("office")
        form = client.get("/office/register")
        assert form.status_code == 200
        response = client.post(
            "/office/register",
            data={
                "csrf_token": csrf_from(form.text),
                "channel": "hotline_12345",
                "applicant_name": "测试陶瓷有限公司",
                "credit_code": world.enterprise.credit_code,
                "contact_name": "王先生",
                "contact_phone": "0768-2201234",
                "case_type": "consultation",
                "category": "",
                "title": "咨询稳岗补贴",
                "content": "来电咨询稳岗补贴申报条件。",
            },
        )
        assert response.status_code == 303
        case = db.session.scalar(sa.select(Case).order_by(Case.id.desc()))
        assert case.channel is Channel.HOTLINE_12345 and case.enterprise is world.enterprise
        assert case.received_by is world.users["office"]
        assert response.headers["Location"] == f"/office/cases/{case.number}"

    def test_a_bad_phone_is_explained_and_everything_kept(self, client, db, world, login_as):
        login_as("office")
        form = client.get("/office/register")
        response = client.post(
            "/office/register",
            data={
                "csrf_token": csrf_from(form.text),
                "channel": "phone",
                "applicant_name": "张三",
                "contact_name": "张三",
                "contact_phone": "12345",
                "case_type": "complaint",
                "title": "噪音",
                "content": "隔壁工地夜间施工。",
            },
        )
        assert response.status_code == 422
        soup = page(response)
        assert soup.select_one("#contact_phone-error") is not None
        assert soup.select_one('input[name="title"]')["value"] == "噪音"
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Case)) == 0

    def test_only_an_office_registers(self, client, world, login_as):
        login_as("leader")
        assert client.get("/office/register").status_code == 403


@contextmanager
def two_staff(number: str, user):
    """Two database sessions, as two staff's requests: each with the case and the user
    loaded on its own; both rolled back and closed at the end."""
    sessions = [Session(_db.engine), Session(_db.engine)]
    try:
        yield [
            (s, s.scalar(sa.select(Case).where(Case.number == number)), s.get(type(user), user.id))
            for s in sessions
        ]
    finally:
        for s in sessions:
            s.rollback()
            s.close()


def test_no_lost_update_when_two_staff_act_at_once(app, db, world):
    """Two sessions load the same case; both act; the second commit fails on the version
    column instead of overwriting the first (on PostgreSQL and SQLite alike)."""
    case = factories.case(db.session, world.city, enterprise=world.enterprise)
    db.session.commit()
    number = case.number
    with two_staff(number, world.users["office"]) as ((first, a, office_a), (second, b, office_b)):
        workflow.accept(first, CAL, a, by=office_a, at=factories.now())
        first.commit()
        workflow.refuse(second, b, by=office_b, at=factories.now(), reason=7, message="联系不上")
        with pytest.raises(StaleDataError):
            second.commit()
    db.session.expire_all()
    assert case.state is CaseState.ACCEPTED
    assert [e.action for e in case.events] == ["register", "accept"]


def test_two_extension_requests_at_once_make_one(app, db, world):
    """A step that only adds rows (an extension request) still updates the case row, so two
    handlers asking at once cannot both pass the one-request-at-a-time and cap checks."""
    case = factories.case(db.session, world.city, enterprise=world.enterprise)
    office, handler = world.users["office"], world.users["handler"]
    workflow.accept(db.session, CAL, case, by=office, at=factories.now())
    workflow.dispatch(db.session, CAL, case, by=office, at=factories.now(), lead=world.department)
    workflow.sign(db.session, case, by=handler, at=factories.now())
    db.session.commit()
    with two_staff(case.number, handler) as ((first, a, ha), (second, b, hb)):
        workflow.request_extension(first, a, by=ha, at=factories.now(), days=10, reason="甲")
        workflow.request_extension(second, b, by=hb, at=factories.now(), days=10, reason="乙")
        first.commit()
        with pytest.raises(StaleDataError):
            second.commit()
    db.session.expire_all()
    assert [x.reason for x in case.extensions] == ["甲"]
    assert case.last_event_at is not None


def test_an_approval_past_the_cap_is_refused(db, world):
    """Chaozhou 四(四)2 "最多不得超过10个工作日": checked when the head decides, too."""
    case = factories.case(db.session, world.city, enterprise=world.enterprise)
    office, handler, head = world.users["office"], world.users["handler"], world.users["head"]
    workflow.accept(db.session, CAL, case, by=office, at=factories.now())
    workflow.dispatch(db.session, CAL, case, by=office, at=factories.now(), lead=world.department)
    workflow.sign(db.session, case, by=handler, at=factories.now())
    workflow.request_extension(
        db.session, case, by=handler, at=factories.now(), days=8, reason="复杂"
    )
    case.extensions[0].approved = True  # as if an earlier request had been approved meanwhile
    case.extensions.append(
        type(case.extensions[0])(
            case=case,
            days=5,
            reason="再延",
            requested_by_id=handler.id,
            requested_at=factories.now(),
        )
    )
    with pytest.raises(RuleViolation) as refused:
        workflow.decide_extension(db.session, CAL, case, by=head, at=factories.now(), approve=True)
    assert refused.value.params == {"left": 2}


def test_the_desk_flags_callbacks_and_weekly_progress(client, db, world, login_as, profiles):
    """Past the rating window an unrated case comes back to the office's desk as a callback;
    in Shantou a case in hand owes progress on Thursdays (2026-11-26 is one)."""
    from datetime import datetime

    old = datetime(2026, 11, 2, 2, tzinfo=UTC)
    unrated = factories.replied(
        db.session,
        world,
        factories.case(db.session, world.city, enterprise=world.enterprise, title="没人评价"),
        at=old,
    )
    world.county.policy = profiles["shantou"]
    in_hand = factories.case(
        db.session, world.county, enterprise=world.enterprise, title="每周报进展", at=old
    )
    workflow.accept(db.session, CAL, in_hand, by=world.county_office_user, at=old)
    workflow.dispatch(
        db.session, CAL, in_hand, by=world.county_office_user, at=old, lead=world.county_department
    )
    workflow.sign(db.session, in_hand, by=world.county_handler, at=old)
    db.session.commit()
    login_as("office")
    desk = page(client.get("/office/"))
    row = next(r for r in desk.select("table.queue tbody tr") if unrated.number in r.text)
    assert "待回访" in row.text
    client.post("/auth/logout", data={"csrf_token": csrf_from(client.get("/office/").text)})
    with time_machine.travel(datetime(2026, 11, 26, 3, tzinfo=UTC), tick=False):
        login_user(client, world.county_handler)
        queue = page(client.get("/workbench/"))
    row = next(r for r in queue.select("table.queue tbody tr") if in_hand.number in r.text)
    assert "本周须报进展" in row.text


def test_a_leader_approves_from_the_desk_and_an_inspector_supervises(client, db, world, login_as):
    office = world.users["office"]
    case = factories.case(db.session, world.city, enterprise=world.enterprise)
    workflow.accept(db.session, CAL, case, by=office, at=factories.now())
    workflow.dispatch(
        db.session,
        CAL,
        case,
        by=office,
        at=factories.now(),
        lead=world.department,
        needs_approval=True,
    )
    db.session.commit()
    login_as("leader")
    assert case.number in client.get("/office/").text
    assert steps_offered(client.get(f"/office/cases/{case.number}")) == {
        "approve_dispatch",
        "reject_dispatch",
    }
    assert post_step(client, "/office", case, "approve_dispatch").status_code == 303
    db.session.expire_all()
    assert case.state is CaseState.DISPATCHED and case.finish_due is not None
    client.post("/auth/logout", data={"csrf_token": csrf_from(client.get("/office/").text)})

    login_as("inspector")
    response = post_step(
        client, "/office", case, "supervise", reason="overdue", note="请于本周内办结"
    )
    assert response.status_code == 303
    shown = client.get(f"/office/cases/{case.number}").text
    assert "督办单第2026-0001号" in shown
    assert case.number in client.get("/office/").text  # on the inspector's desk now


def test_the_filtered_queue_exports_to_a_workbook(client, db, world, login_as):
    """Any list exports to .xlsx (issue 7): the queue as filtered, every page, audited."""
    from openpyxl import load_workbook

    from portal.domain.models import AuditLog

    cases = [
        factories.case(db.session, world.city, enterprise=world.enterprise, title=f"导出{n}")
        for n in range(23)
    ]
    other = factories.case(db.session, world.city, enterprise=world.other_enterprise)
    db.session.commit()
    login_as("office")
    assert "format=xlsx" in client.get("/office/?view=all").text
    response = client.get("/office/?view=all&q=测试陶瓷&format=xlsx")
    assert response.status_code == 200 and response.mimetype.endswith("spreadsheetml.sheet")
    sheet = load_workbook(io.BytesIO(response.data)).active
    numbers = {sheet.cell(r, 1).value for r in range(3, sheet.max_row + 1)}
    assert numbers == {c.number for c in cases} and other.number not in numbers
    assert sheet.cell(2, 1).value == "事项编号"
    assert db.session.query(AuditLog).filter_by(action="export", object_type="queue").count() == 1
