"""Measure the portal's pages: bytes on the wire and server time, page against fragment.

    .venv/bin/python bench/pages.py [--runs 50]

Builds a throw-away SQLite database with the demo data, signs in as each role through the
real login form, and requests each screen `--runs` times as a full page and as an htmx
fragment. Reports medians (the machine is noisy) and ratios, never single timings.
"""

from __future__ import annotations

import argparse
import gzip
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bs4 import BeautifulSoup  # noqa: E402
from flask_migrate import upgrade  # noqa: E402

from portal import create_app, demo  # noqa: E402
from portal.config import TestConfig  # noqa: E402
from portal.extensions import db  # noqa: E402

SCREENS = [
    ("/", None),
    ("/auth/login", None),
    ("/cases", "13800000001"),
    ("/workbench/", "handler"),
    ("/office/", "office"),
    ("/contacts/", "liaison"),
    ("/admin/calendar", "admin"),
]


def sign_in(client, login, password):
    page = client.get("/auth/login")
    token = BeautifulSoup(page.text, "html.parser").find("input", {"name": "csrf_token"})["value"]
    response = client.post(
        "/auth/login", data={"login": login, "password": password, "csrf_token": token}
    )
    assert response.status_code == 303, login


def timed(client, path, runs, headers=None):
    samples, body = [], b""
    for _ in range(runs):
        start = time.perf_counter()
        response = client.get(path, headers=headers or {})
        samples.append(time.perf_counter() - start)
        body = response.data
    return statistics.median(samples) * 1000, body


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        config = {k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()}
        config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{tmp}/bench.db"
        app = create_app(config)
        with app.app_context():
            upgrade()
            demo.load(db.session, password="bench-password", now=datetime.now(UTC))
            db.session.commit()
        css = (ROOT / "portal/static/css/portal.css").read_bytes()
        htmx = (ROOT / "portal/static/js/htmx.min.js").read_bytes()
        print(
            f"static: portal.css {len(css)} B ({len(gzip.compress(css))} B gzip), "
            f"htmx.min.js {len(htmx)} B ({len(gzip.compress(htmx))} B gzip)"
        )
        print(
            f"{'screen':<16}{'page B':>8}{'gzip B':>8}{'frag B':>8}{'frag/page':>10}"
            f"{'page ms':>9}{'frag ms':>9}"
        )
        for path, login in SCREENS:
            client = app.test_client()
            if login:
                sign_in(client, login, "bench-password")
            page_ms, page = timed(client, path, args.runs)
            frag_ms, frag = timed(client, path, args.runs, {"HX-Request": "true"})
            print(
                f"{path:<16}{len(page):>8}{len(gzip.compress(page)):>8}{len(frag):>8}"
                f"{len(frag) / len(page):>10.2f}{page_ms:>9.2f}{frag_ms:>9.2f}"
            )


if __name__ == "__main__":
    main()
