"""Personal data on screens and in exports: phone numbers masked (138****0001) in every list
and for the staff not assigned to a case; bulk exports audited with who, what and how many
rows (SECURITY.md checklist 13 and 31; issue 9 item 6; GB/T 35273 minimum necessary;
Shantou 五(一) confidentiality, 三(三) contact within one working day).

No model holds an ID number (身份证号): the enterprise's credit code is not personal data,
so the only personal numbers are phones (case and enterprise contact phones, enterprise
users' mobiles, SMS addresses in the outbox). Contact names are shown: the mask is for
numbers.

"Assigned" (`portal.domain.access.assigned_to`): the lead unit's and the co-handlers' staff
(handler, head) and the staff of the office that answers for the case (`case.office_id`).

| check | tests (skips and why) |
|---|---|
| 13 field level | test_c13_the_case_page_masks_the_phone_for_staff_not_assigned (leader, inspector, an office above; the page, its htmx fragment and a re-rendered step), test_c13_the_assigned_staff_see_the_phone_whole (lead handler and head, co-handler, the case's office, the county office of a county case), test_c13_one_case_pdfs_mask_for_the_non_assigned (受理登记表, 交办单, 转办函, the dossier), test_c13_the_enterprise_sees_its_own_number, test_c13_the_rule_itself (every role, in the domain) |
| 31 display and export | test_c31_no_list_page_shows_a_whole_phone_number (every list page of every role, regex over the HTML), test_c31_each_bulk_export_is_audited_with_its_row_count (queue, figures, overdue review, weekly progress, meeting, bulletin, ledgers, summary list), test_c31_exported_files_mask_like_their_lists (queue and figure sheets, the office's ledgers, the summary list), test_c31_the_liaisons_own_ledger_keeps_the_number (the exception and why). "Needs approval": no approval step for bulk exports exists in the portal yet; the nearest real check is the audit row each export writes (a reviewer reads them in /audit) |
"""

from __future__ import annotations

import io
import re

import pytest
import sqlalchemy as sa
from bs4 import BeautifulSoup
from openpyxl import load_workbook

from portal.domain import access, workflow
from portal.domain.calendar import WorkCalendar
from portal.domain.models import (
    AuditLog,
    ContactMethod,
    ContactProblem,
    ContactRecord,
    Notification,
    Role,
)
from tests import factories
from tests.test_casework import login_user, post_step
from tests.test_documents import pdf_text

CAL = WorkCalendar()
CITY_PHONE = "13912345678"  # the city case's contact phone
COUNTY_PHONE = "13987654321"  # the county case's
MOBILE = re.compile(r"(?<![\d])1[3-9]\d{9}(?![\d])")  # a whole mainland mobile number


def masked(phone: str) -> str:
    return f"{phone[:3]}****{phone[-4:]}"


@pytest.fixture
def pii(db, world):
    """A city case led by the department with the other department co-handling, put before
    the leaders; a county case led by the county department under the county office; an
    SMS in the outbox; a contact of the liaison's with a problem."""
    at = factories.now()
    office = world.users["office"]
    city = factories.case(db.session, world.city, enterprise=world.enterprise, title="用工难")
    city.contact_phone = CITY_PHONE
    workflow.accept(db.session, CAL, city, by=office, at=at)
    workflow.dispatch(
        db.session, CAL, city, by=office, at=at, lead=world.department, co=[world.other_department]
    )
    workflow.sign(db.session, city, by=world.users["handler"], at=at)
    city.leaders_involved = True
    county = factories.case(
        db.session, world.county, enterprise=world.other_enterprise, title="县里的事"
    )
    county.contact_phone = COUNTY_PHONE
    workflow.accept(db.session, CAL, county, by=world.county_office_user, at=at)
    workflow.dispatch(
        db.session, CAL, county, by=world.county_office_user, at=at, lead=world.county_department
    )
    co_handler = factories.user(
        db.session, Role.HANDLER, unit=world.other_department, username="co-handler"
    )
    db.session.add(
        Notification(
            key="pii-sms",
            created_at=at,
            channel="sms",
            address=CITY_PHONE,
            template="case_replied",
            params={},
            case_id=city.id,
        )
    )
    record = ContactRecord(
        enterprise=world.enterprise,
        unit=world.county_office,
        user=world.users["liaison"],
        contacted_on=at.date(),
        method=ContactMethod.VISIT,
        note="走访",
        created_at=at,
    )
    db.session.add_all([record, ContactProblem(contact=record, name="用工", content="缺工")])
    db.session.commit()
    return {"city": city, "county": county, "co_handler": co_handler}


