"""The whole closed loop of one case through the real pages, from a 360 px phone, with
JavaScript on and off: the enterprise whistles to 潮安区; the county office accepts it and
dispatches it to 区人力资源和社会保障局; the department signs, records its contact with the
enterprise and asks for more time; its head approves; the department replies and the office
approves the reply; the enterprise rates it unsatisfied and the case comes back under the
office's supervision; the head answers the supervision notice, the department replies again,
the office approves again; the enterprise is satisfied; the office closes the case off (销号).

Every step is clicked and typed by the person whose step it is (signing out and in between),
never done through the domain layer; the database is only read, at the end, to check the
case's record. Every page landed on and every step form opened passes axe (no serious or
critical violation) and fits the width.

Every staff page must have its own stylesheet (staff.css, in the head): staff browse without
htmx's boosted navigation, which would swap only the body and leave it out.
"""

from __future__ import annotations

import re
from datetime import datetime

import pytest
from playwright.sync_api import Locator, Page, expect

from portal.domain.calendar import BEIJING
from portal.domain.models import CaseState
from tests.browser.conftest import DEMO_PASSWORD, screenshot
from tests.browser.test_enterprise_flow import (  # noqa: F401  (domain: a fixture)
    BEING_HANDLED,
    CASE_URL,
    DEMO_ENTERPRISE,
    THANKS_REOPENED,
    UNDER_SUPERVISION,
    domain,
    inspect,
    main_button,
    notice,
    path_is,
    settled,
    sign_in,
)

pytestmark = pytest.mark.browser

OFFICE, HANDLER, HEAD = "chaoan-office", "chaoan-handler", "chaoan-head"
HOME = {
    OFFICE: ("/office/", "领导小组办公室"),
    HANDLER: ("/workbench/", "部门工作台"),
    HEAD: ("/workbench/", "部门工作台"),
}
BUREAU = "区人力资源和社会保障局"  # 潮安区's labour bureau: the choice the county office has

# What the enterprise writes, and what staff write back.
TITLE = "稳岗返还补贴申请三个月未到账"
CONTENT = (
    "我司去年按时足额缴纳失业保险，今年三月通过人社系统申请稳岗返还补贴，至今未到账，"
    "也无人说明原因，请人社部门核查办理进度。"
)
ACCEPT_NOTE = "属人社职责，拟交区人社局办理。"
DISPATCH_NOTE = "请一个工作日内联系企业，核查补贴审核进度。"
CONTACT_NOTE = "电话联系王总，企业申请材料齐全，待财政拨付。"
EXTENSION_REASON = "补贴资金需财政局审核拨付，需多3个工作日。"
REPLY = "经核查，贵司稳岗返还补贴已审核通过，将于本月底前拨付到账。"
UNSATISFIED = "答复只说月底，没有说明为什么拖了三个月。"
SUPERVISION_ANSWER = "已责成经办科室说明延误原因，本周内再次答复企业。"
SECOND_REPLY = "延误原因：系统对接故障导致审核积压，现已修复；补贴12万元已于今日拨付，请查收。"
SATISFIED = "补贴已到账，感谢。"
CLOSE_NOTE = "企业满意，问题已解决。"

# The case's record, event by event (CaseEvent.action), when the loop is closed.
LOOP = [
    "register",
    "accept",
    "dispatch",
    "sign",
    "contact",
    "request_extension",
    "decide_extension",
    "reply",
    "publish_reply",
    "rate",
    "supervise",
    "answer_supervision",
    "reply",
    "publish_reply",
    "rate",
    "close",
]


STAFF_PAGE = re.compile(r"^https?://[^/]+/(office|workbench)/")
STAFF_STYLED = """() => [...document.styleSheets].some(
    s => s.href && s.href.includes('/css/staff') && s.cssRules.length > 0)"""


# -- page helpers ---------------------------------------------------------------------------


