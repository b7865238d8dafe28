"""Server time and SQL statements of the enterprise's case screens with many cases.

    .venv/bin/python bench/cases_scale.py --db sqlite|postgresql [--cases 10000] [--runs 100]
        [--my-share 200] [--events 200] [--pg-url postgresql://127.0.0.1:5432/test]
        [--show-sql] [--json bench/results/cases_scale-sqlite.json]

Builds a throw-away database (a SQLite file in a temporary folder, or a PostgreSQL database
of its own created next to --pg-url and dropped at the end), migrates it with
flask_migrate.upgrade, loads the demo data and bulk-inserts cases (SQLAlchemy core, in
batches) up to --cases in all, spread over the demo's 30 enterprises; the demo enterprise
(13800000001) gets --my-share of them, one with a single event and one with --events events.
Every bulk case has the events of its path (register … rate), about 3 a case.

Then, through the Flask test client signed in as 13800000001 via the login form, it times
GET /cases and GET /cases/<number> (and the status fragment) --runs times each after a
warm-up, and counts the SQL statements each request sends (a `before_cursor_execute`
listener), for the case with 1 event and the case with --events events.

Budgets (the issue): median <= 20 ms for /cases and /cases/<number> with 10,000 cases, on
SQLite and PostgreSQL; the same number of statements whatever the number of events.
The app runs with the production-shaped Config (TESTING off), rate limits off.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchdb import DEFAULT_PG_URL, DEMO_MOBILE, ThrowawayDatabase, bench_config, build  # noqa: E402
from bs4 import BeautifulSoup  # noqa: E402
from sqlalchemy import event  # noqa: E402

from portal import create_app  # noqa: E402
from portal.extensions import db  # noqa: E402

BUDGET_MS = 20.0


class StatementCounter:
    def __init__(self):
        self.statements: list[str] = []

    def __call__(self, conn, cursor, statement, parameters, context, executemany):
        self.statements.append(" ".join(statement.split()))


def sign_in(client, login, password):
    page = client.get("/auth/login")
    token = BeautifulSoup(page.text, "html.parser").find("input", {"name": "csrf_token"})["value"]
    response = client.post(
        "/auth/login", data={"login": login, "password": password, "csrf_token": token}
    )
    assert response.status_code == 303, f"sign-in failed: {response.status_code}"


def timed(client, path, runs, warmup, headers=None) -> tuple[list[float], list[float], int]:
    """Wall-clock and CPU (this thread: the app, and SQLite, which runs in-process) ms."""
    for _ in range(warmup):
        assert client.get(path, headers=headers or {}).status_code == 200, path
    wall, cpu, size = [], [], 0
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), time.thread_time()
        response = client.get(path, headers=headers or {})
        wall.append((time.perf_counter() - start) * 1000)
        cpu.append((time.thread_time() - start_cpu) * 1000)
        assert response.status_code == 200, path
        size = len(response.data)
    return wall, cpu, size


def p90(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=10, method="inclusive")[8]


def count_statements(app, client, path, headers=None) -> list[str]:
    counter = StatementCounter()
    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", counter)
    try:
        assert client.get(path, headers=headers or {}).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", counter)
    return counter.statements


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--pg-url", default=DEFAULT_PG_URL)
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--my-share", type=int, default=200)
    parser.add_argument("--events", type=int, default=200)
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--show-sql", action="store_true", help="print each request's SQL")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()

    with ThrowawayDatabase(args.db, args.pg_url) as url:
        app = create_app(bench_config(url))
        start = time.perf_counter()
        world = build(app, cases=args.cases, my_share=args.my_share, many_events=args.events)
        built_s = time.perf_counter() - start
        print(
            f"database: {args.db} (throw-away), built in {built_s:.1f} s: "
            f"{world.total_cases} cases, {world.total_events} events; the demo enterprise "
            f"has {world.my_cases} cases; {world.one_event_case} has 1 event, "
            f"{world.many_events_case} has {world.many_events}"
        )
        print(
            f"python {platform.python_version()}, production Config, rate limits off, "
            f"{args.runs} runs after {args.warmup} warm-up; times through the Flask test "
            f"client (whole WSGI stack, no network)"
        )

        client = app.test_client()
        sign_in(client, DEMO_MOBILE, app.config["DEMO_PASSWORD"])
        fragment = {"HX-Request": "true"}
        screens = [
            ("/cases", "/cases", None),
            ("/cases/<1 event>", f"/cases/{world.one_event_case}", None),
            (f"/cases/<{world.many_events} events>", f"/cases/{world.many_events_case}", None),
            ("status <1 event>", f"/cases/{world.one_event_case}/status", fragment),
            (
                f"status <{world.many_events} events>",
                f"/cases/{world.many_events_case}/status",
                fragment,
            ),
        ]
        results = {}
        print(
            f"\n{'screen':<22}{'bytes':>8}{'median ms':>11}{'p90 ms':>9}{'CPU ms':>8}"
            f"{'SQL':>5}  budget (median <= {BUDGET_MS:g} ms)"
        )
        for name, path, headers in screens:
            statements = count_statements(app, client, path, headers)
            wall, cpu, size = timed(client, path, args.runs, args.warmup, headers)
            median = statistics.median(wall)
            budget = "-" if headers else ("met" if median <= BUDGET_MS else "MISSED")
            results[name] = {
                "path": path,
                "bytes": size,
                "median_ms": round(median, 2),
                "p90_ms": round(p90(wall), 2),
                "cpu_median_ms": round(statistics.median(cpu), 2),
                "sql": len(statements),
                "budget": budget,
            }
            print(
                f"{name:<22}{size:>8}{median:>11.2f}{p90(wall):>9.2f}"
                f"{statistics.median(cpu):>8.2f}{len(statements):>5}  {budget}"
            )
            if args.show_sql:
                for s in statements:
                    print(f"    {s[:160]}")

        one = results["/cases/<1 event>"]["sql"]
        many = results[f"/cases/<{world.many_events} events>"]["sql"]
        constant = one == many
        print(
            f"\nSQL statements per case page: {one} with 1 event, {many} with "
            f"{world.many_events} events -> {'constant (met)' if constant else 'NOT constant (MISSED)'}"  # noqa: E501
        )
        if args.json:
            args.json.parent.mkdir(parents=True, exist_ok=True)
            args.json.write_text(
                json.dumps(
                    {
                        "db": args.db,
                        "cases": world.total_cases,
                        "my_cases": world.my_cases,
                        "events": world.many_events,
                        "runs": args.runs,
                        "screens": results,
                        "sql_constant": constant,
                    },
                    ensure_ascii=False,
                    indent=2,
                )
            )
        with app.app_context():
            db.engine.dispose()


if __name__ == "__main__":
    main()