def every_phone(db) -> set[str]:
    """Every whole number the fixtures hold: what no list may show."""
    from portal.domain.models import Case, Enterprise, User

    found = set(db.session.scalars(sa.select(Case.contact_phone)))
    found |= set(db.session.scalars(sa.select(Enterprise.contact_phone)))
    found |= set(db.session.scalars(sa.select(User.mobile)))
    return {p for p in found if p}


def signed_in(app, user):
    client = app.test_client()
    login_user(client, user)
    return client


def case_url(user, case) -> str:
    prefix = "/workbench" if user.role in (Role.HANDLER, Role.HEAD) else "/office"
    return f"{prefix}/cases/{case.number}"


def contact_shown(html: str) -> str:
    """The 联系人 line of the staff case page."""
    soup = BeautifulSoup(html, "html.parser")
    label = next(
        dt for dt in soup.select("dl.facts dt") if "Contact" in dt.text or "联系人" in dt.text
    )
    return label.find_next_sibling("dd").text


# --------------------------------------------------------------------------- check 13


@pytest.mark.parametrize(
    "who, which",
    [
        ("leader", "city"),
        ("inspector", "city"),
        ("inspector", "county"),
        ("office", "county"),
    ],
)
def test_c13_the_case_page_masks_the_phone_for_staff_not_assigned(app, db, world, pii, who, which):
    """A leader and an inspector may see the case, an office its county's; none is
    assigned, so the page, its htmx fragment and a re-rendered step show the number
    masked and never whole."""
    case, user = pii[which], world.users[who]
    phone = case.contact_phone
    client = signed_in(app, user)
    page = client.get(case_url(user, case))
    assert page.status_code == 200
    assert masked(phone) in contact_shown(page.text) and phone not in page.text
    assert f"tel:{phone}" not in page.text
    fragment = client.get(case_url(user, case), headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and "<html" not in fragment.text
    assert masked(phone) in fragment.text and phone not in fragment.text
    rerendered = post_step(client, "/office", case, "supervise")  # stale or invalid
    assert rerendered.status_code in (409, 422), rerendered.status_code
    assert masked(phone) in rerendered.text and phone not in rerendered.text


@pytest.mark.parametrize(
    "who, which",
    [
        ("handler", "city"),
        ("head", "city"),
        ("co_handler", "city"),
        ("office", "city"),
        ("county_office_user", "county"),
        ("county_handler", "county"),
    ],
)
def test_c13_the_assigned_staff_see_the_phone_whole(app, db, world, pii, who, which):
    """They call the enterprise (Shantou 三(三)): the number whole, as a tel: link."""
    case = pii[which]
    user = pii.get(who) or world.users.get(who) or getattr(world, who)
    page = signed_in(app, user).get(case_url(user, case))
    assert page.status_code == 200
    assert case.contact_phone in contact_shown(page.text)
    assert f'href="tel:{case.contact_phone}"' in page.text


@pytest.mark.parametrize("slug", ["registration", "assignment-slip", "transfer-letter", "dossier"])
def test_c13_one_case_pdfs_mask_for_the_non_assigned(app, db, world, pii, tmp_path, slug):
    """The case's own forms carry the contact number (the seeds' forms have the field):
    whole for the case's office, masked for the leader."""
    case = pii["city"]
    whole = pdf_text(
        tmp_path,
        signed_in(app, world.users["office"]).get(f"/office/cases/{case.number}/{slug}.pdf").data,
        "whole",
    )
    assert CITY_PHONE in whole
    leader = signed_in(app, world.users["leader"]).get(f"/office/cases/{case.number}/{slug}.pdf")
    assert leader.status_code == 200
    text = pdf_text(tmp_path, leader.data, "masked")
    assert masked(CITY_PHONE) in text and CITY_PHONE not in text


def test_c13_the_enterprise_sees_its_own_number(app, db, world, pii, tmp_path):
    case = pii["city"]
    client = signed_in(app, world.users["enterprise"])
    response = client.get(f"/cases/{case.number}/registration.pdf")
    assert response.status_code == 200
    assert CITY_PHONE in pdf_text(tmp_path, response.data)


def test_c13_the_rule_itself(db, world, pii):
    """`access.sees_contact` for every role on the city case: the enterprise and the
    assigned staff yes, everyone else no."""
    city, county = pii["city"], pii["county"]
    whole = {"enterprise", "office", "handler", "head"}
    for key, user in world.users.items():
        assert access.sees_contact(city, user) is (key in whole), key
    assert access.sees_contact(city, pii["co_handler"])
    assert not access.sees_contact(county, world.users["office"])  # the office above
    assert access.sees_contact(county, world.county_office_user)
    assert not access.sees_contact(city, world.county_office_user)  # not its case
    assert not access.sees_contact(county, world.users["enterprise"])  # not its own


# --------------------------------------------------------------------------- check 31

LIST_PAGES = {
    "office": [
        "/office/",
        "/office/?view=all",
        "/figures/",
        "/figures/counted?figure=received&part=denominator&month=2026-11",
        "/figures/counted?figure=awareness&part=denominator&month=2026-11",
        "/figures/review",
        "/figures/progress",
        "/figures/meeting",
        "/contacts/registry",
        "/contacts/coverage",
        "/notifications/",
    ],
    "leader": ["/office/", "/figures/", "/figures/review"],
    "inspector": ["/office/", "/office/?view=all", "/figures/review"],
    "handler": ["/workbench/", "/workbench/?view=all", "/notifications/"],
    "head": ["/workbench/"],
    "liaison": ["/contacts/", "/contacts/problems", "/notifications/"],
    "admin": [
        "/admin/users",
        "/admin/users?q=139",
        "/admin/outbox",
        "/admin/outbox?status=pending",
    ],
    "enterprise": ["/auth/colleagues", "/cases", "/notifications/"],
}


@pytest.mark.parametrize("who", sorted(LIST_PAGES))
def test_c31_no_list_page_shows_a_whole_phone_number(app, db, world, pii, who):
    """Every list, for every role that has lists: no whole mobile number in the HTML
    (regex), and none of the fixtures' numbers; the masked form is where a list shows one."""
    client = signed_in(app, world.users[who])
    phones = every_phone(db)
    for url in LIST_PAGES[who]:
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        assert MOBILE.findall(response.text) == [], url
        assert [p for p in phones if p in response.text] == [], url
    shows = {
        "admin": [masked(world.users["enterprise"].mobile), masked(CITY_PHONE)],
        "liaison": [masked(world.enterprise.contact_phone)],
        "enterprise": [masked(world.users["enterprise"].mobile)],
    }
    text = "".join(client.get(url).text for url in LIST_PAGES[who])
    for value in shows.get(who, []):
        assert value in text, value


EXPORTS = [  # (who, url, object_type)
    ("office", "/office/?view=all&format=xlsx", "queue"),
    ("handler", "/workbench/?view=all&format=xlsx", "queue"),
    (
        "office",
        "/figures/counted?figure=received&part=denominator&month=2026-11&format=xlsx",
        "figure",
    ),
    (
        "office",
        "/figures/counted?figure=awareness&part=denominator&month=2026-11&format=xlsx",
        "figure",
    ),
    ("office", "/figures/review?month=2026-11&format=xlsx", "review"),
    ("office", "/figures/progress?format=xlsx", "progress"),
    ("office", "/figures/meeting?format=xlsx", "meeting"),
    ("office", "/figures/bulletin.xlsx?month=2026-11", "bulletin"),
    ("office", "/contacts/ledgers.xlsx?month=2026-11", "ledger"),
    ("liaison", "/contacts/ledger.xlsx?month=2026-11", "ledger"),
]


def sheet_rows(data: bytes, *, numbered: bool = False) -> list[list[str]]:
    """Every data row (below the title and header rows) of every sheet; with `numbered`
    (the ledgers' seed forms, whose header fields take several rows) only the rows that
    start with their 序号."""
    rows = []
    for sheet in load_workbook(io.BytesIO(data)).worksheets:
        rows += [
            [str(v) for v in row if v is not None]
            for row in sheet.iter_rows(min_row=3, values_only=True)
            if not numbered or isinstance(row[0], int)
        ]
    return rows


def export_row(db) -> AuditLog:
    db.session.expire_all()
    found = list(db.session.scalars(sa.select(AuditLog).where(AuditLog.action == "export")))
    assert len(found) == 1, [(r.object_type, r.detail) for r in found]
    return found[0]


@pytest.mark.parametrize("who, url, what", EXPORTS)
def test_c31_each_bulk_export_is_audited_with_its_row_count(app, db, world, pii, who, url, what):
    """One audit row: who (user), what (object type and its selection), how many rows (the
    sheets' data rows)."""
    user = world.users[who]
    response = signed_in(app, user).get(url)
    assert response.status_code == 200
    row = export_row(db)
    count = len(sheet_rows(response.data, numbered=what == "ledger"))
    assert count or what in ("progress", "meeting", "review"), "nothing exported"
    assert (row.user_id, row.object_type, row.result, row.detail) == (
        user.id,
        what,
        "ok",
        f"{count} rows",
    )
    assert row.object_id  # the selection (filters, month, figure)


def test_c31_the_summary_list_is_audited_with_its_cases(app, db, world, pii):
    office = world.users["office"]
    signed_in(app, office).get("/office/summary-list.pdf?month=2026-11")
    row = export_row(db)
    assert (row.user_id, row.object_type, row.object_id) == (office.id, "summary_list", "2026-11")
    assert row.detail.startswith("2 rows: ")
    assert pii["city"].number in row.detail and pii["county"].number in row.detail


@pytest.mark.parametrize("who, url, what", [e for e in EXPORTS if e[0] != "liaison"])
def test_c31_exported_files_mask_like_their_lists(app, db, world, pii, who, url, what):
    """The sheets of lists carry no whole phone number: the queue and figure sheets none at
    all, the office's ledgers the enterprise's contact masked."""
    response = signed_in(app, world.users[who]).get(url)
    cells = " ".join(" ".join(row) for row in sheet_rows(response.data))
    assert MOBILE.findall(cells) == []
    if what == "ledger":
        assert masked(world.enterprise.contact_phone) in cells


def test_c31_the_summary_list_masks_all_but_the_users_own_cases(app, db, world, pii, tmp_path):
    """汇总清单 lists many cases: the office calls back the enterprises of its own cases, so
    their rows keep the number; the county's case, seen from above, is masked."""
    response = signed_in(app, world.users["office"]).get("/office/summary-list.pdf?month=2026-11")
    text = pdf_text(tmp_path, response.data)
    assert CITY_PHONE in text
    assert masked(COUNTY_PHONE) in text and COUNTY_PHONE not in text
    inspector = signed_in(app, world.users["inspector"]).get(
        "/office/summary-list.pdf?month=2026-11"
    )
    assert MOBILE.findall(pdf_text(tmp_path, inspector.data, "inspector")) == []


def test_c31_the_liaisons_own_ledger_keeps_the_number(app, db, world, pii):
    """The exception: the liaison who made the contact calls back from the ledger (Dalu
    附件1-4 "企业联络人员及电话"), so their own rows keep the number whole."""
    response = signed_in(app, world.users["liaison"]).get("/contacts/ledger.xlsx?month=2026-11")
    cells = " ".join(" ".join(row) for row in sheet_rows(response.data))
    assert world.enterprise.contact_phone in cells
