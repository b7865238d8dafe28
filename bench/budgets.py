"""Bytes and requests of the enterprise portal's first loads and htmx fragments, on the demo
data (tests/test_budgets.py asserts the same budgets on the test world).

    .venv/bin/python bench/budgets.py [--json bench/results/budgets.json]

For each page: the HTML (raw, as the app sends it, and gzip level 6), every referenced
stylesheet/script/image as the app serves it to `Accept-Encoding: gzip` and to
`Accept-Encoding: br, gzip` (HTTPS browsers), the totals, and the number of requests
(1 + referenced subresources); the same after sign-in, when the login page has already
loaded the (content-addressed, cached for a year) assets. Also what a browser asks for
unprompted: /favicon.ico when the page declares no icon. Fragments: bytes as served
(uncompressed HTML) and gzip.

Budgets: /whistle <= 30 KB gzip in all and <= 4 requests; /cases/<number> <= 20 KB gzip in
all; each htmx fragment <= 5 KB.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import sys
from pathlib import Path
from urllib.parse import urljoin, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchdb import DEMO_MOBILE, ThrowawayDatabase, bench_config, build  # noqa: E402
from bs4 import BeautifulSoup  # noqa: E402

from portal import create_app  # noqa: E402

KB = 1024
CSS_URL = re.compile(r"""url\(\s*['"]?([^'")]+)['"]?\s*\)|@import\s+['"]([^'"]+)['"]""")


def gz(data: bytes) -> int:
    return len(gzip.compress(data, compresslevel=6, mtime=0))


def sign_in(client):
    page = client.get("/auth/login")
    token = BeautifulSoup(page.text, "html.parser").find("input", {"name": "csrf_token"})["value"]
    response = client.post(
        "/auth/login",
        data={
            "login": DEMO_MOBILE,
            "password": client.application.config["DEMO_PASSWORD"],
            "csrf_token": token,
        },
    )
    assert response.status_code == 303
    return token


def referenced(html: str, base: str) -> list[str]:
    page = BeautifulSoup(html, "html.parser")
    urls = [t.get("href") for t in page.find_all("link") if t.get("href")]
    urls += [t.get("src") for t in page.find_all(["script", "img"]) if t.get("src")]
    # after-paint.js adds htmx (its data-src) once the page has painted: fetched all the same
    urls += [t.get("data-src") for t in page.find_all("script") if t.get("data-src")]
    return [urljoin(base, u) for u in urls if not u.startswith("data:")]


def served(client, url: str, accept: str) -> tuple[int, str, bytes]:
    parts = urlsplit(url)
    response = client.get(
        parts.path + (f"?{parts.query}" if parts.query else ""), headers={"Accept-Encoding": accept}
    )
    assert response.status_code == 200, url
    body = response.get_data()
    encoding = response.headers.get("Content-Encoding", "identity")
    plain = body
    if encoding == "gzip":
        plain = gzip.decompress(body)
    elif encoding == "br":
        import brotli

        plain = brotli.decompress(body)
    return len(body), encoding, plain


def weigh(client, path: str) -> dict:
    response = client.get(path)
    assert response.status_code == 200, path
    html = response.get_data()
    result = {"path": path, "html_raw": len(html), "html_gzip": gz(html), "resources": {}}
    queue = referenced(response.text, "http://localhost" + path)
    while queue:
        url = queue.pop(0)
        key = urlsplit(url).path
        if key in result["resources"]:
            continue
        size_gz, enc_gz, plain = served(client, url, "gzip")
        size_br, enc_br, _ = served(client, url, "br, gzip")
        result["resources"][key] = {
            "raw": len(plain),
            "gzip": size_gz if enc_gz == "gzip" else gz(plain),
            "served_gzip": size_gz,
            "encoding_gzip": enc_gz,
            "served_br": size_br,
            "encoding_br": enc_br,
        }
        if key.endswith(".css"):
            for a, b in CSS_URL.findall(plain.decode("utf-8", "replace")):
                if not (a or b).startswith("data:"):
                    queue.append(urljoin(url, a or b))
    res = result["resources"].values()
    result["total_gzip"] = result["html_gzip"] + sum(r["gzip"] for r in res)
    result["total_wire_http"] = result["html_raw"] + sum(r["served_gzip"] for r in res)
    result["total_wire_https_br"] = result["html_raw"] + sum(r["served_br"] for r in res)
    result["requests"] = 1 + len(result["resources"])
    has_icon = any(
        "icon" in (t.get("rel") or [])
        for t in BeautifulSoup(response.text, "html.parser").find_all("link")
    )
    if not has_icon:
        fav = client.get("/favicon.ico")
        result["implicit_favicon"] = {"status": fav.status_code, "bytes": len(fav.get_data())}
    return result


def fragment(client, method: str, path: str, **kwargs) -> dict:
    response = client.open(path, method=method, **kwargs)
    assert response.status_code == 200, path
    body = response.get_data()
    return {"path": path, "raw": len(body), "gzip": gz(body)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    with ThrowawayDatabase("sqlite") as url:
        app = create_app(bench_config(url))
        build(app)
        client = app.test_client()
        sign_in(client)
        cases = BeautifulSoup(client.get("/cases").text, "html.parser")
        number = cases.select_one('a[href^="/cases/"]')["href"].rsplit("/", 1)[1]
        token = BeautifulSoup(client.get("/whistle").text, "html.parser").find(
            "input", {"name": "csrf_token"}
        )["value"]
        pages = [
            weigh(client, "/whistle"),
            weigh(client, f"/cases/{number}"),
            weigh(client, "/cases"),
        ]
        # Every visit to these pages follows the sign-in page, which loads the same
        # content-addressed assets with a one-year cache: what is left to fetch then.
        signed_out = app.test_client()
        login_assets = set(weigh(signed_out, "/auth/login")["resources"])
        for p in pages:
            p["after_sign_in_gzip"] = p["html_gzip"] + sum(
                r["gzip"] for key, r in p["resources"].items() if key not in login_assets
            )
        hx = {"HX-Request": "true"}
        fragments = [
            fragment(client, "GET", f"/cases/{number}/status", headers=hx),
            fragment(
                client,
                "POST",
                "/whistle/similar",
                headers={**hx, "X-CSRFToken": token},
                data={"title": "招工难", "content": "春节后一线工人缺口约80人，招不到人"},
            ),
            fragment(client, "GET", "/whistle", headers=hx),
            fragment(client, "GET", f"/cases/{number}", headers=hx),
        ]
    budgets = {"/whistle": 30 * KB, f"/cases/{number}": 20 * KB}
    print("pages (first load, empty cache; demo data, signed in as 13800000001)")
    for p in pages:
        budget = budgets.get(p["path"])
        verdict = (
            ""
            if budget is None
            else (f"budget {budget} B: {'met' if p['total_gzip'] <= budget else 'MISSED'}")
        )
        if p["path"] == "/whistle":
            verdict += f", requests <= 4: {'met' if p['requests'] <= 4 else 'MISSED'}"
        print(f"  {p['path']}: HTML {p['html_raw']} B raw / {p['html_gzip']} B gzip")
        for key, r in p["resources"].items():
            print(
                f"      {key}: {r['raw']} B raw, served {r['served_gzip']} B {r['encoding_gzip']}"
                f" / {r['served_br']} B {r['encoding_br']}"
            )
        print(f"    total gzip {p['total_gzip']} B in {p['requests']} requests  {verdict}")
        print(
            f"    after sign-in (the login page's assets cached): {p['after_sign_in_gzip']} B gzip"
        )
        print(
            f"    as the app sends it (HTML uncompressed): {p['total_wire_http']} B over "
            f"HTTP (gzip assets), {p['total_wire_https_br']} B over HTTPS (br assets)"
        )
        if "implicit_favicon" in p:
            f = p["implicit_favicon"]
            print(
                f"    no <link rel=icon>: browsers also ask /favicon.ico -> {f['status']}, "
                f"{f['bytes']} B"
            )
    print("fragments (htmx, as served / gzip; budget 5120 B)")
    for f in fragments:
        print(
            f"  {f['path']}: {f['raw']} B / {f['gzip']} B gzip  "
            f"{'met' if f['raw'] <= 5 * KB else 'over 5 KB raw'}"
        )
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(
            json.dumps({"pages": pages, "fragments": fragments}, ensure_ascii=False, indent=2)
        )


if __name__ == "__main__":
    main()
