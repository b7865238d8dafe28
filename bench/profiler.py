"""Where a request's time goes, per route, in the portal served as in production (gunicorn).

    .venv/bin/python bench/profiler.py [--db sqlite|postgresql] [--requests 300]
        [--queue-cases 10000] [--profiler pyinstrument|cprofile] [--out bench/profiles]

Builds the same throw-away databases as bench/load.py (demo data; the office desk over
--queue-cases cases in a database of its own), starts bench/profile_wsgi.py under gunicorn
with ONE sync worker per database on a free 127.0.0.1 port, signs in through the forms, and
sends each route's requests one after the other (no concurrency: the profile is of the work,
not of waiting): GET /healthz, GET /whistle, GET /cases/<number>, POST /whistle, GET
/office/, POST /api/v1/work-orders. Then writes, per route, into --out: the pyinstrument
tree (or cProfile's tables), the SQL statements a request sends (with how many per
request), and summary.txt (mean wall time under the profiler, statements per request).
Only 127.0.0.1 is ever targeted; the servers stop at the end.
"""

from __future__ import annotations

import argparse
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from benchdb import DEFAULT_PG_URL, ThrowawayDatabase, bench_config, build  # noqa: E402
from load import (  # noqa: E402
    USER_AGENT,
    Server,
    api_token,
    sign_in,
    sign_in_staff,
    whistle_body,
    work_order_body,
)

from portal import create_app  # noqa: E402


def send(base: str, path: str, *, cookie="", body=None, headers=None, expect=200) -> None:
    request = urllib.request.Request(
        base + path,
        data=body.encode() if body is not None else None,
        headers={
            "User-Agent": USER_AGENT,
            **({"Cookie": cookie} if cookie else {}),
            **(headers or {}),
        },
    )

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(request) as r:
            status = r.status
            r.read()
    except urllib.error.HTTPError as e:
        status = e.code
    if status != expect:
        raise RuntimeError(f"{path}: {status}, expected {expect}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--pg-url", default=DEFAULT_PG_URL)
    parser.add_argument("--requests", type=int, default=300, help="per route")
    parser.add_argument("--queue-cases", type=int, default=10_000)
    parser.add_argument("--profiler", choices=["pyinstrument", "cprofile"], default="pyinstrument")
    parser.add_argument("--out", type=Path, default=BENCH / "profiles")
    args = parser.parse_args()

    with (
        ThrowawayDatabase(args.db, args.pg_url) as url,
        ThrowawayDatabase(args.db, args.pg_url) as queue_url,
    ):
        args.out.mkdir(parents=True, exist_ok=True)
        app = create_app(bench_config(url))
        world = build(app, cases=0)
        password = app.config["DEMO_PASSWORD"]
        build(create_app(bench_config(queue_url)), cases=args.queue_cases, staff=True)
        env = {"PROFILE_DIR": str(args.out / args.db), "PROFILER": args.profiler}
        portal = Server(
            "profile_wsgi:app",
            {"BENCH_DATABASE_URL": url, **env},
            args.out / f"{args.db}-gunicorn.log",
            workers=1,
            timeout=600,  # writing the reports takes a while on a busy machine
        )
        desk = Server(
            "profile_wsgi:app",
            {
                "BENCH_DATABASE_URL": queue_url,
                **env,
                "PROFILE_DIR": str(args.out / f"{args.db}-desk"),
            },
            args.out / f"{args.db}-desk-gunicorn.log",
            workers=1,
            timeout=600,  # writing the reports takes a while on a busy machine
        )
        try:
            portal.wait_ready("/healthz")
            desk.wait_ready("/healthz")
            cookie, token = sign_in(portal.base, password)
            office = sign_in_staff(desk.base, "office", password, "/office/")
            bearer = "Bearer " + api_token(url)
            prefix, suffix = work_order_body()
            form = whistle_body(token)
            for server in (portal, desk):  # the sign-ins and warm-up are not profiled
                send(server.base, "/__profile__")
            case = f"/cases/{world.one_event_case}"
            plan = [
                ("/healthz", {}),
                ("/whistle", {"cookie": cookie}),
                (case, {"cookie": cookie}),
            ]
            started = time.perf_counter()
            for path, kw in plan:
                for _ in range(args.requests):
                    send(portal.base, path, **kw)
            for i in range(args.requests):
                send(
                    portal.base,
                    "/whistle",
                    cookie=cookie,
                    body=f"{form}{i}&submission_key=profile-{time.time_ns()}",
                    headers={"Content-Type": "application/x-www-form-urlencoded"},
                    expect=303,
                )
                send(
                    portal.base,
                    "/api/v1/work-orders",
                    body=f"{prefix}profile-{time.time_ns()}{suffix}",
                    headers={"Authorization": bearer, "Content-Type": "application/json"},
                    expect=201,
                )
            for _ in range(args.requests):
                send(desk.base, "/office/", cookie=office)
            send(portal.base, "/__profile__")
            send(desk.base, "/__profile__")
            print(
                f"{len(plan) + 3} routes x {args.requests} requests in "
                f"{time.perf_counter() - started:.0f} s; reports in {args.out}"
            )
            for sub in (args.db, f"{args.db}-desk"):
                print((args.out / sub / "summary.txt").read_text(), end="")
        finally:
            portal.stop()
            desk.stop()


if __name__ == "__main__":
    main()
