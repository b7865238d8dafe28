"""Staff see work first (issue 17 item 5): the queue opens on its cases with the filters
folded above them; the office reads the reply it approves in full; the liaison calls an
assigned enterprise from the list."""

from __future__ import annotations

from bs4 import BeautifulSoup

from portal.domain import workflow
from portal.domain.calendar import WorkCalendar
from tests import factories


def _page(response) -> BeautifulSoup:
    assert response.status_code == 200
    return BeautifulSoup(response.text, "html.parser")


def test_the_queue_opens_on_the_cases_with_filters_folded(client, db, world, login_as):
    factories.case(db.session, world.city, enterprise=world.enterprise)
    db.session.commit()
    login_as("office")
    page = _page(client.get("/office/"))
    fold = page.select_one("main details.filters-fold")
    assert fold is not None and not fold.has_attr("open")
    assert fold.select_one("form.filters") and fold.select_one("form.summary-list")
    assert page.select_one("#queue table.queue tbody tr a")  # the cases, one tap away
    searched = _page(client.get("/office/?q=招工"))
    assert searched.select_one("main details.filters-fold").has_attr("open")


def test_the_office_reviews_the_reply_in_full(client, db, world, login_as):
    case = factories.dispatched(db.session, world, world.department)
    handler = world.users["handler"]
    workflow.sign(db.session, case, by=handler, at=factories.now())
    text = "已协调人社局举办专场招聘会。" * 40  # long: shown whole, not cut
    workflow.reply(db.session, WorkCalendar(), case, by=handler, text=text, at=factories.now())
    db.session.commit()
    login_as("office")
    page = _page(client.get(f"/office/cases/{case.number}"))
    step = page.select_one("#step-approve_reply")
    assert step is not None
    assert step.select_one(".reply-to-review").get_text() == text
    assert "这份答复没有附件" in step.get_text()


def test_the_liaison_calls_an_assigned_enterprise_from_the_list(client, db, world, login_as):
    world.enterprise.contact_phone = "13800000009"
    db.session.commit()
    login_as("liaison")
    page = _page(client.get("/contacts/"))
    call = page.select_one("ul.enterprises a.call")
    assert "13800000009" not in str(call)  # a list masks it (SECURITY.md check 31)
    assert call.get_text(strip=True).startswith("拨打")
    record = _page(client.get(call["href"].split("#")[0]))
    assert record.select_one("a#call")["href"] == "tel:13800000009"  # one tap to dial
