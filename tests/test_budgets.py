"""Byte budgets of the enterprise portal (the issue's "first load" figures), checked the way a
phone meets them: the page's HTML plus every stylesheet, script and image it references.

- `/whistle` first load: at most 30 KB gzip in all and at most 4 requests.
- `/cases/<number>` first load: at most 20 KB gzip in all.
- `/contacts` for a liaison with 300 enterprises: at most 30 KB gzip in all.
- each htmx fragment the pages request (`/cases/<number>/status`, `/whistle/similar`): at
  most 5 KB. (Every screen also has a whole-content fragment for non-boosted htmx requests;
  no page asks for one today, so `bench/budgets.py` only reports their size.)

How it counts (no browser cache, no web fonts):
- HTML: the gzip size of the body (level 6, what a gzip-ing proxy or server sends). The portal
  itself sends pages uncompressed (BREACH, portal/web/assets.py); `bench/budgets.py` prints
  those raw bytes as well.
- Subresources: every `<link href>` (stylesheet, icon, preload), `<script src>`, `<img src>`,
  the script a `<script data-src>` adds once the page has painted (htmx, base.html) and
  every `url()`/`@import` inside a referenced stylesheet, fetched through the app with
  `Accept-Encoding: gzip` and counted as served (compressed bytes when the app compresses
  them, otherwise their gzip size).
- Requests: 1 (the page) + the referenced subresources.
- Fragments: the bytes as served (htmx fragments are HTML and go out uncompressed), which
  is also an upper bound for their gzip size.

The data are the worst realistic case for each screen: a case replied to and waiting for a
rating (so both forms show), with the enterprise's additions, a reply and two attachments;
three similar open cases for the duplicate hint (its limit).
"""

from __future__ import annotations

import gzip
import re
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from urllib.parse import urljoin, urlsplit

from bs4 import BeautifulSoup

from portal.domain import workflow
from portal.domain.models import Attachment
from tests import factories
from tests.conftest import csrf_from

KB = 1024
WHISTLE_BYTES, WHISTLE_REQUESTS = 30 * KB, 4
CASE_BYTES = 20 * KB
FRAGMENT_BYTES = 5 * KB

_CSS_URL = re.compile(r"""url\(\s*['"]?([^'")]+)['"]?\s*\)|@import\s+['"]([^'"]+)['"]""")


def gzip_size(data: bytes) -> int:
    return len(gzip.compress(data, compresslevel=6, mtime=0))


@dataclass
class Weight:
    html_raw: int
    html_gzip: int
    resources: dict[str, int] = field(default_factory=dict)  # url -> gzip bytes as served

    @property
    def total(self) -> int:
        return self.html_gzip + sum(self.resources.values())

    @property
    def requests(self) -> int:
        return 1 + len(self.resources)

    def __str__(self) -> str:
        parts = ", ".join(f"{urlsplit(u).path} {n} B" for u, n in self.resources.items())
        return (
            f"HTML {self.html_raw} B ({self.html_gzip} B gzip) + {parts} = {self.total} B "
            f"in {self.requests} requests"
        )


def _referenced(html: str, base: str) -> list[str]:
    page = BeautifulSoup(html, "html.parser")
    urls = [tag.get("href") for tag in page.find_all("link") if tag.get("href")]
    urls += [tag.get("src") for tag in page.find_all(["script", "img"]) if tag.get("src")]
    # A script that loads another later (after-paint.js adds htmx): that one counts too.
    urls += [tag.get("data-src") for tag in page.find_all("script") if tag.get("data-src")]
    return [urljoin(base, u) for u in urls if not u.startswith("data:")]