class Walk:
    """One browser page walking the loop: every page it lands on is inspected (one h1,
    axe, no sideways scrolling) and photographed as workbench-<n>-<shot>-<js|nojs>."""

    def __init__(self, page: Page, js: bool, check_accessibility):
        self.page, self.js, self.check = page, js, check_accessibility
        self.shots = 0

    def inspect(self, shot: str | None) -> None:
        inspect(self.page, self.js, self.check)  # first: it waits for the page to load
        if STAFF_PAGE.match(self.page.url):
            assert self.page.evaluate(STAFF_STYLED), f"{self.page.url}: no staff.css"
        if shot:
            self.shots += 1
            screenshot(
                self.page, f"workbench-{self.shots:02d}-{shot}-{'js' if self.js else 'nojs'}"
            )

    # -- signing in and out

    def sign_in_staff(self, login: str) -> None:
        home, heading = HOME[login]
        page = self.page
        page.goto("/auth/login")
        expect(page.locator("h1")).to_have_text("登录")
        self.inspect(None)
        page.get_by_label("手机号码或用户名").fill(login)
        page.locator("#password").fill(DEMO_PASSWORD)
        main_button(page, "登录").click()
        expect(page).to_have_url(path_is(home))
        expect(page.locator("h1")).to_have_text(heading)

    def sign_in_enterprise(self) -> None:
        sign_in(self.page, self.js, self.check, DEMO_ENTERPRISE)

    def sign_out(self) -> None:
        self.page.get_by_role("button", name="退出").click()
        expect(self.page).to_have_url(path_is("/auth/login"))
        expect(self.page.get_by_role("button", name="退出")).to_have_count(0)
        settled(self.page, self.js)

    # -- staff: the queue and the case page

    def open_from_queue(self, number: str, shot: str) -> None:
        """From the queue's default view ("待我办理"), open the case by its number."""
        page = self.page
        # The queue opens on its cases; the filters fold above them (issue 17 item 5).
        expect(page.locator("main details.filters-fold")).not_to_have_attribute("open", "")
        expect(page.locator("main form.filters input[name=view][value=desk]")).to_be_checked()
        row = page.locator("main table.queue tbody tr").filter(has_text=number)
        expect(row).to_have_count(1)
        expect(row).to_contain_text(TITLE)
        self.inspect(f"{shot}-queue")
        home = self.home
        row.get_by_role("link", name=number, exact=True).click()
        expect(page).to_have_url(path_is(f"{home}cases/{number}"))
        expect(page.locator("h1")).to_have_text(TITLE)

    @property
    def home(self) -> str:
        """/office/ or /workbench/: where the staff page shown now belongs."""
        found = STAFF_PAGE.match(self.page.url)
        assert found, f"{self.page.url} is not a staff page"
        return f"/{found.group(1)}/"

    def step(self, action: str, title: str, shot: str) -> Locator:
        """Open the step `action` (its <details>, summary = its title); the form passes axe."""
        step = self.page.locator(f"main details.step#step-{action}")
        summary = step.locator("summary")
        expect(summary).to_have_text(title)
        summary.click()
        expect(step).to_have_attribute("open", "")
        expect(step.get_by_role("button", name=title, exact=True)).to_be_visible()
        self.inspect(f"{shot}-form")
        return step

    def submit(self, step: Locator, title: str, number: str, shot: str) -> None:
        """Send the step; the case page comes back saying it is done."""
        home = self.home
        step.get_by_role("button", name=title, exact=True).click()
        expect(notice(self.page)).to_have_text(f"已完成：{title}。")
        expect(self.page).to_have_url(path_is(f"{home}cases/{number}"))
        expect(self.page.locator("h1")).to_have_text(TITLE)
        self.inspect(shot)

    def expect_status(self, state: str) -> None:
        expect(self.page.locator("#status-title")).to_have_text(f"状态：{state}")

    def expect_no_step(self, action: str) -> None:
        expect(self.page.locator(f"main details#step-{action}")).to_have_count(0)


def beijing_now() -> str:
    """Now as a datetime-local field takes it (Beijing time, to the minute: never future)."""
    return datetime.now(BEIJING).strftime("%Y-%m-%dT%H:%M")


# -- the loop -------------------------------------------------------------------------------


