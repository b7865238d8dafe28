"""The enterprise's journey from a 360 px phone, with JavaScript on and off: register, whistle
with a photo, read the department's reply, rate it unsatisfied (the case reopens under the
office's supervision); follow a staff-registered case at /track without an account (and by
the SMS short link); add to an open case instead of whistling the same problem twice.

Staff steps that belong to the workbench (dispatch, sign, reply) happen through the domain
layer, on the live server's database, through `domain` below. Every page the browser lands
on passes axe (no serious or critical violation) and fits the width.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa
from PIL import Image
from playwright.sync_api import Page, expect

from portal import create_app
from portal.demo import utcnow
from portal.domain import workflow
from portal.domain.calendar import load_calendar
from portal.domain.models import (
    Case,
    CaseState,
    CaseType,
    Channel,
    Jurisdiction,
    Role,
    User,
)
from portal.extensions import db as _db
from tests.browser.conftest import (
    DEMO_PASSWORD,
    assert_no_horizontal_scroll,
    htmx_ready,
    screenshot,
)
from tests.conftest import _config

pytestmark = pytest.mark.browser

CASE_URL = re.compile(r"^https?://[^/]+/cases/([0-9A-Z]{2,12}-\d{4}-\d{5,})$")
DEMO_ENTERPRISE = "13800000001"  # 潮州市福源陶瓷有限公司, in 庵埠镇 (潮安区)

# What the zh-CN pages say.
# 不满意 says what happens next and by when (issue 17 item 6).
THANKS_REOPENED = re.compile(
    r"^\s*感谢您的评价。您的诉求将退回.+重新办理，由办公室督办，于.+前办结。\s*$"
)
UNDER_SUPERVISION = "办公室督办中。"
BEING_HANDLED = "办理中"
NO_MATCH = "没有与该事项编号和手机号码相符的诉求，请核对后重试。"
TRACK = "查询办理进度"


# -- the domain side: the live server's database, through an app of our own -------------


class Domain:
    """Staff steps and set-up through the domain layer, on the database the live server
    uses (each call is one transaction, committed before the browser looks)."""

    def __init__(self, app):
        self.app = app

    @contextmanager
    def session(self):
        with self.app.app_context():
            try:
                yield _db.session
                _db.session.commit()
            finally:
                _db.session.remove()

    @staticmethod
    def _user(session, login: str) -> User:
        user = session.scalar(
            sa.select(User).where(sa.or_(User.username == login, User.mobile == login))
        )
        assert user is not None, f"no user {login}"
        return user

    @staticmethod
    def _case(session, number: str) -> Case:
        case = session.scalar(sa.select(Case).where(Case.number == number))
        assert case is not None, f"no case {number}"
        return case

    @staticmethod
    def staff_of(session, case: Case) -> tuple[User, User]:
        """The case's office user, and a handler in its jurisdiction."""
        office = session.scalar(
            sa.select(User).where(User.role == Role.OFFICE, User.unit_id == case.office_id)
        )
        handler = next(
            u
            for u in session.scalars(sa.select(User).where(User.role == Role.HANDLER))
            if u.unit.jurisdiction_id == case.jurisdiction_id
        )
        return office, handler

    def reply(self, number: str, text: str) -> None:
        """Accepted and dispatched by the city office to the handler's department, signed,
        replied to with `text` and the reply approved (the workbench's steps, through the
        domain: the workbench's own browser test walks them through its pages)."""
        with self.session() as session:
            case = self._case(session, number)
            office, handler = self.staff_of(session, case)
            calendar, now = load_calendar(session), utcnow()
            if case.state is CaseState.SUBMITTED:
                workflow.accept(session, calendar, case, by=office, at=now)
                workflow.dispatch(session, calendar, case, by=office, at=now, lead=handler.unit)
                workflow.sign(session, case, by=handler, at=now)
            workflow.reply(session, calendar, case, by=handler, text=text, at=now)
            workflow.approve_reply(session, calendar, case, by=office, at=now)

    def staff_case(self, *, mobile: str, title: str, content: str) -> str:
        """A case the city office registered from a 12345 hotline call; its number."""
        with self.session() as session:
            office = self._user(session, "office")
            city = session.scalar(sa.select(Jurisdiction).where(Jurisdiction.code == "445100"))
            case = workflow.register_case(
                session,
                load_calendar(session),
                jurisdiction=city,
                applicant_name="潮州市新兴砖厂",
                contact_name="李先生",
                contact_phone=mobile,
                title=title,
                content=content,
                case_type=CaseType.CONSULTATION,
                channel=Channel.HOTLINE_12345,
                at=utcnow(),
                by=office,
                receiving_unit=office.unit,
            )
            session.flush()
            return case.number

    def whistle(self, login: str, *, title: str, content: str) -> str:
        """An open case the enterprise user `login` whistled earlier; its number."""
        with self.session() as session:
            user = self._user(session, login)
            case = workflow.whistle(
                session,
                load_calendar(session),
                by=user,
                level=workflow.LOCAL,
                case_type=CaseType.BUSINESS,
                category_number=None,
                title=title,
                content=content,
                contact_name=user.name,
                contact_phone=user.mobile,
                at=utcnow(),
                submission_key=secrets.token_urlsafe(16),
                upload_root=Path(self.app.instance_path) / "uploads",
            )
            session.flush()
            return case.number

    def tracking_code(self, number: str) -> str:
        with self.session() as session:
            return workflow.issue_tracking_code(self._case(session, number))

    def state(self, number: str) -> tuple[CaseState, bool, list[str]]:
        """The case's state, whether it is under supervision, and its events' actions."""
        with self.session() as session:
            case = self._case(session, number)
            return case.state, case.under_supervision, [e.action for e in case.events]


