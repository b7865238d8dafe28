"""Throw-away databases for the benchmarks: SQLite in a temporary folder, or a PostgreSQL
database of its own created next to `--pg-url` and dropped at the end (no other database is
ever touched), migrated with flask_migrate.upgrade, loaded with the demo data and, on
request, bulk-loaded with many cases (the enterprise's mix, or with staff=True the staff
queues' mix), every case with the events of its path and the clocks and stamps the workflow
would have given it. Databases are analysed (PostgreSQL: VACUUM ANALYZE) after the load.

Shared by bench/cases_scale.py, bench/queues.py and bench/load.py (and bench/app_wsgi.py,
which only opens a database that load.py built).
"""

from __future__ import annotations

import os
import random
import shutil
import sys
import tempfile
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
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
    config.update(
        SQLALCHEMY_DATABASE_URI=database_url(uri),
        SECRET_KEY=BENCH_SECRET,
        RATELIMIT_ENABLED=False,
        RATELIMIT_STORAGE_URI="memory://",
    )
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
    one_event_case: str  # a case of the demo enterprise with a single event
    many_events_case: str  # a case of the demo enterprise with `many_events` events
    many_events: int
    total_events: int


def analyse(db) -> None:
    """The planner's statistics after a bulk load, as autovacuum keeps them on a live
    PostgreSQL database (with the visibility map its index-only scans need) and the SLA
    tick's `PRAGMA optimize` on SQLite; otherwise they would plan for the demo's handful of
    rows and read every page of the table. Call inside the app's context."""
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("VACUUM ANALYZE"))
    else:
        db.session.execute(sa.text("ANALYZE"))
        db.session.commit()


def build(
    app,
    *,
    cases: int = 0,
    my_share: int = 200,
    many_events: int = 200,
    seed: int = 20261125,
    staff: bool = False,
) -> World:
    """Migrate, load the demo data, then bring the database to `cases` cases in all (when
    larger than the demo's), `my_share` of them the demo enterprise's.

    `staff=True` shapes the bulk cases for the staff queues (bench/queues.py): most cases
    at the city (the `office` desk), open cases recent, many led by or co-handled with
    市人力资源和社会保障局 (the `handler` and `head` workbench), returns, escalations, progress
    reports, supervision notices and extension requests."""
    from flask_migrate import upgrade

    from portal import demo
    from portal.extensions import db

    with app.app_context():
        upgrade()
        now = datetime.now(UTC)
        demo.load(db.session, password=app.config["DEMO_PASSWORD"], now=now)
        db.session.commit()
        world = _bulk(
            db.session,
            cases=cases,
            my_share=my_share,
            many_events=many_events,
            now=now,
            rng=random.Random(seed),
            aux=random.Random(seed + 1),
            staff=staff,
        )
        db.session.commit()
        analyse(db)
        db.engine.dispose()
    return world


# --------------------------------------------------------------------------- bulk cases

