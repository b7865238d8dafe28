"""Every figure over 1,000,000 cases on PostgreSQL, and the dashboard's size.

    .venv/bin/python bench/figures.py [--cases 1000000] [--months 1] [--runs 5]
        [--pg-url postgresql://127.0.0.1:5432/test] [--json bench/results/figures.json]

Builds a throw-away PostgreSQL database next to --pg-url (dropped at the end), migrates it,
loads the demo data, then generates --cases cases in SQL (INSERT … SELECT over
generate_series: no Python loop) spread over the demo city 潮州市 and its counties, its
departments and categories, received over the --months months ending 2026-11 (1: every case
in November, so each figure of that month really counts all of them). The cases stand at
every step in turn — submitted, refused, merged, accepted, dispatched, in hand (some
overdue), replied, awaiting a rating, rated, closed — with their dates and limits; every
case past the reply has its publish_reply event, rated ones a rating (one in five
unsatisfied, one in four not solved, the latest kept on the case as the workflow
does), one in fifty a supervision notice; 20,000
enterprises, a third with an account. Then ANALYZE.

It times (median of --runs after one warm-up, each in its own transaction):
`figure_counts` (the seven 100 % and the other four, both statements), `department_counts`,
`category_area_counts`, one page of `members` for the heaviest figure, the lists
(overdue review, meeting candidates), and the whole dashboard GET through the test client
(signed in as `office`), whose HTML it weighs gzipped.

Budgets (the issue): every figure under 1 s on PostgreSQL over 1,000,000 cases; the
dashboard <= 40 KB gzip.
"""

from __future__ import annotations

import argparse
import gzip
import json
import statistics
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import sqlalchemy as sa  # noqa: E402
from benchdb import DEFAULT_PG_URL, ThrowawayDatabase, bench_config, build  # noqa: E402
from cases_scale import sign_in  # noqa: E402

from portal import create_app  # noqa: E402
from portal.domain import figures, lists  # noqa: E402
from portal.domain.figures import Period  # noqa: E402
from portal.extensions import db  # noqa: E402

BUDGET_S = 1.0
BUDGET_GZIP = 40 * 1024
TODAY = date(2026, 11, 30)
PERIOD = Period(2026, 11)

# State of case g by g % 10, with the columns each step has set.
GENERATE = """
WITH j AS (SELECT array_agg(id ORDER BY id) AS ids FROM jurisdiction),
     u AS (SELECT array_agg(id ORDER BY id) AS ids FROM org_unit WHERE kind = 'department'),
     c AS (SELECT array_agg(id ORDER BY id) AS ids FROM category),
     o AS (SELECT min(id) AS id FROM org_unit WHERE kind = 'office'),
     g AS (SELECT n, n % 10 AS step,
                  timestamp '2026-12-01'
                    - make_interval(hours => (1 + (n::bigint * 7919) % (:months * 720))::int)
                    AS at
           FROM generate_series(1, :cases) AS n)
INSERT INTO "case" (number, jurisdiction_id, year, seq, applicant_name, contact_name,
    contact_phone, title, content, category_id, type, channel, received_at, state,
    lead_unit_id, office_id, receiving_unit_id, contact_due, dispatch_due, sign_due,
    finish_due, contacted_at, dispatched_at, replied_at, rating_due, under_supervision,
    supervision_due, version_id, created_at)
SELECT 'B' || g.n, j.ids[1 + g.n % cardinality(j.ids)], 2026, 1000000 + g.n,
    '企业' || (g.n % 20000), '联系人', '13900000000', '诉求' || g.n, '内容',
    c.ids[1 + g.n % cardinality(c.ids)],
    (ARRAY['consultation', 'suggestion', 'complaint', 'business'])[1 + g.n % 4],
    (ARRAY['portal', 'hotline_12345', 'phone', 'visit'])[1 + g.n % 4], g.at,
    (ARRAY['submitted', 'refused', 'merged', 'accepted', 'dispatched', 'in_hand', 'replied',
           'awaiting_rating', 'rated', 'closed'])[1 + g.step],
    CASE WHEN g.step >= 4 THEN u.ids[1 + (g.n / 10) % cardinality(u.ids)] END, o.id, o.id,
    g.at::date + 1, CASE WHEN g.step = 3 THEN g.at::date + 2 END,
    CASE WHEN g.step >= 4 THEN g.at::date + 2 END,
    CASE WHEN g.step >= 4 THEN g.at::date + 7 - (g.n % 3) * 5 END,
    CASE WHEN g.step >= 4 AND g.n % 7 <> 0 THEN g.at + interval '3 hours' END,
    CASE WHEN g.step >= 4 THEN g.at + interval '1 day' END,
    CASE WHEN g.step >= 7 THEN g.at + interval '5 days' END,
    CASE WHEN g.step >= 7 THEN g.at::date + 12 END,
    g.n % 50 = 0, CASE WHEN g.n % 50 = 0 THEN g.at::date + 10 END, 1, g.at
FROM g, j, u, c, o
"""

