"""The liaison's `/contacts` page with many enterprises: server time, bytes and statements.

    .venv/bin/python bench/contacts.py --db sqlite|postgresql [--enterprises 300] [--runs 100]
        [--pg-url postgresql://127.0.0.1:5432/test] [--json FILE]

Builds a throw-away database (bench/benchdb.py) with the demo data, then gives the demo
liaison (`liaison`, 庵埠镇经发办) --enterprises enterprises in all, half of them contacted this
month (one contact each, a third of those with a problem). Signed in through the real login
form, it times GET /contacts/ (all, "not yet contacted", "contacted") and GET
/contacts/coverage --runs times after a warm-up, through the Flask test client, and counts the
SQL statements of each request — also with only the demo's few enterprises, to show the
count does not grow with the list.

Budgets (the contact-ledger issue): /contacts for a liaison with 300 enterprises <= 30 KB
gzip, median server time <= 30 ms, a constant number of statements.
"""

from __future__ import annotations

import argparse
import gzip
import json
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import sqlalchemy as sa  # noqa: E402
from benchdb import DEFAULT_PG_URL, ThrowawayDatabase, bench_config, build  # noqa: E402
from cases_scale import count_statements, p90, sign_in, timed  # noqa: E402

from portal import create_app  # noqa: E402
from portal.domain.calendar import local_date  # noqa: E402
from portal.domain.credit_code import check_character  # noqa: E402
from portal.domain.models import (  # noqa: E402
    ContactMethod,
    ContactProblem,
    ContactRecord,
    Enterprise,
    EnterpriseKind,
    LiaisonAssignment,
    User,
)
from portal.extensions import db  # noqa: E402

BUDGET_MS, BUDGET_GZIP = 30.0, 30 * 1024
SCREENS = [
    ("/contacts/", "/contacts/"),
    ("not yet contacted", "/contacts/?only=todo"),
    ("contacted", "/contacts/?only=done"),
    ("coverage", "/contacts/coverage"),
]


def add_enterprises(app, total: int) -> int:
    """Bring the liaison's enterprises to `total`; contact every other one this month."""
    now = datetime.now(UTC)
    today = local_date(now)
    with app.app_context():
        liaison = db.session.scalar(sa.select(User).where(User.username == "liaison"))
        have = db.session.scalar(
            sa.select(sa.func.count())
            .select_from(LiaisonAssignment)
            .where(LiaisonAssignment.user_id == liaison.id)
        )
        for n in range(max(0, total - have)):
            first17 = f"91445103MA{900000 + n:07d}"
            e = Enterprise(
                name=f"庵埠镇样本企业{n:04d}有限公司",
                kind=EnterpriseKind.SME,
                industry="日用陶瓷",
                credit_code=first17 + check_character(first17),
                jurisdiction_id=liaison.unit.jurisdiction_id,
                contact_name=f"联系人{n}",
                contact_phone=f"139{n:08d}",
                created_at=now,
            )
            db.session.add(e)
            db.session.add(
                LiaisonAssignment(enterprise=e, unit=liaison.unit, user=liaison, assigned_at=now)
            )
            if n % 2 == 0:
                contact = ContactRecord(
                    enterprise=e,
                    unit_id=liaison.unit_id,
                    user=liaison,
                    contacted_on=today,
                    method=ContactMethod.VISIT,
                    created_at=now,
                )
                db.session.add(contact)
                if n % 3 == 0:
                    db.session.add(ContactProblem(contact=contact, name="用工", content="缺普工"))
        db.session.commit()
        return db.session.scalar(
            sa.select(sa.func.count())
            .select_from(LiaisonAssignment)
            .where(LiaisonAssignment.user_id == liaison.id)
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--pg-url", default=DEFAULT_PG_URL)
    parser.add_argument("--enterprises", type=int, default=300)
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    with ThrowawayDatabase(args.db, args.pg_url) as url:
        app = create_app(bench_config(url))
        build(app)
        client = app.test_client()
        sign_in(client, "liaison", app.config["DEMO_PASSWORD"])
        few = {name: len(count_statements(app, client, path)) for name, path in SCREENS}
        start = time.perf_counter()
        total = add_enterprises(app, args.enterprises)
        print(
            f"database: {args.db} (throw-away); the liaison has {total} enterprises, half "
            f"contacted this month (built in {time.perf_counter() - start:.1f} s); "
            f"{args.runs} runs after {args.warmup} warm-up, Flask test client"
        )
        print(
            f"\n{'screen':<20}{'bytes':>8}{'gzip':>7}{'median ms':>11}{'p90 ms':>9}"
            f"{'CPU ms':>8}{'SQL':>5}{'SQL few':>9}  budget"
        )
        results = {}
        for name, path in SCREENS:
            statements = len(count_statements(app, client, path))
            wall, cpu, size = timed(client, path, args.runs, args.warmup)
            body = client.get(path).data
            zipped = len(gzip.compress(body, 6))
            median = statistics.median(wall)
            verdict = (
                (
                    "met"
                    if median <= BUDGET_MS and zipped <= BUDGET_GZIP and statements == few[name]
                    else "MISSED"
                )
                if path == "/contacts/"
                else "-"
            )
            results[name] = {
                "path": path,
                "bytes": size,
                "gzip": zipped,
                "median_ms": round(median, 2),
                "p90_ms": round(p90(wall), 2),
                "cpu_median_ms": round(statistics.median(cpu), 2),
                "statements": statements,
                "statements_few": few[name],
            }
            print(
                f"{name:<20}{size:>8}{zipped:>7}{median:>11.2f}{p90(wall):>9.2f}"
                f"{statistics.median(cpu):>8.2f}{statements:>5}{few[name]:>9}  {verdict}"
            )
        print(
            f"\nbudgets: median <= {BUDGET_MS:g} ms, <= {BUDGET_GZIP} B gzip, statements "
            f"as with the demo's few enterprises"
        )
        if args.json:
            args.json.parent.mkdir(parents=True, exist_ok=True)
            args.json.write_text(
                json.dumps({"db": args.db, "enterprises": total, "screens": results}, indent=2)
            )


if __name__ == "__main__":
    main()
