"""The fault table of issue 18 item 1: whistles posted while PostgreSQL restarts.

    .venv/bin/python bench/db_restart.py [--users 8] [--posts 100] [--workers 2]
        [--restart-after 3] [--outage 0] [--think 1.0] [--json FILE]

A PostgreSQL cluster of its own (tests/security/test_faults.py's `private_postgres`: initdb
as the `postgres` OS user into /tmp, a free port, removed at the end) with the demo data,
served by the venv's gunicorn (`--workers` sync workers, rate limits off as in
bench/load.py). `--users` people, each signed in as the demo enterprise, whistle `--posts`
times each, as a person would: open the form, type (up to `--think` seconds), send it;
when the answer is the 503 they send the form it gives back (the same submission_key)
again, after its Retry-After (capped at half a second here, to keep the run short), until
a receipt, for at most 60 s.
`--restart-after` seconds into the run the cluster is restarted (`pg_ctl restart -m fast`,
or with `--outage N` stopped, kept down N seconds and started again).

The table: submissions attempted, stored (cases with the run's marks), lost (a receipt
shown, or the person gave up, and no case), duplicated (more than one case for one
submission), POSTs sent, answers (form GETs and POSTs) by status, 5xx among them (the
branded 503 with Retry-After and an error id; any other 5xx; dropped connections), and the
longest wait for a receipt.
Only 127.0.0.1 is ever targeted; the servers stop at the end.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402
from bs4 import BeautifulSoup  # noqa: E402

from tests.security.test_faults import (  # noqa: E402
    GUNICORN,
    Browser,
    free_port,
    migrate_with_demo_data,
    private_postgres,
    wait_for,
)

MARK = re.compile(r"bench-mark-([0-9a-f]{32})")


def replay_of(html: str) -> list[tuple[str, str]] | None:
    """The fields of the form a 503 gives back, or None when it is not the portal's."""
    form = BeautifulSoup(html, "html.parser").select_one("form.replay")
    if form is None:
        return None
    return [
        (f["name"], f.text if f.name == "textarea" else f.get("value", ""))
        for f in form.select("input, textarea")
        if f.get("type") != "file"
    ]


class Run:
    def __init__(self):
        self.lock = threading.Lock()
        self.statuses: collections.Counter = collections.Counter()
        self.branded_503 = self.other_5xx = self.dropped = self.posts = 0
        self.submissions: dict[str, dict] = {}

    def post(self, browser: Browser, port: int, data) -> tuple[int, str, str]:
        """POST the whistle; (status, Location, body)."""
        with self.lock:
            self.posts += 1
        return self.send(browser, port, data)

    def send(self, browser: Browser, port: int, data=None) -> tuple[int, str, str]:
        """GET the whistle form, or POST it with `data`; (status, Location, body), every
        answer counted by status."""
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/whistle",
            data=urllib.parse.urlencode(data).encode() if data is not None else None,
        )
        try:
            with browser.opener.open(request, timeout=30) as response:
                status, headers, body = response.status, response.headers, response.read()
        except urllib.error.HTTPError as error:
            status, headers, body = error.code, error.headers, error.read()
        except (urllib.error.URLError, ConnectionError, OSError):
            with self.lock:
                self.dropped += 1
                self.statuses["dropped"] += 1
            return 0, "", ""
        html = body.decode(errors="replace")
        with self.lock:
            self.statuses[status] += 1
            if status >= 500:
                branded = (
                    status == 503
                    and headers.get("Retry-After")
                    and re.search(r"<code>[0-9a-f]{8}</code>", html)
                )
                if branded:
                    self.branded_503 += 1
                else:
                    self.other_5xx += 1
        return status, headers.get("Location", ""), html