TITLES = (
    "招工难，一线工人缺口约{n}人",
    "厂区扩建用地指标迟迟未落实",
    "申请高新技术企业认定咨询",
    "企业用电增容报装进度慢",
    "出口退税办理周期长",
    "排污许可证续期材料咨询",
    "厂区门前道路破损影响货车通行",
    "稳岗补贴申领流程咨询",
    "消防验收排期过长",
    "贷款贴息政策如何申请",
    "新建厂房规划许可办理",
    "员工子女入学安排",
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
# The staff queues' mix (staff=True): the workflow's real steps, the reply published before
# it is rated, returns to rule on and escalations to the office.
STAFF_STATES = (
    ("rated", 30, ("accept", "dispatch", "sign", "reply", "publish_reply", "rate")),
    ("closed", 14, ("accept", "dispatch", "sign", "reply", "publish_reply", "rate", "close")),
    (
        "archived",
        6,
        ("accept", "dispatch", "sign", "reply", "publish_reply", "rate", "close", "archive"),
    ),
    ("submitted", 8, ()),
    ("accepted", 4, ("accept",)),
    ("accepted", 1, ("accept", "dispatch", "return")),
    ("dispatched", 6, ("accept", "dispatch")),
    ("in_hand", 16, ("accept", "dispatch", "sign")),
    ("replied", 5, ("accept", "dispatch", "sign", "reply")),
    ("awaiting_rating", 4, ("accept", "dispatch", "sign", "reply", "publish_reply")),
    ("long_term", 2, ("accept", "dispatch", "sign", "long_term")),
    ("escalated", 2, ("accept", "dispatch", "sign", "escalate")),
    ("refused", 2, ("refuse",)),
)
VISIBLE = {
    "register",
    "reply",
    "publish_reply",
    "rate",
    "supplement",
    "supervise",
    "progress",
    "long_term",
    "refuse",
}
STEP_STATE = {
    "accept": "accepted",
    "dispatch": "dispatched",
    "sign": "in_hand",
    "reply": "replied",
    "publish_reply": "awaiting_rating",
    "rate": "rated",
    "close": "closed",
    "archive": "archived",
    "long_term": "long_term",
    "refuse": "refused",
    "return": "accepted",
    "escalate": "escalated",
}
# Hours between a step and the one before it (uniform in the range); squeezed to end before
# now when a recent case would otherwise run into the future.
GAP_HOURS = {
    "accept": (1, 20),
    "refuse": (1, 20),
    "dispatch": (2, 48),
    "sign": (1, 24),
    "return": (1, 24),
    "reply": (24, 144),
    "publish_reply": (2, 24),
    "rate": (24, 120),
    "close": (1, 72),
    "archive": (240, 720),
    "long_term": (24, 120),
    "escalate": (24, 96),
    "progress": (24, 96),
}
OFFICE_ACTIONS = {"accept", "refuse", "dispatch", "publish_reply", "close", "archive"}
LEAD_ACTIONS = {"sign", "return", "reply", "long_term", "escalate", "progress"}
HOT_UNIT = "市人力资源和社会保障局"  # the demo's `handler` and `head`
CITY_SHARE = 0.6  # staff=True: share of whistles to the city where the enterprise may choose
HOT_SHARE = 0.35  # staff=True: share of city dispatches led by HOT_UNIT
OPEN = {
    "submitted",
    "accepted",
    "dispatched",
    "in_hand",
    "replied",
    "awaiting_rating",
    "long_term",
    "escalated",
}


def _timeline(received: datetime, path: tuple, now: datetime, aux: random.Random) -> list[datetime]:
    """When each step of `path` happened: after the registration, ending before now."""
    times, at = [], received
    for action in path:
        low, high = GAP_HOURS.get(action, (0.02, 0.5))
        at = at + timedelta(hours=aux.uniform(low, high))
        times.append(at)
    latest = now - timedelta(minutes=5)
    if times and times[-1] > latest:
        span, room = times[-1] - received, max(latest - received, timedelta(0))
        times = [received + (t - received) * (room / span) for t in times]
    return times


def _bulk(
    session,
    *,
    cases: int,
    my_share: int,
    many_events: int,
    now: datetime,
    rng: random.Random,
    aux: random.Random,
    staff: bool = False,
) -> World:
    from portal.domain import workflow
    from portal.domain.calendar import load_calendar, local_date
    from portal.domain.models import (
        Case,
        CaseEvent,
        CaseNumberCounter,
        CaseState,
        CaseType,
        Channel,
        Enterprise,
        ExtensionRequest,
        OrgUnit,
        Supervision,
        UnitKind,
        User,
        case_co_handler,
    )
    from portal.domain.policies import finish_days_for

    calendar = load_calendar(session)
    me = session.scalar(sa.select(User).where(User.mobile == DEMO_MOBILE))
    mine = me.enterprise
    existing = session.scalar(sa.select(sa.func.count()).select_from(Case))
    existing_mine = session.scalar(
        sa.select(sa.func.count()).select_from(Case).where(Case.enterprise_id == mine.id)
    )
    to_add = max(0, cases - existing)
    add_mine = min(to_add, max(0, my_share - existing_mine))
    others = session.scalars(
        sa.select(Enterprise).where(Enterprise.id != mine.id).order_by(Enterprise.id)
    ).all()
    hot = session.scalar(sa.select(OrgUnit).where(OrgUnit.name == HOT_UNIT)) if staff else None
    hot_user = session.scalar(sa.select(User).where(User.username == "handler")) if staff else None

    # Where each enterprise whistles, who receives it there, who may lead it.
    plan = {}
    for e in [mine, *others]:
        targets = list(workflow.whistle_targets(e).values())  # local first, then the city
        plan[e.id] = []
        for j in targets:
            office = workflow.office_of(session, j)
            chain = [j.id, *(a.id for a in j.ancestors)]
            if staff:  # a unit of the case's own level where it has departments
                own = session.scalars(
                    sa.select(OrgUnit.id).where(
                        OrgUnit.jurisdiction_id == j.id, OrgUnit.kind == UnitKind.DEPARTMENT
                    )
                ).all()
                chain = [j.id] if own else chain
            departments = session.scalars(
                sa.select(OrgUnit.id).where(
                    OrgUnit.jurisdiction_id.in_(chain), OrgUnit.kind == UnitKind.DEPARTMENT
                )
            ).all()
            categories = [c.id for c in workflow.categories_of(session, j)]
            plan[e.id].append((j, office.id if office else None, departments, categories))

    owners = [mine] * add_mine + [others[i % len(others)] for i in range(to_add - add_mine)]
    rng.shuffle(owners)
    table_of_states = STAFF_STATES if staff else STATES
    weights = [w for _s, w, _e in table_of_states]
    rows, steps = [], []
    for _n, e in enumerate(owners):
        if staff and len(plan[e.id]) > 1:
            j, office_id, departments, categories = plan[e.id][
                1 if aux.random() < CITY_SHARE else 0
            ]
        else:
            j, office_id, departments, categories = rng.choice(plan[e.id])
        received = now - timedelta(minutes=rng.randrange(60, 730 * 24 * 60))
        state, _w, path = rng.choices(table_of_states, weights)[0]
        if staff and state in OPEN:  # open cases are recent: ages around 9 days, few older
            cap = 180 if state == "long_term" else 60
            age = min(cap * 24 * 60, 60 + aux.expovariate(1 / (9 * 24 * 60)))
            received = now - timedelta(minutes=age)
        lead = rng.choice(departments) if departments and "dispatch" in path else None
        if staff and lead is not None and j.level.value == "city" and aux.random() < HOT_SHARE:
            lead = hot.id
        if staff and state == "in_hand" and aux.random() < 0.5:
            path = path + ("progress",) * aux.randint(1, 2)
        rows.append(
            dict(
                jurisdiction=j,
                enterprise_id=e.id,
                applicant_name=e.name,
                contact_name=e.contact_name,
                contact_phone=e.contact_phone,
                title=rng.choice(TITLES).format(n=rng.randrange(10, 200)),
                content="企业反映：" + "相关情况说明。" * rng.randrange(5, 40),
                category_id=rng.choice(categories) if categories else None,
                type=rng.choice(list(CaseType)),
                channel=Channel.PORTAL,
                received_at=received,
                receiving_unit_id=office_id,
                office_id=office_id,
                submitted_by_id=me.id if e.id == mine.id else None,
                state=CaseState(state),
                lead_unit_id=lead,
                under_supervision=rng.random() < 0.05,
                created_at=received,
            )
        )
        steps.append(path)

    # One case of mine with a single event, one with `many_events`.
    # Both in the same jurisdiction (its local one, the deeper), so that only the number of
    # events differs between them.
    local_id = plan[mine.id][0][0].id
    mine_rows = [
        i
        for i, r in enumerate(rows)
        if r["enterprise_id"] == mine.id and r["jurisdiction"].id == local_id
    ]
    one_i = many_i = None
    if len(mine_rows) >= 2:
        one_i, many_i = mine_rows[0], mine_rows[1]
        rows[one_i]["state"], steps[one_i] = CaseState.SUBMITTED, ()
        rows[many_i]["state"] = CaseState.IN_HAND
        rows[many_i]["lead_unit_id"] = rows[many_i]["lead_unit_id"] or plan[mine.id][0][2][0]
        steps[many_i] = ("accept", "dispatch", "sign")
        extra = many_events - 1 - len(steps[many_i])
        steps[many_i] += tuple(
            "supplement" if k % 3 == 0 else "progress" for k in range(max(0, extra))
        )

    # The clocks and stamps of each case, as the workflow would have set them: the contact
    # limit from registration; the dispatch limit from acceptance; sign, contact and finish
    # limits from dispatch (workflow._start_clocks); the rating window from the published
    # reply; a return's ruling limit; closing.
    def due(at, days):
        return calendar.due_date(at, days) if days is not None else None

    times = []
    for i, r in enumerate(rows):
        path = steps[i]
        when = _timeline(r["received_at"], path, now, aux)
        times.append(when)
        at = dict(zip(path, when))  # the steps read below happen once in a path
        policy = r["jurisdiction"].effective_policy
        state = r["state"].value
        cols = dict(
            contact_due=due(r["received_at"], policy.contact_days),
            contacted_at=None,
            dispatch_due=None,
            sign_due=None,
            finish_due=None,
            dispatched_at=None,
            return_pending=False,
            return_due=None,
            reply_text=None,
            replied_at=None,
            rating_due=None,
            closed_at=None,
            needs_callback=False,
            with_leaders=False,
            leaders_involved=False,
        )
        if "accept" in at:
            cols["contacted_at"] = r["received_at"] + (at["accept"] - r["received_at"]) / 2
            cols["dispatch_due"] = due(at["accept"], policy.dispatch_days)
        elif state == "submitted" and aux.random() < 0.3:
            cols["contacted_at"] = r["received_at"] + (now - r["received_at"]) / 3
        if "dispatch" in at:
            cols["dispatched_at"] = at["dispatch"]
            if policy.sign_days is not None:
                extra = policy.sign_extra_days_lower_level if r["jurisdiction"].level.rank else 0
                cols["sign_due"] = due(at["dispatch"], policy.sign_days + extra)
            cols["contact_due"] = due(at["dispatch"], policy.contact_days)
            cols["finish_due"] = due(at["dispatch"], finish_days_for(policy, r["type"]))
            cols["contacted_at"] = at.get("sign") or (
                at["dispatch"] + (now - at["dispatch"]) / 2 if aux.random() < 0.3 else None
            )
        if "return" in at:
            cols["return_pending"] = True
            cols["return_due"] = due(at["return"], policy.return_ruling_days)
        # The reply reaches the enterprise when the office publishes it (staff=True); the
        # plain mix has no publishing step, so its reply counts.
        published = at.get("publish_reply") if staff else at.get("reply")
        if published is not None and state != "replied":
            cols["reply_text"] = "已协调相关部门办理，具体情况已电话告知。"
            cols["replied_at"] = published
            cols["rating_due"] = due(published, policy.rating_window_days)
        if "close" in at:
            cols["closed_at"] = at["close"]
        if staff and state == "rated":
            cols["needs_callback"] = aux.random() < 0.05
        r.update(cols)

    # Numbers: gap-free per jurisdiction and year, in order of receipt, after the demo's.
    counters = {
        (c.jurisdiction_id, c.year): c.last_value
        for c in session.scalars(sa.select(CaseNumberCounter))
    }
    order = sorted(range(len(rows)), key=lambda i: rows[i]["received_at"])
    for i in order:
        r = rows[i]
        j = r.pop("jurisdiction")
        year = local_date(r["received_at"]).year
        key = (j.id, year)
        counters[key] = counters.get(key, 0) + 1
        r.update(
            jurisdiction_id=j.id,
            year=year,
            seq=counters[key],
            number=f"{j.code}-{year}-{counters[key]:05d}",
            version_id=1,
        )

    table, events = Case.__table__, CaseEvent.__table__
    ids = []
    for start in range(0, len(rows), 2000):
        chunk = rows[start : start + 2000]
        result = session.execute(
            sa.insert(table).returning(table.c.id, sort_by_parameter_order=True), chunk
        )
        ids.extend(result.scalars().all())

    event_rows = []
    for i, r in enumerate(rows):
        state = None
        path = ("register", *steps[i])
        when = [r["received_at"], *times[i]]
        for k, (action, at) in enumerate(zip(path, when)):
            to_state = "submitted" if action == "register" else STEP_STATE.get(action, state)
            unit = (
                r["office_id"]
                if action in OFFICE_ACTIONS
                else r["lead_unit_id"]
                if action in LEAD_ACTIONS
                else None
            )
            event_rows.append(
                dict(
                    case_id=ids[i],
                    at=at,
                    actor_id=me.id
                    if action in ("register", "supplement", "rate") and r["submitted_by_id"]
                    else None,
                    actor_unit_id=unit,
                    action=action,
                    from_state=None if action == "register" else CaseState(state),
                    to_state=CaseState(to_state),
                    note="portal" if action == "register" else f"第{k}条办理记录：已与企业沟通。",
                    visible_to_enterprise=action in VISIBLE,
                )
            )
            state = to_state
    for start in range(0, len(event_rows), 5000):
        session.execute(sa.insert(events), event_rows[start : start + 5000])

    if staff:
        co_rows, notices, extensions, seqs = [], [], [], {}
        city_departments = {
            d for e in plan for j, _o, ds, _c in plan[e] if j.level.value == "city" for d in ds
        }
        for i, r in enumerate(rows):
            lead, state = r["lead_unit_id"], r["state"].value
            if lead is None:
                continue
            # Co-handlers (协办): one in ten dispatched city cases, the hot unit in a third.
            if lead in city_departments and aux.random() < 0.1:
                co = (
                    hot.id
                    if lead != hot.id and aux.random() < 0.33
                    else aux.choice(sorted(city_departments - {lead}))
                )
                co_rows.append({"case_id": ids[i], "unit_id": co})
            # Supervision notices (督办单) on supervised cases still being handled.
            if r["under_supervision"] and state in (
                "dispatched",
                "in_hand",
                "long_term",
                "replied",
            ):
                opened = r["dispatched_at"] + (now - r["dispatched_at"]) * aux.random()
                year = local_date(opened).year
                seqs[(r["office_id"], year)] = seqs.get((r["office_id"], year), 0) + 1
                policy = session.get(OrgUnit, r["office_id"]).jurisdiction.effective_policy
                replied = None if aux.random() < 0.6 else opened + (now - opened) / 2
                notices.append(
                    dict(
                        case_id=ids[i],
                        office_id=r["office_id"],
                        year=year,
                        seq=seqs[(r["office_id"], year)],
                        reason="overdue",
                        note="请加快办理。",
                        unit_id=lead,
                        opened_at=opened,
                        opened_by_id=None,
                        reply_due=due(opened, policy.supervision_reply_days),
                        replied_at=replied,
                        reply_text="已加快办理。" if replied else "",
                    )
                )
            # Extension requests (延期申请) waiting for the hot unit's head.
            if lead == hot.id and state == "in_hand" and aux.random() < 0.06:
                extensions.append(
                    dict(
                        case_id=ids[i],
                        days=5,
                        reason="需协调多个部门，申请延期。",
                        requested_by_id=hot_user.id,
                        decision_note="",
                        requested_at=r["dispatched_at"] + (now - r["dispatched_at"]) / 2,
                    )
                )
        if co_rows:
            session.execute(sa.insert(case_co_handler), co_rows)
        if notices:
            session.execute(sa.insert(Supervision.__table__), notices)
        if extensions:
            session.execute(sa.insert(ExtensionRequest.__table__), extensions)

    from portal.domain.queues import refresh_due_keys

    refresh_due_keys(session)  # the rows went in around the ORM's flush

    dialect = session.get_bind().dialect.name
    insert = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}[dialect]
    for (jid, year), last in counters.items():
        stmt = insert(CaseNumberCounter).values(jurisdiction_id=jid, year=year, last_value=last)
        session.execute(
            stmt.on_conflict_do_update(
                index_elements=[CaseNumberCounter.jurisdiction_id, CaseNumberCounter.year],
                set_={"last_value": stmt.excluded.last_value},
            )
        )
    session.flush()

    if one_i is None:  # no bulk cases of mine: use the demo's (one event each)
        demo_cases = session.scalars(
            sa.select(Case.number).where(Case.enterprise_id == mine.id).order_by(Case.id)
        ).all()
        one, many, many_count = demo_cases[0], demo_cases[0], 1
    else:
        one, many, many_count = rows[one_i]["number"], rows[many_i]["number"], many_events
    return World(
        total_cases=session.scalar(sa.select(sa.func.count()).select_from(Case)),
        my_cases=session.scalar(
            sa.select(sa.func.count()).select_from(Case).where(Case.enterprise_id == mine.id)
        ),
        one_event_case=one,
        many_events_case=many,
        many_events=many_count,
        total_events=session.scalar(sa.select(sa.func.count()).select_from(CaseEvent)),
    )