def _fetch(client, url: str) -> tuple[int, bytes]:
    """The gzip bytes of one subresource as the app serves it, and its plain body."""
    parts = urlsplit(url)
    assert parts.netloc in ("", "localhost"), f"external resource {url}"
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    response = client.get(target, headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200, url
    raw = response.get_data()
    if response.headers.get("Content-Encoding") == "gzip":
        return len(raw), gzip.decompress(raw)
    return gzip_size(raw), raw


def weigh(client, path: str) -> Weight:
    response = client.get(path)
    assert response.status_code == 200, path
    body = response.get_data()
    weight = Weight(len(body), gzip_size(body))
    queue = _referenced(response.text, "http://localhost" + path)
    while queue:
        url = queue.pop(0)
        if url in weight.resources:
            continue
        size, plain = _fetch(client, url)
        weight.resources[url] = size
        if urlsplit(url).path.endswith(".css"):
            for a, b in _CSS_URL.findall(plain.decode("utf-8", "replace")):
                ref = a or b
                if not ref.startswith("data:"):
                    queue.append(urljoin(url, ref))
    return weight


# --------------------------------------------------------------------------- data


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def replied_case(db, world):
    """A case the enterprise added to twice, dispatched, replied to an hour ago and waiting
    for its rating: the case page at its fullest."""
    at = _now() - timedelta(days=3)
    case = factories.case(
        db.session,
        world.city,
        enterprise=world.enterprise,
        by=world.users["enterprise"],
        at=at,
        title="春节后一线工人缺口约80人，网上招聘两个月仍招不到人",
    )
    case.content = (
        "我公司主营日用陶瓷，春节后一线工人缺口约80人。已在人社局网站和本地招聘群发布"
        "招聘信息两个月，仍招不到人，影响订单交付。希望协调举办专场招聘会，"
        "并了解稳岗补贴政策。"
    ) * 2
    user = world.users["enterprise"]
    for n, text in enumerate(
        ("补充：缺口主要是成型、施釉岗位，可提供宿舍。", "补充：附上近两个月的招聘记录和岗位说明。")
    ):
        workflow.record_event(
            db.session,
            case,
            action="supplement",
            by=user,
            at=at + timedelta(hours=n + 1),
            note=text,
            visible_to_enterprise=True,
        )
    for n, name in enumerate(("招聘记录.pdf", "岗位说明.jpg")):
        db.session.add(
            Attachment(
                case=case,
                filename=name,
                stored_name=secrets.token_hex(16),
                content_type="application/pdf",
                size=180_000 + n,
                sha256="0" * 64,
                uploaded_by_id=user.id,
                uploaded_at=at,
                visible_to_enterprise=True,
            )
        )
    factories.replied(
        db.session,
        world,
        case,
        at=_now() - timedelta(hours=1),
        text="已联系市人社局，定于下周三在贵司所在镇举办专场招聘会，"
        "稳岗补贴申报材料清单已通过短信发送给联系人。",
    )
    db.session.commit()
    return case


def similar_cases(db, world, count=3):
    cases = []
    for n in range(count):
        case = factories.case(
            db.session,
            world.city,
            enterprise=world.enterprise,
            at=_now() - timedelta(days=n + 1),
            title=f"春节后一线工人缺口约{30 + n}人，招不到人",
        )
        case.content = "春节后一线工人缺口约30人，已在网上发布招聘，仍招不到人。"
        cases.append(case)
    db.session.commit()
    return cases


# --------------------------------------------------------------------------- first loads


def test_whistle_first_load(client, world, login_as):
    login_as("enterprise")
    weight = weigh(client, "/whistle")
    print(f"/whistle: {weight}")
    assert weight.requests <= WHISTLE_REQUESTS, str(weight)
    assert weight.total <= WHISTLE_BYTES, str(weight)


def test_case_page_first_load(client, db, world, login_as):
    case = replied_case(db, world)
    login_as("enterprise")
    weight = weigh(client, f"/cases/{case.number}")
    print(f"/cases/{case.number}: {weight}")
    assert weight.total <= CASE_BYTES, str(weight)


def test_the_case_page_really_is_at_its_fullest(client, db, world, login_as):
    """Guards the data above: a change that hid the forms would make the budget meaningless."""
    case = replied_case(db, world)
    login_as("enterprise")
    page = BeautifulSoup(client.get(f"/cases/{case.number}").text, "html.parser")
    assert page.select('input[name="rating-level"]'), "rating form missing"
    assert page.select_one(f'a[href="/cases/{case.number}/information"]'), "supplement link missing"
    assert len(page.select("ol.timeline li")) == 7


# --------------------------------------------------------------------------- fragments


def _fragment(client, method: str, path: str, **kwargs) -> bytes:
    response = client.open(path, method=method, **kwargs)
    assert response.status_code == 200, path
    body = response.get_data()
    assert b"<html" not in body, f"{path} answered a whole page to htmx"
    return body


def _check_fragment(name: str, body: bytes) -> None:
    print(f"{name}: {len(body)} B ({gzip_size(body)} B gzip)")
    assert len(body) <= FRAGMENT_BYTES, f"{name}: {len(body)} B"


def test_status_fragment(client, db, world, login_as):
    case = replied_case(db, world)
    login_as("enterprise")
    body = _fragment(client, "GET", f"/cases/{case.number}/status", headers={"HX-Request": "true"})
    _check_fragment("status", body)


def test_similar_fragment_with_three_hits(client, db, world, login_as):
    cases = similar_cases(db, world)
    login_as("enterprise")
    token = csrf_from(client.get("/whistle").text)
    body = _fragment(
        client,
        "POST",
        "/whistle/similar",
        headers={"HX-Request": "true", "X-CSRFToken": token},
        data={"title": "缺工", "content": "春节后一线工人缺口30人，招不到人"},
    )
    assert body.count(b'name="add_to"') == len(cases)
    _check_fragment("similar", body)


# --------------------------------------------------------------------------- contact ledger

CONTACTS_BYTES = 30 * KB


def test_contacts_first_load_with_300_enterprises(client, db, world, login_as):
    """The contact-ledger issue: `/contacts` for a liaison with 300 enterprises <= 30 KB gzip
    (HTML and what it references), half of them contacted this month."""
    from portal.domain.calendar import local_date
    from portal.domain.models import ContactMethod, ContactRecord, LiaisonAssignment

    liaison = world.users["liaison"]
    today = local_date(datetime.now(UTC))
    for n in range(300):
        e = factories.enterprise(db.session, world.county, name=f"潮州市第{n}号陶瓷有限公司")
        e.contact_phone = f"1380000{n:04d}"
        db.session.add(
            LiaisonAssignment(enterprise=e, unit=liaison.unit, user=liaison, assigned_at=_now())
        )
        if n % 2:
            db.session.add(
                ContactRecord(
                    enterprise=e,
                    unit_id=liaison.unit_id,
                    user=liaison,
                    contacted_on=today,
                    method=ContactMethod.VISIT,
                    created_at=_now(),
                )
            )
    db.session.commit()
    login_as("liaison")
    weight = weigh(client, "/contacts/")
    print(f"/contacts/: {weight}")
    # Each row carries its enterprise's number, masked as lists show them (SECURITY.md 31;
    # the record page has it whole, as a tel: link).
    assert client.get("/contacts/").text.count("138****") >= 300
    assert weight.total <= CONTACTS_BYTES, str(weight)