EVENTS = """
INSERT INTO case_event (case_id, at, action, to_state, note, visible_to_enterprise)
SELECT id, replied_at, 'publish_reply', 'awaiting_rating', '已办结', true
FROM "case" WHERE replied_at IS NOT NULL
"""

RATINGS = """
INSERT INTO rating (case_id, reply_event_id, level, solved, comment, at)
SELECT e.case_id, e.id,
       CASE WHEN (e.case_id / 10) % 5 = 0 THEN 'unsatisfied' WHEN (e.case_id / 10) % 5 = 1
            THEN 'basically_satisfied' ELSE 'satisfied' END,
       e.case_id % 4 <> 0, '', e.at + interval '1 day'
FROM case_event e JOIN "case" k ON k.id = e.case_id
WHERE e.action = 'publish_reply' AND k.state IN ('rated', 'closed')
"""

LATEST = """
UPDATE "case" k SET rating_level = r.level, rating_solved = r.solved
FROM rating r WHERE r.case_id = k.id
"""

SUPERVISIONS = """
INSERT INTO supervision (case_id, office_id, year, seq, reason, note, unit_id, opened_at,
                         reply_due, reply_text)
SELECT id, office_id, 2026, id, 'overdue', '', lead_unit_id, received_at, supervision_due, ''
FROM "case" WHERE under_supervision
"""

ENTERPRISES = """
WITH j AS (SELECT array_agg(id ORDER BY id) AS ids FROM jurisdiction)
INSERT INTO enterprise (name, kind, jurisdiction_id, created_at)
SELECT '生成企业' || n, 'sme', j.ids[1 + n % cardinality(j.ids)], timestamp '2026-01-01'
FROM generate_series(1, 20000) AS n, j
"""

ACCOUNTS = """
INSERT INTO "user" (mobile, name, role, enterprise_id, password_hash, active, session_version,
                    failed_logins, created_at)
SELECT '150' || lpad(id::text, 8, '0'), '企业用户', 'enterprise', id, 'x', true, 1, 0,
       timestamp '2026-02-01'
FROM enterprise WHERE name LIKE '生成企业%' AND id % 3 = 0
"""


def generate(app, cases: int, months: int) -> dict[str, float]:
    took = {}
    with app.app_context():
        for name, sql in (
            ("cases", GENERATE),
            ("events", EVENTS),
            ("ratings", RATINGS),
            ("latest", LATEST),
            ("supervisions", SUPERVISIONS),
            ("enterprises", ENTERPRISES),
            ("accounts", ACCOUNTS),
        ):
            start = time.perf_counter()
            db.session.execute(sa.text(sql), {"cases": cases, "months": months})
            db.session.commit()
            took[name] = time.perf_counter() - start
        start = time.perf_counter()
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("ANALYZE"))
        took["analyze"] = time.perf_counter() - start
    return took