def person(run: Run, port: int, posts: int, number: int, think: float) -> None:
    browser = Browser()
    while browser.sign_in(port, "13800000001", "demo12345") != 303:
        time.sleep(0.5)
    for n in range(posts):
        mark = uuid.uuid4().hex
        while True:  # the form page itself may be the 503 while the database is away
            status, _location, html = run.send(browser, port)
            if status == 200:
                break
            time.sleep(0.5)
        page = BeautifulSoup(html, "html.parser")
        form = {
            "csrf_token": page.select_one("input[name=csrf_token]")["value"],
            "submission_key": page.select_one("#submission_key")["value"],
            "level": "local",
            "case_type": "business",
            "category": "4",
            "title": f"重启压测{number}-{n}",
            "content": f"数据库重启期间提交的诉求 bench-mark-{mark}，请核实。",
            "contact_name": "王经理",
            "contact_phone": "13800000001",
            "confirm_new": "1",
        }
        time.sleep(random.uniform(0, think))  # typing
        record = {"key": form["submission_key"], "receipts": [], "tries": 0, "gave_up": False}
        with run.lock:
            run.submissions[mark] = record
        data, started = form, time.monotonic()
        while True:
            record["tries"] += 1
            status, location, html = run.post(browser, port, data)
            if status == 303:
                record["receipts"].append(location)
                record["wait"] = time.monotonic() - started
                break
            if time.monotonic() - started > 60:
                record["gave_up"] = True
                break
            data = (replay_of(html) if status == 503 else None) or data
            time.sleep(0.5)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=8)
    parser.add_argument("--posts", type=int, default=100)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--restart-after", type=float, default=3.0)
    parser.add_argument("--outage", type=float, default=0.0)
    parser.add_argument("--think", type=float, default=1.0)
    parser.add_argument("--json")
    args = parser.parse_args()

    run = Run()
    with private_postgres() as cluster:
        url = cluster.url()
        migrate_with_demo_data(url)
        port = free_port()
        log = open(Path(cluster.folder) / "gunicorn.log", "w")
        server = subprocess.Popen(
            [
                str(GUNICORN),
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                str(args.workers),
                "--timeout",
                "60",
                "--chdir",
                str(BENCH),
                "app_wsgi:app",
            ],
            env={**os.environ, "BENCH_DATABASE_URL": url},
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
        try:
            wait_for(port)
            people = [
                threading.Thread(target=person, args=(run, port, args.posts, n, args.think))
                for n in range(args.users)
            ]
            began = time.monotonic()
            for thread in people:
                thread.start()
            time.sleep(args.restart_after)
            fault_at = time.monotonic() - began
            if args.outage:
                cluster.pg_ctl("-m", "fast", "stop")
                time.sleep(args.outage)
                cluster.start()
            else:
                cluster.restart()
            back_at = time.monotonic() - began
            for thread in people:
                thread.join()
            took = time.monotonic() - began
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(30)
            log.close()

        engine = sa.create_engine(url)
        with engine.connect() as conn:
            contents = conn.scalars(sa.text('SELECT content FROM "case"')).all()
        engine.dispose()

    stored = collections.Counter(m.group(1) for c in contents if (m := MARK.search(c)))
    subs = run.submissions
    lost = [m for m in subs if not stored[m]]
    duplicated = sum(n - 1 for n in stored.values() if n > 1)
    wrong_receipt = [m for m, r in subs.items() if len(set(r["receipts"])) > 1]
    waits = sorted(r.get("wait", 0) for r in subs.values() if r["receipts"])
    table = {
        "submissions attempted": len(subs),
        "stored": sum(1 for m in subs if stored[m]),
        "lost": len(lost),
        "duplicated": duplicated,
        "gave up": sum(1 for r in subs.values() if r["gave_up"]),
        "POSTs sent": run.posts,
        "requests sent (form GETs and POSTs)": sum(run.statuses.values()),
        "resent after a 503": sum(r["tries"] - 1 for r in subs.values()),
        "5xx: branded 503": run.branded_503,
        "5xx: other": run.other_5xx,
        "dropped connections": run.dropped,
        "answers by status": {str(k): v for k, v in sorted(run.statuses.items(), key=str)},
        "longest wait for a receipt (s)": round(waits[-1], 2) if waits else None,
        "fault": f"{'stop ' + str(args.outage) + ' s' if args.outage else 'pg_ctl restart -m fast'}"
        f" at {fault_at:.1f} s, up again at {back_at:.1f} s, run {took:.1f} s",
        "setup": f"{args.users} people x {args.posts} whistles (typing up to {args.think} s), "
        f"gunicorn {args.workers} sync workers, PostgreSQL (private cluster, fsync off)",
    }
    assert not wrong_receipt, wrong_receipt
    print("| measure | value |\n|---|---|")
    for key, value in table.items():
        print(f"| {key} | {value} |")
    if args.json:
        Path(args.json).write_text(json.dumps(table, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
