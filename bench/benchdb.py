"""Throw-away databases for the benchmarks: SQLite in a temporary folder, or a PostgreSQL
database of its own created next to `--pg-url` and dropped at the end (no other database is
ever touched), migrated with flask_migrate.upgrade, loaded with the demo data and, on
request, bulk-loaded with many cases.

Shared by bench/cases_scale.py and bench/load.py (and bench/app_wsgi.py, which only opens
a database that load.py built).
"""

from __future__ import annotations

import os
import random
import shutil
import sys
import tempfile
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402
from sqlalchemy.dialects import postgresql, sqlite  # noqa: E402

from portal.config import Config, database_url  # noqa: E402

DEFAULT_PG_URL = "postgresql://127.0.0.1:5432/test"
DEMO_MOBILE = "13800000001"
BENCH_SECRET = "bench-secret-key-not-for-production"


def bench_config(uri: str, **extra) -> dict:
    """Production-shaped configuration (`Config`, TESTING off) on `uri`, with a fixed secret
    (so gunicorn's workers agree and nothing is written to instance/) and rate limits off:
    the whistle form allows 30 POSTs an hour per user and sign-in is limited, which a load
    test would hit at once. Everything else (CSRF, sessions, security headers) stays on."""
    config = {k: getattr(Config, k) for k in dir(Config) if k.isupper()}
    config.update(SQLALCHEMY_DATABASE_URI=database_url(uri), SECRET_KEY=BENCH_SECRET,
                  RATELIMIT_ENABLED=False, RATELIMIT_STORAGE_URI="memory://")
    config.update(extra)
    return config


