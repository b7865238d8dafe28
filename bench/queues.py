"""Server time, bytes and SQL statements of the staff queues (office desk, workbench) with many
cases.

    .venv/bin/python bench/queues.py --db sqlite|postgresql [--cases 10000] [--runs 100]
        [--warmup 10] [--pg-url postgresql://127.0.0.1:5432/test] [--show-sql]
        [--profile SCREEN] [--json bench/results/queues-sqlite.json]

Builds a throw-away database (a SQLite file in a temporary folder, or a PostgreSQL database
of its own created next to --pg-url and dropped at the end), migrates it with
flask_migrate.upgrade, loads the demo data and bulk-inserts cases up to --cases in all with
benchdb.build(staff=True): about 60 % of the whistles go to the city, so the city office
(`office`, 市领导小组办公室, jurisdiction 445100) has thousands of cases on its desk
(submitted, accepted, replied, rated, escalated, awaiting a rating past the window); open
cases are recent (ages around 9 days) with the limits the jurisdiction's policy gives them
(contact, dispatch, sign, finish, rating window, return ruling), so some are overdue and
some not; about a third of the city's dispatches are led by 市人力资源和社会保障局 (`handler`,
`head`), others co-handled with it; returns, progress reports, supervision notices and
extension requests are there too. `office_id` is the receiving office of every case.

Then, through the Flask test client signed in via the login form as `office`, `handler` and
`head`, it times --runs requests of each screen after --warmup (wall-clock and CPU of this
thread, which includes SQLite but not the PostgreSQL server), and, once per screen, weighs
the HTML (bytes as sent, and gzip level 6), counts its rows, and counts the SQL statements it
sends (a `before_cursor_execute` listener):

    GET /office/ (desk) · ?view=all · ?view=all&page=50 · ?view=all&overdue=y ·
    ?view=all&q=<an enterprise's name> · the htmx fragment of ?view=all&page=2
    (HX-Request: true, HX-Target: queue) · GET /workbench/ as handler and as head

and, to show that the statements do not depend on the page size, each queue again filtered
to a single row (q=<a case number>), desk and all, with and without a lead unit on the row.
First loads with an empty cache (the HTML plus the stylesheets and scripts it references,
gzip) are weighed for /office/ and /workbench/.

Columns: rows on the page, bytes as sent, gzip bytes, median and p90 wall-clock ms, median
CPU ms, median ms inside cursor.execute ("in SQL": the database's share seen from the app),
statements. --show-sql lists each screen's statements with their median execute time;
--profile SCREEN (a name in the first column) runs cProfile over --runs requests of it.

Budgets (the issue): a queue page over 10,000 cases: median server time <= 30 ms on SQLite and
PostgreSQL, <= 40 KB gzip (the HTML; the first load with its assets is printed beside it),
a constant number of SQL statements whatever the page size. Throughput under load (>= 0.25
of hello-world) is bench/load.py's. The app runs with the production-shaped Config (TESTING
off), rate limits off.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import platform
import pstats
import re
import statistics
import sys
import time
from collections import Counter
from datetime import date
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent))

import sqlalchemy as sa  # noqa: E402
from benchdb import DEFAULT_PG_URL, DEMO_MOBILE, ThrowawayDatabase, bench_config, build  # noqa: E402
from bs4 import BeautifulSoup  # noqa: E402
from budgets import gz, weigh  # noqa: E402
from cases_scale import StatementCounter, p90, sign_in  # noqa: E402
from sqlalchemy import event  # noqa: E402

from portal import create_app  # noqa: E402
from portal.domain import queues  # noqa: E402
from portal.domain.calendar import local_date  # noqa: E402
from portal.domain.models import Case, CaseState, Enterprise, OrgUnit, User  # noqa: E402
from portal.extensions import db  # noqa: E402
from portal.web.sessions import utcnow  # noqa: E402

BUDGET_MS = 30.0
BUDGET_GZIP = 40 * 1024
FRAGMENT = {"HX-Request": "true", "HX-Target": "queue"}
STAFF = ("office", "handler", "head")


IN_LIST = re.compile(r"IN \((?:[^()]|\([^()]*\))*\)")


def shape(statement: str) -> str:
    """A statement with its IN (...) lists folded, so that pages of other ids compare equal."""
    return IN_LIST.sub("IN (…)", statement)


def kind(statement: str) -> str:
    """What a statement reads: its main SELECT up to WHERE (a leading WITH cut off), so that
    the same statement under another filter counts as the same kind."""
    main = statement.split(") SELECT ", 1)[1] if statement.startswith("WITH") else statement
    main = main.removeprefix("SELECT ")
    return "SELECT " + shape(main).split(" WHERE ", 1)[0]


def observe(app, client, path, headers=None) -> tuple[bytes, list[str]]:
    """One request: its body and the SQL statements it sent."""
    counter = StatementCounter()
    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", counter)
    try:
        response = client.get(path, headers=headers or {})
    finally:
        event.remove(engine, "before_cursor_execute", counter)
    assert response.status_code == 200, (path, response.status_code)
    return response.get_data(), counter.statements


def statement_times(app, client, path, headers=None, repeats=9) -> list[tuple[float, str]]:
    """Each statement of the request with its median execute time (ms) over `repeats`."""
    with app.app_context():
        engine = db.engine
    samples: list[list[tuple[str, float]]] = []
    current: list[tuple[str, float]] = []
    started = [0.0]

    def before(*_args):
        started[0] = time.perf_counter()

    def after(_conn, _cursor, statement, *_args):
        current.append((" ".join(statement.split()), (time.perf_counter() - started[0]) * 1000))

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    try:
        for _ in range(repeats):
            current.clear()
            client.get(path, headers=headers or {})
            samples.append(list(current))
    finally:
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "after_cursor_execute", after)
    first = samples[0]
    return [
        (statistics.median(sample[i][1] for sample in samples if len(sample) == len(first)), text)
        for i, (text, _ms) in enumerate(first)
    ]


class SqlClock:
    """Time inside cursor.execute (the database's share of a request, seen from the app)."""

    def __init__(self):
        self.total, self._start = 0.0, 0.0

    def before(self, *_args):
        self._start = time.perf_counter()

    def after(self, *_args):
        self.total += time.perf_counter() - self._start


def timed(app, client, path, runs, warmup, headers=None):
    """Wall-clock, CPU (this thread: the app, and SQLite, which runs in-process) and SQL
    execute ms of each request."""
    for _ in range(warmup):
        assert client.get(path, headers=headers or {}).status_code == 200, path
    with app.app_context():
        engine = db.engine
    clock = SqlClock()
    event.listen(engine, "before_cursor_execute", clock.before)
    event.listen(engine, "after_cursor_execute", clock.after)
    wall, cpu, sql = [], [], []
    try:
        for _ in range(runs):
            clock.total = 0.0
            start, start_cpu = time.perf_counter(), time.thread_time()
            response = client.get(path, headers=headers or {})
            wall.append((time.perf_counter() - start) * 1000)
            cpu.append((time.thread_time() - start_cpu) * 1000)
            sql.append(clock.total * 1000)
            assert response.status_code == 200, path
    finally:
        event.remove(engine, "before_cursor_execute", clock.before)
        event.remove(engine, "after_cursor_execute", clock.after)
    return wall, cpu, sql


def rows_of(html: bytes) -> tuple[int, str]:
    """The rows of the queue table and the page's "N cases · page p of n" line."""
    page = BeautifulSoup(html, "html.parser")
    rows = len(page.select("table.queue tbody tr"))
    queue = page.find(id="queue")
    summary = (queue or page).find("p")
    return rows, summary.get_text(" ", strip=True) if summary else ""


def picks(app) -> dict:
    """What the screens look for, read from the database: an enterprise with many cases
    (not the demo's own), and single cases to filter down to one row."""
    with app.app_context():
        s = db.session
        users = {u.username: u for u in s.scalars(sa.select(User).where(User.username.in_(STAFF)))}
        office, unit = users["office"], users["handler"].unit_id
        demo_enterprise = s.scalar(sa.select(User.enterprise_id).where(User.mobile == DEMO_MOBILE))
        name = s.scalar(
            sa.select(Enterprise.name)
            .join(Case, Case.enterprise_id == Enterprise.id)
            .where(
                Case.jurisdiction_id == office.unit.jurisdiction_id,
                Enterprise.id != demo_enterprise,
            )
            .group_by(Enterprise.name)
            .order_by(sa.func.count().desc(), Enterprise.name)
            .limit(1)
        )

        def one(*where):
            return s.scalar(sa.select(Case.number).where(*where).order_by(Case.id).limit(1))

        found = {
            "enterprise": name,
            # on the office desk, no lead unit yet / with a lead unit (a returned case)
            "desk_no_lead": one(
                Case.office_id == office.unit_id, Case.state == CaseState.SUBMITTED
            ),
            "desk_lead": one(
                Case.office_id == office.unit_id,
                Case.state == CaseState.ACCEPTED,
                Case.lead_unit_id.is_not(None),
            ),
            # an in-hand case of the handler's unit
            "unit_in_hand": one(Case.lead_unit_id == unit, Case.state == CaseState.IN_HAND),
        }
        today = local_date(utcnow())
        found["totals"] = {
            login: queues.queue(s, users[login], queues.Filters(), today).total for login in STAFF
        }
        found["totals"]["office (all)"] = queues.queue(
            s, office, queues.Filters(view="all"), today
        ).total
        found["totals"]["office (all, overdue)"] = queues.queue(
            s, office, queues.Filters(view="all", overdue=True), today
        ).total
        found["unit"] = s.get(OrgUnit, unit).name
        db.session.remove()
    return found


def first_load(client, path: str) -> dict:
    """The HTML and the assets it references (empty cache), gzip, as budgets.py weighs."""
    weighed = weigh(client, path)
    return {
        "html_gzip": weighed["html_gzip"],
        "total_gzip": weighed["total_gzip"],
        "requests": weighed["requests"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--pg-url", default=DEFAULT_PG_URL)
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument(
        "--show-sql",
        action="store_true",
        help="print each request's SQL with its median execute time",
    )
    parser.add_argument(
        "--profile",
        metavar="SCREEN",
        action="append",
        default=[],
        help="cProfile --runs requests of this screen (its name in the "
        "table) and print the top functions; repeatable",
    )
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()

    with ThrowawayDatabase(args.db, args.pg_url) as url:
        app = create_app(bench_config(url))
        start = time.perf_counter()
        world = build(app, cases=args.cases, staff=True)
        built_s = time.perf_counter() - start
        found = picks(app)
        totals = found["totals"]
        print(
            f"database: {args.db} (throw-away), built in {built_s:.1f} s: "
            f"{world.total_cases} cases, {world.total_events} events (benchdb staff mix)"
        )
        print(
            f"on the desk: office {totals['office']} (of {totals['office (all)']} it may "
            f"see, {totals['office (all, overdue)']} overdue), handler {totals['handler']}, "
            f"head {totals['head']} ({found['unit']}); search term "
            f"{found['enterprise']!r}; one-row filters {found['desk_no_lead']} (submitted), "
            f"{found['desk_lead']} (returned, with a lead unit), {found['unit_in_hand']} "
            f"(in hand)"
        )
        print(
            f"python {platform.python_version()}, production Config, rate limits off, "
            f"{args.runs} runs after {args.warmup} warm-up; times through the Flask test "
            f"client (whole WSGI stack, no network); gzip level 6; {os.cpu_count()} CPUs, "
            f"load average {os.getloadavg()[0]:.2f} at start"
        )

        clients = {}
        for login in STAFF:
            clients[login] = app.test_client()
            sign_in(clients[login], login, app.config["DEMO_PASSWORD"])
        q = quote(found["enterprise"])
        # (name, signed in as, path, headers)
        screens = [
            ("office desk", "office", "/office/", None),
            ("office all", "office", "/office/?view=all", None),
            ("office all p50", "office", "/office/?view=all&page=50", None),
            ("office overdue", "office", "/office/?view=all&overdue=y", None),
            ("office search", "office", f"/office/?view=all&q={q}", None),
            ("office fragment p2", "office", "/office/?view=all&page=2", FRAGMENT),
            ("office desk 1 row", "office", f"/office/?q={found['desk_no_lead']}", None),
            ("office desk 1 row+lead", "office", f"/office/?q={found['desk_lead']}", None),
            ("office all 1 row", "office", f"/office/?view=all&q={found['unit_in_hand']}", None),
            ("workbench handler", "handler", "/workbench/", None),
            ("handler 1 row", "handler", f"/workbench/?q={found['unit_in_hand']}", None),
            ("workbench head", "head", "/workbench/", None),
            ("head 1 row", "head", f"/workbench/?q={found['unit_in_hand']}", None),
        ]
        results, sql = {}, {}
        print(
            f"\n{'screen':<24}{'rows':>5}{'bytes':>8}{'gzip':>7}{'median ms':>11}"
            f"{'p90 ms':>9}{'CPU ms':>8}{'in SQL':>8}{'SQL':>5}  budget (median <= "
            f"{BUDGET_MS:g} ms / <= {BUDGET_GZIP // 1024} KB gzip)"
        )
        for name, login, path, headers in screens:
            client = clients[login]
            body, statements = observe(app, client, path, headers)
            rows, summary = rows_of(body)
            if headers:
                assert b"<html" not in body, f"{name}: a whole page, not the fragment"
            wall, cpu, in_sql = timed(app, client, path, args.runs, args.warmup, headers)
            median, gzipped = statistics.median(wall), gz(body)
            verdict = (
                ("met" if median <= BUDGET_MS else "MISSED")
                + " / "
                + ("met" if gzipped <= BUDGET_GZIP else "MISSED")
            )
            sql[name] = statements
            results[name] = {
                "login": login,
                "path": path,
                "fragment": bool(headers),
                "rows": rows,
                "summary": summary,
                "bytes": len(body),
                "gzip": gzipped,
                "median_ms": round(median, 2),
                "p90_ms": round(p90(wall), 2),
                "cpu_median_ms": round(statistics.median(cpu), 2),
                "sql_median_ms": round(statistics.median(in_sql), 2),
                "sql": len(statements),
                "time_budget": median <= BUDGET_MS,
                "gzip_budget": gzipped <= BUDGET_GZIP,
            }
            print(
                f"{name:<24}{rows:>5}{len(body):>8}{gzipped:>7}{median:>11.2f}"
                f"{p90(wall):>9.2f}{statistics.median(cpu):>8.2f}"
                f"{statistics.median(in_sql):>8.2f}{len(statements):>5}  "
                f"{verdict}   [{summary}]"
            )
            if args.show_sql:
                for ms, text in statement_times(app, client, path, headers):
                    print(f"    {ms:7.2f} ms  {shape(text)[:220]}")

        # The statements may not depend on how many rows the page has.
        pairs = [
            ("office desk", "office desk 1 row"),
            ("office desk", "office desk 1 row+lead"),
            ("office all", "office all 1 row"),
            ("workbench handler", "handler 1 row"),
            ("workbench head", "head 1 row"),
        ]
        print("\nSQL statements, full page against one row:")
        constant = True
        for full, single in pairs:
            a, b = results[full], results[single]
            same = a["sql"] == b["sql"]
            constant &= same
            print(
                f"  {full:<20} {a['rows']:>3} rows: {a['sql']:>3}   {single:<24} "
                f"{b['rows']:>3} row: {b['sql']:>3}  {'same' if same else 'DIFFERENT'}"
            )
            if not same:  # which statements: their kinds, whatever the filter and the ids
                left, right = Counter(map(kind, sql[full])), Counter(map(kind, sql[single]))
                for s, n in (left - right).items():
                    print(f"      {n} x only with {a['rows']} rows: {s[:120]}")
                for s, n in (right - left).items():
                    print(f"      {n} x only with {b['rows']} row: {s[:120]}")
        print(f"  -> {'constant (met)' if constant else 'NOT constant (MISSED)'}")

        loads = {}
        for login, path in (("office", "/office/"), ("handler", "/workbench/")):
            loads[path] = first_load(clients[login], path)
            f = loads[path]
            print(
                f"first load {path} ({login}, empty cache): HTML {f['html_gzip']} B gzip, "
                f"with its assets {f['total_gzip']} B gzip in {f['requests']} requests "
                f"({'within' if f['total_gzip'] <= BUDGET_GZIP else 'over'} 40 KB)"
            )

        time_met = all(r["time_budget"] for r in results.values())
        gzip_met = all(r["gzip_budget"] for r in results.values())
        slowest = max(results, key=lambda k: results[k]["median_ms"])
        print(
            f"\nbudgets: median <= {BUDGET_MS:g} ms {'met' if time_met else 'MISSED'} "
            f"(slowest: {slowest}, {results[slowest]['median_ms']:.2f} ms); "
            f"<= 40 KB gzip {'met' if gzip_met else 'MISSED'}; "
            f"constant statements {'met' if constant else 'MISSED'}"
        )

        for name in args.profile:
            _n, login, path, headers = next(s for s in screens if s[0] == name)
            profiler = cProfile.Profile()
            client = clients[login]
            profiler.enable()
            for _ in range(args.runs):
                client.get(path, headers=headers or {})
            profiler.disable()
            print(f"\nprofile of {name} ({path}), {args.runs} requests, by cumulative time:")
            pstats.Stats(profiler, stream=sys.stdout).sort_stats("cumulative").print_stats(70)
            print(f"profile of {name}, by own time:")
            pstats.Stats(profiler, stream=sys.stdout).sort_stats("tottime").print_stats(20)

        if args.json:
            args.json.parent.mkdir(parents=True, exist_ok=True)
            args.json.write_text(
                json.dumps(
                    {
                        "db": args.db,
                        "cases": world.total_cases,
                        "runs": args.runs,
                        "desk_totals": totals,
                        "screens": results,
                        "first_loads": loads,
                        "sql_constant": constant,
                        "time_budget": time_met,
                        "gzip_budget": gzip_met,
                        "today": date.today().isoformat(),
                    },
                    ensure_ascii=False,
                    indent=2,
                )
            )
        with app.app_context():
            db.engine.dispose()


if __name__ == "__main__":
    main()