def timed(app, runs: int, work) -> tuple[float, object]:
    with app.app_context():
        result = work()  # warm-up (plans, caches)
        db.session.rollback()
        samples = []
        for _ in range(runs):
            start = time.perf_counter()
            result = work()
            samples.append(time.perf_counter() - start)
            db.session.rollback()
    return statistics.median(samples), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--months", type=int, default=1)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--pg-url", default=DEFAULT_PG_URL)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    with ThrowawayDatabase("postgresql", args.pg_url) as url:
        app = create_app(bench_config(url))
        build(app, cases=0)
        took = generate(app, args.cases, args.months)
        with app.app_context():
            total = db.session.scalar(sa.text('SELECT count(*) FROM "case"'))
            in_month = db.session.scalar(
                sa.text(
                    "SELECT count(*) FROM \"case\" WHERE received_at >= '2026-10-31 16:00' "
                    "AND received_at < '2026-11-30 16:00'"
                )
            )
            city = db.session.scalar(sa.text("SELECT id FROM jurisdiction WHERE code = '445100'"))
            ratings = db.session.scalar(sa.text("SELECT count(*) FROM rating"))
        print(
            f"generated in {sum(took.values()):.0f} s "
            f"({', '.join(f'{k} {v:.1f} s' for k, v in took.items())}): {total} cases, "
            f"{in_month} received in {PERIOD}, {ratings} ratings"
        )

        measures = [
            (
                "figure_counts (11 figures)",
                lambda: figures.figure_counts(db.session, city, PERIOD, TODAY),
            ),
            ("department_counts", lambda: figures.department_counts(db.session, city, PERIOD)),
            (
                "category_area_counts",
                lambda: figures.category_area_counts(db.session, city, PERIOD),
            ),
            (
                "members: investigated, page 1",
                lambda: figures.members(
                    db.session,
                    figures.FIGURES["investigated"],
                    "numerator",
                    city,
                    PERIOD,
                    TODAY,
                    limit=50,
                )[0],
            ),
            (
                "overdue review (25th)",
                lambda: lists.overdue_review(db.session, city, PERIOD, TODAY, limit=50).overdue,
            ),
            ("meeting candidates", lambda: lists.meeting_candidates(db.session, city, TODAY)[0]),
        ]
        results = {}
        print(f"\n{'measure':<34}{'median s':>10}  budget (< {BUDGET_S:g} s)")
        for name, work in measures:
            median, _result = timed(app, args.runs, work)
            verdict = "met" if median < BUDGET_S else "MISSED"
            results[name] = {"median_s": round(median, 3), "budget": verdict}
            print(f"{name:<34}{median:>10.3f}  {verdict}")
        counts = timed(app, 1, measures[0][1])[1]
        print("\n" + "  ".join(f"{k} {c.numerator}/{c.denominator}" for k, c in counts.items()))

        client = app.test_client()
        sign_in(client, "office", app.config["DEMO_PASSWORD"])
        samples, size = [], 0
        for _ in range(args.runs + 1):
            start = time.perf_counter()
            response = client.get(f"/figures/?month={PERIOD}")
            samples.append(time.perf_counter() - start)
            assert response.status_code == 200
            size = len(gzip.compress(response.data, 6))
        page = statistics.median(samples[1:])
        print(
            f"\nGET /figures/ (office, whole dashboard: two months of figures, departments, "
            f"category × area): median {page:.3f} s; {size} B gzip "
            f"({'met' if size <= BUDGET_GZIP else 'MISSED'}, budget {BUDGET_GZIP} B)"
        )
        if args.json:
            args.json.parent.mkdir(parents=True, exist_ok=True)
            args.json.write_text(
                json.dumps(
                    {
                        "cases": total,
                        "in_month": in_month,
                        "measures": results,
                        "dashboard_s": round(page, 3),
                        "dashboard_gzip": size,
                    },
                    indent=2,
                )
            )
        with app.app_context():
            db.engine.dispose()


if __name__ == "__main__":
    main()
