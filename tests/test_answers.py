"""Answers for consultations (知识库, issue 10 item 3): the office keeps published answers; while
an enterprise types a consultation, the whistle form's htmx hint shows up to three matching
ones; one that settles it is counted on the dashboard; staff turn a reply into an answer."""

from __future__ import annotations

import gzip

import pytest
import sqlalchemy as sa
from bs4 import BeautifulSoup

from portal.domain import answers
from portal.domain.models import Answer, Deflection, JurisdictionLevel
from tests import factories
from tests.conftest import csrf_from

SUBSIDY = "稳岗补贴怎么申领？需要哪些材料？"
SUBSIDY_ANSWER = "登录人社局网上办事大厅，提交参保证明和营业执照，20个工作日内审核发放。"


def add(
    db,
    world,
    question=SUBSIDY,
    text=SUBSIDY_ANSWER,
    *,
    keywords="稳岗 补贴 申领",
    published=True,
    jurisdiction=None,
):
    found = answers.save(
        db.session,
        by=world.users["office"],
        at=factories.now(),
        question=question,
        text=text,
        source="潮人社〔2026〕12号",
        keywords=keywords,
        published=published,
        jurisdiction=jurisdiction,
    )
    db.session.commit()
    return found


def hint(client, content, case_type="consultation", title=""):
    token = csrf_from(client.get("/whistle").text)
    return client.post(
        "/whistle/similar",
        data={"csrf_token": token, "case_type": case_type, "title": title, "content": content},
        headers={"HX-Request": "true", "HX-Target": "similar"},
    )


def test_the_best_matches_first_and_only_published_ones(db, world):
    add(db, world)
    add(db, world, "高新技术企业认定的条件是什么？", "研发费用占比…", keywords="高企 认定")
    add(db, world, "稳岗补贴的标准是多少？", "按上年度失业保险费的一定比例…", keywords="稳岗 补贴")
    add(db, world, "稳岗补贴申领材料有哪些", "内部草稿", published=False)
    found = answers.hints(db.session, [world.city.id], "请问稳岗补贴怎么申领，要什么材料")
    assert [a.question for a in found][:2] == [SUBSIDY, "稳岗补贴的标准是多少？"]
    assert all(a.published for a in found)
    assert answers.hints(db.session, [world.city.id], "补贴") == []  # too short to judge


def test_a_county_enterprise_sees_its_citys_answers_not_another_citys(db, world):
    add(db, world)
    other_city = factories.jurisdiction(db.session, name="外市", level=JurisdictionLevel.CITY)
    add(db, world, "外市的稳岗补贴怎么申领？", "外市答复", jurisdiction=other_city)
    county = answers.places_for(world.county)
    found = answers.hints(db.session, county, "稳岗补贴怎么申领")
    assert [a.question for a in found] == [SUBSIDY]


def test_the_hint_shows_up_to_three_answers_within_3_kb(client, db, world, login_as):
    for n in range(5):
        add(db, world, f"稳岗补贴怎么申领？（第{n}类企业）", SUBSIDY_ANSWER * 3)
    login_as("enterprise")
    response = hint(client, "我们想问稳岗补贴怎么申领")
    assert response.status_code == 200
    soup = BeautifulSoup(response.text, "html.parser")
    assert len(soup.select(".answers li")) == 3
    assert len(gzip.compress(response.data, 6)) <= 3 * 1024
    assert soup.select(".answers ul[hx-disable]")  # the answers' text stays inert
    business = hint(client, "我们想问稳岗补贴怎么申领", case_type="business")
    assert "answers" not in business.text  # only a consultation gets answers


def test_an_answer_that_settles_it_is_counted_and_nothing_is_sent(client, db, world, login_as):
    found = add(db, world)
    login_as("enterprise")
    token = csrf_from(client.get("/whistle").text)
    response = client.post(f"/answers/{found.id}/settled", data={"csrf_token": token})
    assert response.status_code == 303 and response.headers["Location"] == "/cases"
    row = db.session.scalar(sa.select(Deflection))
    assert (row.answer_id, row.enterprise_id) == (found.id, world.enterprise.id)
    assert db.session.scalar(sa.text('SELECT count(*) FROM "case"')) == 0
    elsewhere = add(
        db,
        world,
        "外市问题稳岗补贴",
        "外市",
        jurisdiction=factories.jurisdiction(db.session, name="外市", level=JurisdictionLevel.CITY),
    )
    assert (
        client.post(f"/answers/{elsewhere.id}/settled", data={"csrf_token": token}).status_code
        == 404
    )


def test_the_dashboard_counts_settled_consultations(client, db, world, login_as):
    found = add(db, world)
    answers.settled(db.session, found, by=world.users["enterprise"], at=factories.now())
    db.session.commit()
    login_as("office")
    page = BeautifulSoup(client.get("/figures/?month=2026-11").text, "html.parser")
    assert "2026-11：1 件" in page.select_one("section[aria-labelledby=deflected]").text


def test_the_office_adds_and_changes_answers_bad_input_kept(client, db, world, login_as):
    login_as("office")
    token = csrf_from(client.get("/office/answers/new").text)
    bad = client.post(
        "/office/answers/new",
        data={"csrf_token": token, "question": SUBSIDY, "answer": "", "published": "y"},
    )
    assert bad.status_code == 200
    soup = BeautifulSoup(bad.text, "html.parser")
    assert soup.select_one("#question")["value"] == SUBSIDY
    assert "请填写答复" in soup.select_one("#answer").find_parent(class_="field").text
    done = client.post(
        "/office/answers/new",
        data={
            "csrf_token": token,
            "question": SUBSIDY,
            "answer": SUBSIDY_ANSWER,
            "source": "潮人社〔2026〕12号",
            "source_date": "2026-03-01",
            "keywords": "稳岗",
            "published": "y",
        },
    )
    assert done.status_code == 303
    found = db.session.scalar(sa.select(Answer))
    assert (found.question, found.source_date.isoformat()) == (SUBSIDY, "2026-03-01")
    assert SUBSIDY in client.get("/office/answers?q=稳岗").text
    client.post(
        f"/office/answers/{found.id}",
        data={"csrf_token": token, "question": "稳岗补贴如何申领？", "answer": SUBSIDY_ANSWER},
    )
    db.session.expire_all()
    assert (found.question, found.published) == ("稳岗补贴如何申领？", False)
    assert answers.hints(db.session, [world.city.id], "稳岗补贴如何申领") == []


def test_a_reply_becomes_an_answer(client, db, world, login_as):
    case = factories.case(
        db.session, world.city, enterprise=world.enterprise, title="稳岗补贴怎么申领"
    )
    factories.replied(db.session, world, case, text=SUBSIDY_ANSWER)
    open_case = factories.case(db.session, world.city, enterprise=world.enterprise)
    db.session.commit()
    login_as("office")
    page = client.get(f"/office/cases/{case.number}").text
    assert f"/office/answers/new?case={case.number}" in page
    form = BeautifulSoup(client.get(f"/office/answers/new?case={case.number}").text, "html.parser")
    assert form.select_one("#question")["value"] == "稳岗补贴怎么申领"
    assert SUBSIDY_ANSWER in form.select_one("#answer").text
    assert client.get(f"/office/answers/new?case={open_case.number}").status_code == 404


@pytest.mark.parametrize("role", ["handler", "enterprise", "leader"])
def test_only_the_office_keeps_the_answers(client, db, world, login_as, role):
    login_as(role)
    assert client.get("/office/answers").status_code == 403