class ThrowawayDatabase:
    """`with ThrowawayDatabase("sqlite") as url:` … the database is gone afterwards."""

    def __init__(self, kind: str, pg_url: str = DEFAULT_PG_URL):
        if kind not in ("sqlite", "postgresql"):
            raise ValueError(kind)
        self.kind, self.pg_url = kind, database_url(pg_url)
        self.url: str | None = None
        self._tmp: str | None = None
        self._name: str | None = None

    def __enter__(self) -> str:
        if self.kind == "sqlite":
            self._tmp = tempfile.mkdtemp(prefix="portal-bench-")
            self.url = f"sqlite:///{self._tmp}/bench.db"
        else:
            self._name = f"portal_bench_{os.getpid()}_{uuid.uuid4().hex[:6]}"
            admin = sa.create_engine(self.pg_url, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(sa.text(f'CREATE DATABASE "{self._name}"'))
            admin.dispose()
            self.url = self.pg_url.rsplit("/", 1)[0] + "/" + self._name
        return self.url

    def __exit__(self, *exc) -> None:
        if self._tmp:
            shutil.rmtree(self._tmp, ignore_errors=True)
        if self._name:
            admin = sa.create_engine(self.pg_url, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{self._name}" WITH (FORCE)'))
            admin.dispose()


@dataclass
class World:
    """What the benchmarks need to know about the data they run on."""

    total_cases: int
    my_cases: int
    one_event_case: str       # a case of the demo enterprise with a single event
    many_events_case: str     # a case of the demo enterprise with `many_events` events
    many_events: int
    total_events: int


def build(app, *, cases: int = 0, my_share: int = 200, many_events: int = 200,
          seed: int = 20261125) -> World:
    """Migrate, load the demo data, then bring the database to `cases` cases in all (when
    larger than the demo's), `my_share` of them the demo enterprise's."""
    from flask_migrate import upgrade

    from portal import demo
    from portal.extensions import db

    with app.app_context():
        upgrade()
        now = datetime.now(timezone.utc)
        demo.load(db.session, password=app.config["DEMO_PASSWORD"], now=now)
        db.session.commit()
        world = _bulk(db.session, cases=cases, my_share=my_share, many_events=many_events,
                      now=now, rng=random.Random(seed))
        db.session.commit()
        db.engine.dispose()
    return world


# --------------------------------------------------------------------------- bulk cases

TITLES = (
    "招工难，一线工人缺口约{n}人", "厂区扩建用地指标迟迟未落实", "申请高新技术企业认定咨询",
    "企业用电增容报装进度慢", "出口退税办理周期长", "排污许可证续期材料咨询",
    "厂区门前道路破损影响货车通行", "稳岗补贴申领流程咨询", "消防验收排期过长",
    "贷款贴息政策如何申请", "新建厂房规划许可办理", "员工子女入学安排",
)
# (state, weight, events after registration: (action, to_state, visible))
STATES = (
    ("rated", 42, ("accept", "dispatch", "sign", "reply", "rate")),
    ("closed", 10, ("accept", "dispatch", "sign", "reply", "close")),
    ("archived", 6, ("accept", "dispatch", "sign", "reply", "close", "archive")),
    ("submitted", 8, ()),
    ("accepted", 5, ("accept",)),
    ("dispatched", 7, ("accept", "dispatch")),
    ("in_hand", 12, ("accept", "dispatch", "sign")),
    ("replied", 4, ("accept", "dispatch", "sign", "reply")),
    ("awaiting_rating", 2, ("accept", "dispatch", "sign", "reply")),
    ("long_term", 2, ("accept", "dispatch", "sign", "long_term")),
    ("refused", 2, ("refuse",)),
)
VISIBLE = {"register", "reply", "rate", "supplement", "supervise"}
STEP_STATE = {"accept": "accepted", "dispatch": "dispatched", "sign": "in_hand",
              "reply": "replied", "rate": "rated", "close": "closed", "archive": "archived",
              "long_term": "long_term", "refuse": "refused"}


def _bulk(session, *, cases: int, my_share: int, many_events: int, now: datetime,
          rng: random.Random) -> World:
    from portal.domain import workflow
    from portal.domain.models import (
        Case, CaseEvent, CaseNumberCounter, CaseState, CaseType, Channel, Enterprise, OrgUnit,
        UnitKind, User,
    )

    me = session.scalar(sa.select(User).where(User.mobile == DEMO_MOBILE))
    mine = me.enterprise
    existing = session.scalar(sa.select(sa.func.count()).select_from(Case))
    existing_mine = session.scalar(
        sa.select(sa.func.count()).select_from(Case).where(Case.enterprise_id == mine.id))
    to_add = max(0, cases - existing)
    add_mine = min(to_add, max(0, my_share - existing_mine))
    others = session.scalars(
        sa.select(Enterprise).where(Enterprise.id != mine.id).order_by(Enterprise.id)).all()

    # Where each enterprise whistles, who receives it there, who may lead it.
    plan = {}
    for e in [mine, *others]:
        targets = list(workflow.whistle_targets(e).values())
        plan[e.id] = []
        for j in targets:
            office = workflow.office_of(session, j)
            departments = session.scalars(sa.select(OrgUnit.id).where(
                OrgUnit.jurisdiction_id.in_([j.id, *(a.id for a in j.ancestors)]),
                OrgUnit.kind == UnitKind.DEPARTMENT)).all()
            categories = [c.id for c in workflow.categories_of(session, j)]
            plan[e.id].append((j, office.id if office else None, departments, categories))

    owners = [mine] * add_mine + [others[i % len(others)] for i in range(to_add - add_mine)]
    rng.shuffle(owners)
    weights = [w for _s, w, _e in STATES]
    rows, steps = [], []
    for n, e in enumerate(owners):
        j, office_id, departments, categories = rng.choice(plan[e.id])
        received = now - timedelta(minutes=rng.randrange(60, 730 * 24 * 60))
        state, _w, path = rng.choices(STATES, weights)[0]
        rows.append(dict(
            jurisdiction=j, enterprise_id=e.id, applicant_name=e.name,
            contact_name=e.contact_name, contact_phone=e.contact_phone,
            title=rng.choice(TITLES).format(n=rng.randrange(10, 200)),
            content="企业反映：" + "相关情况说明。" * rng.randrange(5, 40),
            category_id=rng.choice(categories) if categories else None,
            type=rng.choice(list(CaseType)), channel=Channel.PORTAL,
            received_at=received, receiving_unit_id=office_id,
            submitted_by_id=me.id if e.id == mine.id else None,
            state=CaseState(state),
            lead_unit_id=rng.choice(departments) if departments and "dispatch" in path
            else None,
            under_supervision=rng.random() < 0.05, created_at=received))
        steps.append(path)

    # One case of mine with a single event, one with `many_events`.
    # Both in the same jurisdiction (its local one, the deeper), so that only the number of
    # events differs between them.
    local_id = plan[mine.id][0][0].id
    mine_rows = [i for i, r in enumerate(rows)
                 if r["enterprise_id"] == mine.id and r["jurisdiction"].id == local_id]
    one_i = many_i = None
    if len(mine_rows) >= 2:
        one_i, many_i = mine_rows[0], mine_rows[1]
        rows[one_i]["state"], steps[one_i] = CaseState.SUBMITTED, ()
        rows[many_i]["state"] = CaseState.IN_HAND
        rows[many_i]["lead_unit_id"] = rows[many_i]["lead_unit_id"] or plan[mine.id][0][2][0]
        steps[many_i] = ("accept", "dispatch", "sign")

    # Numbers: gap-free per jurisdiction and year, in order of receipt, after the demo's.
    counters = {(c.jurisdiction_id, c.year): c.last_value
                for c in session.scalars(sa.select(CaseNumberCounter))}
    order = sorted(range(len(rows)), key=lambda i: rows[i]["received_at"])
    for i in order:
        r = rows[i]
        j = r.pop("jurisdiction")
        year = r["received_at"].astimezone(timezone(timedelta(hours=8))).year
        key = (j.id, year)
        counters[key] = counters.get(key, 0) + 1
        day = r["received_at"].date()
        r.update(jurisdiction_id=j.id, year=year, seq=counters[key],
                 number=f"{j.code}-{year}-{counters[key]:05d}", version_id=1,
                 contact_due=day + timedelta(days=1), dispatch_due=day + timedelta(days=3),
                 sign_due=day + timedelta(days=4), finish_due=day + timedelta(days=14),
                 reply_text="已协调相关部门办理，具体情况已电话告知。"
                 if "reply" in steps[i] else None,
                 replied_at=r["received_at"] + timedelta(days=7) if "reply" in steps[i]
                 else None)

    table, events = Case.__table__, CaseEvent.__table__
    ids = []
    for start in range(0, len(rows), 2000):
        chunk = rows[start:start + 2000]
        result = session.execute(
            sa.insert(table).returning(table.c.id, sort_by_parameter_order=True), chunk)
        ids.extend(result.scalars().all())

    event_rows = []
    for i, r in enumerate(rows):
        at, state = r["received_at"], None
        path = ("register", *steps[i])
        if i == many_i:
            extra = many_events - len(path)
            path = path + tuple("supplement" if k % 3 == 0 else "progress"
                                for k in range(extra))
        for k, action in enumerate(path):
            to_state = "submitted" if action == "register" else STEP_STATE.get(action, state)
            event_rows.append(dict(
                case_id=ids[i], at=at + timedelta(hours=k), actor_id=me.id
                if action in ("register", "supplement", "rate") and r["submitted_by_id"]
                else None, actor_unit_id=None, action=action,
                from_state=None if action == "register" else CaseState(state),
                to_state=CaseState(to_state),
                note="portal" if action == "register" else f"第{k}条办理记录：已与企业沟通。",
                visible_to_enterprise=action in VISIBLE))
            state = to_state
    for start in range(0, len(event_rows), 5000):
        session.execute(sa.insert(events), event_rows[start:start + 5000])

    dialect = session.get_bind().dialect.name
    insert = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}[dialect]
    for (jid, year), last in counters.items():
        stmt = insert(CaseNumberCounter).values(jurisdiction_id=jid, year=year, last_value=last)
        session.execute(stmt.on_conflict_do_update(
            index_elements=[CaseNumberCounter.jurisdiction_id, CaseNumberCounter.year],
            set_={"last_value": stmt.excluded.last_value}))
    session.flush()

    if one_i is None:  # no bulk cases of mine: use the demo's (one event each)
        demo_cases = session.scalars(sa.select(Case.number).where(
            Case.enterprise_id == mine.id).order_by(Case.id)).all()
        one, many, many_count = demo_cases[0], demo_cases[0], 1
    else:
        one, many, many_count = rows[one_i]["number"], rows[many_i]["number"], many_events
    return World(
        total_cases=session.scalar(sa.select(sa.func.count()).select_from(Case)),
        my_cases=session.scalar(sa.select(sa.func.count()).select_from(Case)
                                .where(Case.enterprise_id == mine.id)),
        one_event_case=one, many_events_case=many, many_events=many_count,
        total_events=session.scalar(sa.select(sa.func.count()).select_from(CaseEvent)))