def test_a_whistle_goes_round_the_loop_and_is_closed_off(page, js, check_accessibility, domain):
    walk = Walk(page, js, check_accessibility)

    # 1. The enterprise whistles to its local level, 潮安区.
    walk.sign_in_enterprise()
    page.get_by_role("link", name="我要吹哨").click()
    expect(page).to_have_url(path_is("/whistle"))
    expect(page.locator("h1")).to_have_text("我要吹哨")
    walk.inspect("whistle-form")
    page.get_by_role("group", name="诉求类型").get_by_label("业务办理").check()
    page.get_by_role("group", name="向哪一级吹哨").get_by_label(
        "属地（县区、开发区）：潮安区", exact=True
    ).check()
    page.get_by_label("诉求类别").select_option(label="4. 引才用工")
    page.get_by_label("诉求事项").fill(TITLE)
    page.get_by_label("诉求内容").fill(CONTENT)
    main_button(page, "提交").click()
    confirm = main_button(page, "这是新问题，继续提交")
    expect(notice(page).or_(confirm)).to_be_visible()
    if confirm.is_visible():  # a similar open case was shown: this is a new problem
        walk.inspect("whistle-similar")
        confirm.click()

    expect(page).to_have_url(CASE_URL)
    number = CASE_URL.match(page.url).group(1)
    assert number.startswith("445103-"), number  # the county's number: its office answers
    expect(notice(page)).to_have_text(f"提交成功。您的事项编号是 {number}。")
    expect(page.locator("#status-title")).to_contain_text("待受理")
    walk.inspect("whistled")
    walk.sign_out()

    # 2. The county office finds it waiting, accepts it and dispatches it to the bureau.
    walk.sign_in_staff(OFFICE)
    walk.open_from_queue(number, "office-new")
    walk.expect_status("待受理")
    expect(page.locator("main")).to_contain_text(CONTENT)
    walk.inspect("office-case-new")
    accept = walk.step("accept", "受理", "office-accept")
    accept.get_by_label("备注（选填）").fill(ACCEPT_NOTE)
    walk.submit(accept, "受理", number, "office-accepted")
    walk.expect_status("已受理")
    walk.expect_no_step("accept")

    dispatch = walk.step("dispatch", "交办", "office-dispatch")
    dispatch.get_by_label("主办单位").select_option(label=BUREAU)
    dispatch.get_by_label("交办意见（选填）").fill(DISPATCH_NOTE)
    walk.submit(dispatch, "交办", number, "office-dispatched")
    walk.expect_status("已交办，待签收")
    expect(page.locator("#status .facts")).to_contain_text(BUREAU)
    walk.sign_out()

    # 3. The bureau signs for it, records its call to the enterprise, asks for more time.
    walk.sign_in_staff(HANDLER)
    walk.open_from_queue(number, "handler-dispatched")
    walk.expect_status("已交办，待签收")
    sign = walk.step("sign", "签收", "handler-sign")
    walk.submit(sign, "签收", number, "handler-signed")
    walk.expect_status(BEING_HANDLED)

    contact = walk.step("contact", "登记与企业的对接联系", "handler-contact")
    contact.get_by_label("方式").select_option(label="电话")
    contact.get_by_label("时间").fill(beijing_now())
    contact.get_by_label("联系情况").fill(CONTACT_NOTE)
    walk.submit(contact, "登记与企业的对接联系", number, "handler-contacted")
    expect(page.locator("#status .facts")).to_contain_text("首次联系")
    expect(page.locator("ol.timeline")).to_contain_text(CONTACT_NOTE)

    extension = walk.step("request_extension", "申请延期", "handler-extension")
    extension.get_by_label("延期工作日数").fill("3")
    extension.get_by_label("延期理由（将告知企业）").fill(EXTENSION_REASON)
    walk.submit(extension, "申请延期", number, "handler-extension-asked")
    expect(page.locator("#status")).to_contain_text(
        f"已申请延期3个工作日，待部门主要领导审批：{EXTENSION_REASON}"
    )
    walk.expect_no_step("request_extension")  # one request at a time
    walk.sign_out()

    # 4. The head approves the extension.
    walk.sign_in_staff(HEAD)
    expect(page.locator("main .flag")).to_contain_text(re.compile(r"\d+ 项延期申请待您审批。"))
    walk.open_from_queue(number, "head-extension")
    decide = walk.step("decide_extension", "审批延期申请", "head-decide")
    decide.get_by_role("group", name="审批意见").get_by_label("同意", exact=True).check()
    walk.submit(decide, "审批延期申请", number, "head-decided")
    walk.expect_no_step("decide_extension")
    expect(page.locator("ol.timeline")).to_contain_text("延期申请已审批")
    expect(page.locator("ol.timeline")).to_contain_text("3个工作日")
    walk.sign_out()

    # 5. The bureau replies.
    walk.sign_in_staff(HANDLER)
    walk.open_from_queue(number, "handler-in-hand")
    reply = walk.step("reply", "办理答复", "handler-reply")
    reply.get_by_label("给企业的答复").fill(REPLY)
    walk.submit(reply, "办理答复", number, "handler-replied")
    walk.expect_status("已办结反馈")
    walk.sign_out()

    # 6. The office approves the reply: the enterprise sees it.
    walk.sign_in_staff(OFFICE)
    walk.open_from_queue(number, "office-replied")
    expect(page.locator("main")).to_contain_text(REPLY)
    approve = walk.step("approve_reply", "审核通过答复", "office-approve")
    walk.submit(approve, "审核通过答复", number, "office-approved")
    walk.expect_status("待评价")
    walk.sign_out()

    # 7. The enterprise reads the reply, is not satisfied: back under supervision.
    walk.sign_in_enterprise()
    rate(walk, number, REPLY, "不满意", "未解决", UNSATISFIED)
    expect(notice(page)).to_have_text(THANKS_REOPENED)
    expect(page).to_have_url(path_is(f"/cases/{number}"))
    expect(page.locator("#status-title")).to_contain_text(BEING_HANDLED)
    expect(page.locator("#status")).to_contain_text(UNDER_SUPERVISION)
    expect(page.locator("ol.timeline")).to_contain_text("列入督办")
    walk.inspect("enterprise-unsatisfied")
    walk.sign_out()

    # 8. The head answers the supervision notice; the bureau replies again; the office
    #    approves again.
    walk.sign_in_staff(HEAD)
    walk.open_from_queue(number, "head-supervised")
    expect(page.locator("#status")).to_contain_text("督办单第")
    answer = walk.step("answer_supervision", "回复督办单", "head-answer")
    answer.get_by_label("本单位回复").fill(SUPERVISION_ANSWER)
    walk.submit(answer, "回复督办单", number, "head-answered")
    walk.expect_no_step("answer_supervision")
    expect(page.locator("#status")).to_contain_text("办公室督办中。")
    expect(page.locator("ol.timeline")).to_contain_text(SUPERVISION_ANSWER)
    walk.sign_out()

    walk.sign_in_staff(HANDLER)
    walk.open_from_queue(number, "handler-rehandle")
    expect(page.locator("#status .facts")).to_contain_text("重新办理次数")
    reply = walk.step("reply", "办理答复", "handler-reply-again")
    reply.get_by_label("给企业的答复").fill(SECOND_REPLY)
    walk.submit(reply, "办理答复", number, "handler-replied-again")
    walk.expect_status("已办结反馈")
    walk.sign_out()

    walk.sign_in_staff(OFFICE)
    walk.open_from_queue(number, "office-replied-again")
    approve = walk.step("approve_reply", "审核通过答复", "office-approve-again")
    walk.submit(approve, "审核通过答复", number, "office-approved-again")
    walk.expect_status("待评价")
    walk.sign_out()

    # 9. The enterprise is satisfied.
    walk.sign_in_enterprise()
    rate(walk, number, SECOND_REPLY, "满意", "已解决", SATISFIED)
    expect(notice(page)).to_have_text("感谢您的评价。")
    expect(page.locator("#status-title")).to_contain_text("已评价")
    expect(page.get_by_role("heading", name="服务评价")).to_have_count(0)
    walk.inspect("enterprise-satisfied")
    walk.sign_out()

    # 10. The office closes it off.
    walk.sign_in_staff(OFFICE)
    walk.open_from_queue(number, "office-rated")
    close = walk.step("close", "销号", "office-close")
    close.get_by_label("备注（选填）").fill(CLOSE_NOTE)
    walk.submit(close, "销号", number, "office-closed")
    walk.expect_status("已销号")
    walk.expect_no_step("close")

    state, supervised, actions = domain.state(number)
    assert state is CaseState.CLOSED
    assert actions == LOOP