@pytest.fixture
def domain(live_server, database) -> Iterator[Domain]:
    """An app on the live server's database (`database.fresh()` again would wipe the demo
    data the live server loaded)."""
    app = create_app(_config(database.current_url))
    yield Domain(app)
    with app.app_context():
        _db.session.remove()
        _db.engine.dispose()


# -- page helpers ---------------------------------------------------------------------------


def settled(page: Page, js: bool) -> None:
    """Loaded, and with JavaScript no htmx request or swap under way."""
    page.wait_for_load_state("load")
    htmx_ready(page, js)  # it comes after the first paint
    if js:
        page.wait_for_function("""() => !document.querySelector(
            '.htmx-request, .htmx-swapping, .htmx-settling, .htmx-added')""")


def inspect(page: Page, js: bool, check_accessibility, shot: str | None = None) -> None:
    """What every page landed on gets: one h1, axe, no sideways scrolling; a screenshot."""
    settled(page, js)
    # The parametrisation really differs: htmx runs only with JavaScript on.
    assert page.evaluate("() => typeof window.htmx") == ("object" if js else "undefined")
    expect(page.locator("h1")).to_have_count(1)
    check_accessibility(page)
    assert_no_horizontal_scroll(page)
    if shot:
        screenshot(page, f"enterprise-{shot}-{'js' if js else 'nojs'}")


def path_is(path: str) -> re.Pattern:
    return re.compile(r"^https?://[^/]+" + re.escape(path) + r"(\?.*)?$")


def main_button(page: Page, name: str):
    return page.locator("main").get_by_role("button", name=name, exact=True)


def notice(page: Page):
    return page.locator("main .notice[role=status]")


def sign_in(page: Page, js: bool, check_accessibility, login: str) -> None:
    page.goto("/auth/login")
    inspect(page, js, check_accessibility)
    page.get_by_label("手机号码或用户名").fill(login)
    page.locator("#password").fill(DEMO_PASSWORD)
    main_button(page, "登录").click()
    expect(page).to_have_url(path_is("/cases"))
    inspect(page, js, check_accessibility)


