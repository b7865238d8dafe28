"""htmx forms behave like forms (issue 17 item 4): a sending form's button is disabled and
says so; a refused form never leaves a POST-only address in the address bar, and such an
address opened by GET leads to its page instead of 405."""

from __future__ import annotations

from bs4 import BeautifulSoup

from tests.conftest import csrf_from
from tests.test_enterprise import _replied_case

BOOSTED = {"HX-Request": "true", "HX-Boosted": "true"}


def test_a_refused_boosted_rating_keeps_the_case_address(client, db, world, login_as):
    case = _replied_case(db, world)
    login_as("enterprise")
    token = csrf_from(client.get(f"/cases/{case.number}").text)
    response = client.post(
        f"/cases/{case.number}/rating",
        data={"csrf_token": token, "rating-level": "", "rating-comment": "还没有解决"},
        headers=BOOSTED,
    )
    assert response.status_code in (200, 422)
    assert response.headers["HX-Push-Url"] == "false"  # not /cases/<n>/rating
    assert BeautifulSoup(response.text, "html.parser").select_one("#rating-level-error")


def test_a_refused_form_at_a_page_address_is_left_alone(client, db, world, login_as):
    login_as("enterprise")
    token = csrf_from(client.get("/whistle").text)
    response = client.post("/whistle", data={"csrf_token": token}, headers=BOOSTED)
    assert "HX-Push-Url" not in response.headers  # /whistle takes GET: a reload is fine


def test_a_post_only_address_opened_by_get_leads_to_its_page(client, db, world, login_as):
    case = _replied_case(db, world)
    login_as("enterprise")
    response = client.get(f"/cases/{case.number}/rating")
    assert response.status_code == 303
    assert response.headers["Location"] == f"/cases/{case.number}"
    assert client.get(f"/track/{case.number}/rating").headers["Location"] == (
        f"/track/{case.number}"
    )


def test_without_a_page_above_it_stays_405(client, world, login_as):
    login_as("office")
    assert client.get("/auth/keep-alive").status_code == 405


def test_the_submit_button_says_it_is_sending(client, world, login_as):
    login_as("enterprise")
    page = BeautifulSoup(client.get("/whistle").text, "html.parser")
    assert page.body["hx-disabled-elt"] == "find [data-busy]"
    busy = page.select("main form button[data-busy]")
    assert [b["data-busy"] for b in busy] == ["提交中…"]
    assert busy[0].get_text(strip=True) == "提交"