def rate(walk: Walk, number: str, reply: str, level: str, solved: str, comment: str) -> None:
    """The signed-in enterprise opens the case from its list, reads `reply` and rates it."""
    page = walk.page
    listed = page.locator("main ul.cards li").filter(has_text=number)
    listed.get_by_role("link", name=TITLE).click()
    expect(page).to_have_url(path_is(f"/cases/{number}"))
    expect(page.locator("#status-title")).to_contain_text("待评价")
    expect(page.locator("#status")).to_contain_text(reply)
    expect(page.get_by_role("heading", name="服务评价")).to_be_visible()
    walk.inspect(f"enterprise-replied-{'satisfied' if level == '满意' else 'unsatisfied'}")
    page.get_by_role("group", name="您对服务是否满意？").get_by_label(level, exact=True).check()
    page.get_by_role("group", name="问题是否解决？").get_by_label(solved, exact=True).check()
    page.get_by_label("意见建议（选填）").fill(comment)
    main_button(page, "提交评价").click()
    expect(page).to_have_url(path_is(f"/cases/{number}"))


# -- staff pages keep their stylesheet -----------------------------------------------------


@pytest.mark.parametrize("js", [True], ids=["js"])
def test_staff_pages_reached_from_the_login_form_are_styled(page, js):
    """With JavaScript, signing in and following the queue's links load whole pages for staff,
    so staff.css (in the head) is there on every one."""
    page.goto("/auth/login")
    page.get_by_label("手机号码或用户名").fill(OFFICE)
    page.locator("#password").fill(DEMO_PASSWORD)
    main_button(page, "登录").click()
    expect(page).to_have_url(path_is("/office/"))
    settled(page, js)
    page.wait_for_function(STAFF_STYLED, timeout=3_000)
    page.locator("table.queue tbody a").first.click()
    expect(page).to_have_url(re.compile(r"/office/cases/"))
    page.wait_for_function(STAFF_STYLED, timeout=3_000)