def png(tmp_path: Path, name: str) -> Path:
    """A small real PNG picture (the upload check decodes it)."""
    path = tmp_path / name
    image = Image.new("RGB", (64, 48), (200, 80, 40))
    for x in range(64):
        image.putpixel((x, x * 48 // 64), (20, 20, 20))
    image.save(path, format="PNG")
    return path


def register(
    page: Page,
    js: bool,
    check_accessibility,
    *,
    enterprise: str,
    kind: str,
    credit_code: str,
    place: str,
    name: str,
    mobile: str,
    shot: str,
    sms,
) -> None:
    """Registration as a user does it: the form, "发送验证码", the code from the SMS (the
    local SMS backend's inbox, tests/sms_inbox.py), then 注册 (issue 17 item 7)."""
    page.goto("/auth/register")
    expect(page.locator("h1")).to_have_text("企业注册")
    inspect(page, js, check_accessibility, f"{shot}-form")
    page.get_by_label("企业名称").fill(enterprise)
    page.get_by_role("group", name="企业类别").get_by_label(kind, exact=True).check()
    page.get_by_label("统一社会信用代码").fill(credit_code)
    page.get_by_label("企业所在地").select_option(label=place)
    page.get_by_label("您的姓名").fill(name)
    page.get_by_label("手机号码", exact=True).fill(mobile)
    page.get_by_label("密码", exact=True).fill("roof-leak-2026")
    main_button(page, "发送验证码").click()
    expect(page.locator("#code-sent")).to_contain_text(f"{mobile[:3]}****{mobile[-4:]}")
    settled(page, js)
    page.get_by_label("短信验证码").fill(sms.code(mobile))
    main_button(page, "注册").click()

    expect(page).to_have_url(path_is("/whistle"))
    expect(notice(page)).to_contain_text("注册成功，现在可以吹哨了。")
    expect(page.locator("h1")).to_have_text("我要吹哨")
    expect(page.locator("header .who")).to_contain_text(name)
    inspect(page, js, check_accessibility, shot)


def fill_whistle(page: Page, title: str, content: str) -> None:
    """A business-handling whistle to 潮安区, category 6, as an enterprise there types it."""
    page.get_by_role("group", name="诉求类型").get_by_label("业务办理").check()
    page.get_by_role("group", name="向哪一级吹哨").get_by_label(
        "属地（县区、开发区）：潮安区"
    ).check()
    page.get_by_label("诉求类别").select_option(label="6. 项目落地建设")
    page.get_by_label("诉求事项").fill(title)
    page.get_by_label("诉求内容").fill(content)


# -- 1-4: register, whistle with a photo, reply, rate unsatisfied ---------------------------

TITLE = "厂房屋顶漏水导致设备受潮停产"
CONTENT = "暴雨后厂房屋顶多处漏水，设备受潮停产三天，需要住建部门协调维修补贴。"
REPLY = "住建局已派员查看，维修补贴申请表已发至企业邮箱。"
COMMENT = "补贴表格已收到，但屋顶至今无人来修。"


def test_register_whistle_reply_and_rate_unsatisfied(
    page, js, check_accessibility, domain, tmp_path, sms_inbox
):
    # 1. A new enterprise registers and lands on the whistle form.
    register(
        page,
        js,
        check_accessibility,
        enterprise="潮州市瓷都新材料有限公司",
        kind="中小微企业",
        credit_code="91440300708461136T",
        place="潮安区",
        name="陈美玲",
        mobile="13912345678",
        shot="registered",
        sms=sms_inbox,
    )

    # 2. It whistles, with a photo.
    expect(page.get_by_label("联系人", exact=True)).to_have_value("陈美玲")
    expect(page.get_by_label("联系人手机号码")).to_have_value("13912345678")
    fill_whistle(page, TITLE, CONTENT)
    page.get_by_label("照片或材料（选填）").set_input_files(png(tmp_path, "屋顶漏水.png"))
    screenshot(page, f"enterprise-whistle-filled-{'js' if js else 'nojs'}")
    main_button(page, "提交").click()

    expect(page).to_have_url(CASE_URL)
    number = CASE_URL.match(page.url).group(1)
    assert number.startswith("445103-"), number  # business handling goes to 潮安区
    expect(notice(page)).to_have_text(f"提交成功。您的事项编号是 {number}。")
    expect(page.locator("h1")).to_have_text(TITLE)
    expect(page.locator("main")).to_contain_text(number)
    expect(page.locator("#status-title")).to_contain_text("待受理")
    expect(page.locator("main")).to_contain_text(CONTENT)
    expect(page.get_by_role("link", name="屋顶漏水.png")).to_be_visible()
    inspect(page, js, check_accessibility, "case-submitted")

    page.get_by_role("link", name="我的全部诉求").click()
    expect(page).to_have_url(path_is("/cases"))
    expect(page.locator("h1")).to_have_text("我的诉求")
    listed = page.locator("main ul.cards li").filter(has_text=number)
    expect(listed).to_have_count(1)
    expect(listed.get_by_role("link", name=TITLE)).to_have_attribute("href", f"/cases/{number}")
    inspect(page, js, check_accessibility, "cases")
    listed.get_by_role("link", name=TITLE).click()
    expect(page).to_have_url(path_is(f"/cases/{number}"))
    expect(page.get_by_role("heading", name="服务评价")).to_have_count(0)  # nothing to rate yet
    settled(page, js)

    # 3. The department replies (workbench steps, through the domain).
    domain.reply(number, REPLY)

    # 4. The enterprise reloads, reads the reply and rates it: not satisfied, not solved.
    page.reload()
    expect(page.locator("#status-title")).to_contain_text("待评价")
    expect(page.locator("#status")).to_contain_text(REPLY)
    expect(page.get_by_role("heading", name="服务评价")).to_be_visible()
    inspect(page, js, check_accessibility, "case-replied")
    page.get_by_role("group", name="您对服务是否满意？").get_by_label("不满意", exact=True).check()
    page.get_by_role("group", name="问题是否解决？").get_by_label("未解决", exact=True).check()
    page.get_by_label("意见建议（选填）").fill(COMMENT)
    main_button(page, "提交评价").click()

    expect(notice(page)).to_have_text(THANKS_REOPENED)
    expect(page).to_have_url(path_is(f"/cases/{number}"))
    expect(page.locator("#status-title")).to_contain_text(BEING_HANDLED)
    expect(page.locator("#status")).to_contain_text(UNDER_SUPERVISION)
    expect(page.get_by_role("heading", name="服务评价")).to_have_count(0)  # rated once
    timeline = page.locator("ol.timeline")
    expect(timeline).to_contain_text("企业评价")
    expect(timeline).to_contain_text(COMMENT)
    expect(timeline).to_contain_text("列入督办")
    inspect(page, js, check_accessibility, "case-rated-unsatisfied")
    state, supervised, actions = domain.state(number)
    assert state is CaseState.IN_HAND and supervised
    assert actions[-3:] == ["publish_reply", "rate", "supervise"]


def test_register_an_individual_business_without_credit_code(
    page, js, check_accessibility, sms_inbox
):
    register(
        page,
        js,
        check_accessibility,
        enterprise="庵埠镇老郑糖水铺",
        kind="个体工商户",
        credit_code="",
        place="潮安区 · 庵埠镇",
        name="郑阿伯",
        mobile="13712345678",
        shot="registered-individual",
        sms=sms_inbox,
    )
    # The town's county is the local level: the whistle form offers it and the city.
    expect(page.get_by_role("group", name="向哪一级吹哨").get_by_role("radio")).to_have_count(2)


# -- 5: /track, for a case registered by staff ----------------------------------------------

HOTLINE_MOBILE = "13622223333"
HOTLINE_TITLE = "咨询砖厂环保改造补助的申报时间"
HOTLINE_CONTENT = "来电咨询：砖厂烟气治理改造能否申请补助，何时申报，需要哪些材料。"
HOTLINE_REPLY = "补助申报将于下月开始，材料清单已短信发送。"


def open_track(page: Page, js: bool, check_accessibility, number: str, mobile: str) -> None:
    page.goto("/track")
    expect(page.locator("h1")).to_have_text(TRACK)
    inspect(page, js, check_accessibility, "track-form")
    page.get_by_label("事项编号").fill(number)
    page.get_by_label("手机号码").fill(mobile)
    main_button(page, "查询").click()


def test_track_a_staff_registered_case_and_rate_it(page, js, check_accessibility, domain):
    number = domain.staff_case(mobile=HOTLINE_MOBILE, title=HOTLINE_TITLE, content=HOTLINE_CONTENT)
    domain.reply(number, HOTLINE_REPLY)

    open_track(page, js, check_accessibility, number.lower(), HOTLINE_MOBILE)  # any case
    expect(page).to_have_url(path_is(f"/track/{number}"))
    expect(page.locator("h1")).to_have_text(HOTLINE_TITLE)
    expect(page.locator("main")).to_contain_text(number)
    expect(page.locator("main")).to_contain_text(HOTLINE_CONTENT)
    expect(page.locator("#status")).to_contain_text(HOTLINE_REPLY)
    expect(page.get_by_role("button", name="退出")).to_have_count(0)  # nobody signed in
    expect(page.get_by_role("heading", name="补充材料")).to_have_count(0)  # account only
    inspect(page, js, check_accessibility, "tracked-replied")

    page.get_by_role("group", name="您对服务是否满意？").get_by_label("不满意", exact=True).check()
    page.get_by_role("group", name="问题是否解决？").get_by_label("未解决", exact=True).check()
    main_button(page, "提交评价").click()

    expect(page).to_have_url(path_is(f"/track/{number}"))
    expect(notice(page)).to_have_text(THANKS_REOPENED)
    expect(page.locator("#status-title")).to_contain_text(BEING_HANDLED)
    expect(page.locator("#status")).to_contain_text(UNDER_SUPERVISION)
    expect(page.get_by_role("heading", name="服务评价")).to_have_count(0)
    inspect(page, js, check_accessibility, "tracked-rated-unsatisfied")
    state, supervised, _ = domain.state(number)
    assert state is CaseState.IN_HAND and supervised


def test_track_is_found_from_home_and_reads_numbers_as_typed(page, js, check_accessibility, domain):
    """Issue 17 item 2: 查询办理进度 from the home page and the signed-out header; the
    number without hyphens and the mobile with spaces and +86 still find the case."""
    number = domain.staff_case(mobile=HOTLINE_MOBILE, title=HOTLINE_TITLE, content=HOTLINE_CONTENT)
    page.goto("/")
    expect(page.locator("main").get_by_role("link", name=TRACK)).to_be_visible()
    page.locator("header").get_by_role("link", name=TRACK).click()
    expect(page).to_have_url(path_is("/track"))
    expect(page.locator("h1")).to_have_text(TRACK)
    expect(page.locator("main")).to_contain_text("每件诉求都可在此查询")
    inspect(page, js, check_accessibility, "track-from-header")
    page.get_by_label("事项编号").fill(number.replace("-", " ").lower())
    page.get_by_label("手机号码").fill("+86 " + HOTLINE_MOBILE[:3] + "-" + HOTLINE_MOBILE[3:])
    main_button(page, "查询").click()
    expect(page).to_have_url(path_is(f"/track/{number}"))
    expect(page.locator("h1")).to_have_text(HOTLINE_TITLE)
    inspect(page, js, check_accessibility, "tracked-as-typed")


def test_track_with_a_wrong_mobile_shows_nothing_of_the_case(page, js, check_accessibility, domain):
    number = domain.staff_case(mobile=HOTLINE_MOBILE, title=HOTLINE_TITLE, content=HOTLINE_CONTENT)

    open_track(page, js, check_accessibility, number, "13622223334")
    summary = page.locator(".error-summary[role=alert]")
    expect(summary).to_be_visible()
    expect(summary.get_by_role("heading", name="请修改以下问题")).to_be_visible()
    expect(summary).to_contain_text(NO_MATCH)
    expect(page).to_have_url(path_is("/track"))
    expect(page).to_have_title(re.compile(r"^错误："))
    expect(page.locator("h1")).to_have_text(TRACK)
    expect(page.get_by_label("事项编号")).to_have_value(number)
    main_text = page.locator("main").inner_text()
    for shown in (HOTLINE_TITLE, HOTLINE_CONTENT, "李先生"):
        assert shown not in main_text
    inspect(page, js, check_accessibility, "track-wrong-mobile")

    # Nor does the case page open without a match.
    response = page.goto(f"/track/{number}")
    assert response is not None and response.status == 404
    expect(page.locator("main")).not_to_contain_text(HOTLINE_TITLE)
    inspect(page, js, check_accessibility, "track-not-granted")


def test_sms_short_link_opens_the_case(page, js, check_accessibility, domain):
    number = domain.staff_case(mobile=HOTLINE_MOBILE, title=HOTLINE_TITLE, content=HOTLINE_CONTENT)
    code = domain.tracking_code(number)

    page.goto(f"/t/{code}")
    expect(page).to_have_url(path_is(f"/track/{number}"))
    expect(page.locator("h1")).to_have_text(HOTLINE_TITLE)
    expect(page.locator("#status-title")).to_contain_text("待受理")
    inspect(page, js, check_accessibility, "tracked-by-sms-link")


# -- 6: the same problem again is added to the open case ------------------------------------

OPEN_TITLE = "厂房屋顶漏水导致设备受潮停产"
OPEN_CONTENT = "暴雨后厂房屋顶多处漏水，设备受潮停产三天，需要住建部门协调维修。"
AGAIN_TITLE = "屋顶漏水"
AGAIN_CONTENT = "暴雨过后厂房屋顶又漏水了，设备受潮停产，请住建部门尽快协调维修。"


def expect_added(page: Page, js: bool, check_accessibility, number: str, shot: str) -> None:
    expect(page).to_have_url(path_is(f"/cases/{number}"))
    expect(notice(page)).to_have_text(f"已补充到诉求 {number}，已告知承办单位。")
    expect(page.locator("h1")).to_have_text(OPEN_TITLE)
    added = page.locator("ol.timeline li").filter(has_text="企业补充材料")
    expect(added).to_have_count(1)
    expect(added).to_contain_text(AGAIN_CONTENT)
    inspect(page, js, check_accessibility, shot)


@pytest.mark.parametrize("js", [True], ids=["js"])
def test_live_duplicate_hint_adds_to_the_open_case(page, js, check_accessibility, domain):
    number = domain.whistle(DEMO_ENTERPRISE, title=OPEN_TITLE, content=OPEN_CONTENT)
    sign_in(page, js, check_accessibility, DEMO_ENTERPRISE)

    page.get_by_role("link", name="我要吹哨").click()
    expect(page).to_have_url(path_is("/whistle"))
    inspect(page, js, check_accessibility)
    expect(page.locator("#similar")).to_be_empty()
    page.get_by_label("诉求事项").fill(AGAIN_TITLE)
    page.get_by_label("诉求内容").press_sequentially(AGAIN_CONTENT)

    hint = page.locator("#similar .similar")
    expect(hint.get_by_role("heading", name="您可能已经反映过这个问题")).to_be_visible()
    ours = hint.locator("li").filter(has_text=number)
    expect(ours).to_contain_text(OPEN_TITLE)
    inspect(page, js, check_accessibility, "whistle-similar-hint")
    ours.get_by_role("button", name="补充到该诉求").click()

    expect_added(page, js, check_accessibility, number, "case-added-from-hint")


@pytest.mark.parametrize("js", [False], ids=["nojs"])
def test_duplicate_is_asked_on_submit_without_javascript(page, js, check_accessibility, domain):
    """Without JavaScript the hint comes on submit, with the choice to add or go on."""
    number = domain.whistle(DEMO_ENTERPRISE, title=OPEN_TITLE, content=OPEN_CONTENT)
    sign_in(page, js, check_accessibility, DEMO_ENTERPRISE)

    page.get_by_role("link", name="我要吹哨").click()
    expect(page).to_have_url(path_is("/whistle"))
    inspect(page, js, check_accessibility)
    page.get_by_role("group", name="诉求类型").get_by_label("业务办理").check()
    page.get_by_role("group", name="向哪一级吹哨").get_by_label(re.compile("^属地")).check()
    page.get_by_label("诉求类别").select_option(label="6. 项目落地建设")
    page.get_by_label("诉求事项").fill(AGAIN_TITLE)
    page.get_by_label("诉求内容").fill(AGAIN_CONTENT)
    main_button(page, "提交").click()

    expect(page).to_have_url(path_is("/whistle"))
    hint = page.locator("#similar .similar")
    expect(hint.get_by_role("heading", name="您可能已经反映过这个问题")).to_be_visible()
    expect(main_button(page, "这是新问题，继续提交")).to_be_visible()
    ours = hint.locator("li").filter(has_text=number)
    expect(ours).to_contain_text(OPEN_TITLE)
    inspect(page, js, check_accessibility, "whistle-similar-asked")
    ours.get_by_role("button", name="补充到该诉求").click()

    expect_added(page, js, check_accessibility, number, "case-added-on-submit")
