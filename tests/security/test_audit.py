"""The audit log: one row per event, append-only, hash-chained and verified; the auditor's
read-only view; retention of personal information (SECURITY.md checklist 16, 28, 29, 30;
"nothing lost" 5; issue 9 items 5 and 6).

| check | tests (skips and why) |
|---|---|
| 16 separation of duties | test_c16_only_the_auditor_reads_the_audit_log (every role, anonymous), test_c16_the_audit_viewer_is_get_only, test_c16_no_post_the_admin_can_reach_changes_audit_rows, test_c16_the_viewer_filters_pages_and_shows_no_case_content; DB level: the c29 trigger tests |
| 28 audit coverage | test_c28_login_success, test_c28_login_failure_known_and_unknown_user (no secret in the row), test_c28_case_view, test_c28_export, test_c28_case_status_change, test_c28_failed_authorisation, test_c28_every_audit_row_goes_through_one_writer; also tests/security/test_access_control.py test_c11_a_refused_page_is_audited, tests/test_enterprise.py test_case_views_and_refusals_are_audited, tests/test_documents.py test_downloads_are_audited_as_exports, tests/test_auth.py (each lockout failure). Role changes: audited by the admin user management (another part of issue 9) |
| 29 immutability | test_c29_update_and_delete_are_refused_by_the_trigger (both databases), test_c29_the_app_role_may_insert_but_not_change (PostgreSQL; skipped on SQLite: it has no roles or grants, the trigger test is its check), test_c29_the_verifier_passes_a_clean_chain, test_c29_the_verifier_finds_a_hand_edited_row, ..._a_deleted_row, ..._an_inserted_row, test_c29_a_fork_of_the_chain_is_refused, test_c29_concurrent_writers_do_not_fork_the_chain (threads, both databases), test_c29_the_migration_chains_existing_rows; also tests/test_model.py test_the_audit_log_is_append_only |
| 30 retention | test_c30_expired_personal_information_is_purged_the_rest_kept, test_c30_retention_run_from_the_command_line, test_c30_audit_rows_are_never_purged, test_c30_an_audit_retention_under_180_days_is_refused, test_c30_audit_export_writes_the_chain_as_json_lines, test_c30_the_export_finds_rows_cut_off_the_end, test_c30_the_copy_is_kept_off_this_host (skipped: no second host here; the nearest real checks are the export tests) |
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import threading
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from bs4 import BeautifulSoup

from portal.domain import audit, retention, workflow
from portal.domain.calendar import WorkCalendar
from portal.domain.models import AuditLog, Case, CaseState, Notification, Role
from portal.extensions import db as _db
from portal.web.sessions import utcnow
from tests import factories
from tests.conftest import IS_POSTGRES, _config, csrf_from
from tests.test_casework import post_step
from tests.test_migrations import scratch_app, scratch_url  # noqa: F401  (a fixture)

ROOT = Path(__file__).resolve().parents[2]
CAL = WorkCalendar()
ROLES = [r.value for r in Role]


# --------------------------------------------------------------------------- helpers


def rows(db, **where) -> list[AuditLog]:
    query = sa.select(AuditLog).order_by(AuditLog.id)
    for name, value in where.items():
        query = query.where(getattr(AuditLog, name) == value)
    db.session.expire_all()
    return list(db.session.scalars(query))


def one_row(db, **where) -> AuditLog:
    """Exactly one row of this kind, with every field checklist 28 asks for."""
    found = rows(db, **where)
    assert len(found) == 1, [(r.action, r.object_id, r.result) for r in found]
    row = found[0]
    assert row.at.utcoffset() == timedelta(0)  # UTC
    assert abs(row.at - utcnow()) < timedelta(minutes=5)
    assert row.ip == "127.0.0.1"
    assert row.action and row.result and row.object_type
    assert row.prev_hash and row.row_hash
    return row


def assert_no_secret(db, *secrets: str) -> None:
    for row in rows(db):
        text = json.dumps(audit.as_dict(row), ensure_ascii=False)
        for secret in secrets:
            assert secret not in text, f"row {row.id} holds {secret!r}"


def write(db, n: int, *, at=None, action="view") -> list[AuditLog]:
    written = [
        audit.record(
            db.session,
            at=at or factories.now(),
            action=action,
            result="ok",
            object_type="case",
            object_id=f"445100-2026-{i:05d}",
        )
        for i in range(n)
    ]
    db.session.commit()
    return written


def behind_the_trigger(db, sql: str, params: dict | None = None) -> None:
    """Run `sql` as a superuser would, past the append-only trigger: on PostgreSQL with
    replication-role replica (triggers do not fire), on SQLite with the trigger dropped."""
    with db.engine.begin() as conn:
        if IS_POSTGRES:
            conn.execute(sa.text("SET LOCAL session_replication_role = replica"))
        else:
            conn.execute(sa.text("DROP TRIGGER IF EXISTS audit_log_no_update"))
            conn.execute(sa.text("DROP TRIGGER IF EXISTS audit_log_no_delete"))
        conn.execute(sa.text(sql), params or {})


def verify_cli(runner, *args):
    return runner.invoke(args=["audit", "verify", *args])


def login(client, login_name: str, password: str):
    token = csrf_from(client.get("/auth/login").text)
    return client.post(
        "/auth/login", data={"login": login_name, "password": password, "csrf_token": token}
    )


# --------------------------------------------------------------------------- 28 coverage


def test_c28_login_success(client, db, world):
    office = world.users["office"]
    assert login(client, "office", factories.PASSWORD).status_code == 303
    row = one_row(db, action="login")
    assert (row.user_id, row.object_type, row.object_id, row.result) == (
        office.id,
        "user",
        str(office.id),
        "success",
    )
    assert_no_secret(db, factories.PASSWORD)


def test_c28_login_failure_known_and_unknown_user(client, db, world):
    office = world.users["office"]
    login(client, "office", "wrong-Secret-1")
    row = one_row(db, action="login", user_id=office.id)
    assert row.result == "failure"
    login(client, "nobody-here", "typed-Secret-2")
    unknown = one_row(db, action="login", result="failure", detail="unknown login")
    assert (unknown.user_id, unknown.object_id) == (None, None)
    # Neither password, nor the login typed for a missing account (it may be a password
    # typed into the wrong field), nor a password hash is anywhere in the log.
    assert_no_secret(
        db, "wrong-Secret-1", "typed-Secret-2", "nobody-here", "scrypt:", office.password_hash
    )


def test_c28_case_view(client, db, world, login_as):
    case = factories.case(db.session, world.city, enterprise=world.enterprise)
    db.session.commit()
    office = login_as("office")
    assert client.get(f"/office/cases/{case.number}").status_code == 200
    row = one_row(db, action="view")
    assert (row.user_id, row.object_type, row.object_id, row.result) == (
        office.id,
        "case",
        case.number,
        "ok",
    )


def test_c28_export(client, db, world, login_as):
    case = factories.case(db.session, world.city, enterprise=world.enterprise)
    db.session.commit()
    office = login_as("office")
    response = client.get(f"/office/cases/{case.number}/dossier.pdf")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    row = one_row(db, action="export")
    assert (row.user_id, row.object_type, row.object_id, row.result, row.detail) == (
        office.id,
        "case",
        case.number,
        "ok",
        "dossier",
    )


def test_c28_case_status_change(client, db, world, login_as):
    case = factories.case(db.session, world.city, enterprise=world.enterprise)
    workflow.accept(db.session, CAL, case, by=world.users["office"], at=factories.now())
    db.session.commit()
    office = login_as("office")
    assert (
        post_step(
            client,
            "/office",
            case,
            "dispatch",
            lead=str(world.department.id),
            note="请尽快联系企业",
        ).status_code
        == 303
    )
    row = one_row(db, action="step")
    assert (row.user_id, row.object_type, row.object_id, row.result, row.detail) == (
        office.id,
        "case",
        case.number,
        "ok",
        "dispatch: accepted → dispatched",
    )
    db.session.expire_all()
    assert db.session.get(Case, case.id).state is CaseState.DISPATCHED


def test_c28_a_refused_step_leaves_no_step_row(client, db, world, login_as):
    """The step's row is written in the step's transaction: a step that fails leaves none
    (SECURITY.md "nothing lost" 4)."""
    case = factories.case(db.session, world.city, enterprise=world.enterprise)
    workflow.accept(db.session, CAL, case, by=world.users["office"], at=factories.now())
    db.session.commit()
    login_as("office")
    response = post_step(client, "/office", case, "dispatch", lead="")
    assert response.status_code in (409, 422)
    assert rows(db, action="step") == []


def test_c28_failed_authorisation(client, db, world, login_as):
    handler = login_as("handler")
    assert client.get("/admin/").status_code == 403
    row = one_row(db, action="authorise")
    assert (row.user_id, row.object_type, row.object_id, row.result) == (
        handler.id,
        "endpoint",
        "admin.index",
        "denied",
    )


def test_c28_every_audit_row_goes_through_one_writer():
    """Only portal/domain/audit.py builds an AuditLog: every other writer calls
    `audit.record` (directly or through portal/web/auditing.py), so every row is chained."""
    builders = [
        str(p.relative_to(ROOT))
        for p in (ROOT / "portal").rglob("*.py")
        if re.search(r"(?<!class )\bAuditLog\(", p.read_text(encoding="utf-8"))
    ]
    assert builders == ["portal/domain/audit.py"]


# --------------------------------------------------------------------------- 29 immutability


@pytest.mark.parametrize("sql", ["UPDATE audit_log SET result = 'ok'", "DELETE FROM audit_log"])
def test_c29_update_and_delete_are_refused_by_the_trigger(db, world, sql):
    write(db, 2)
    with pytest.raises(sa.exc.DBAPIError, match="append-only"):
        with db.engine.begin() as conn:
            conn.execute(sa.text(sql))
    assert len(rows(db)) == 2
    assert audit.verify(db.session).ok


def _libpq_url(url: sa.URL, **overrides) -> str:
    return url.set(drivername="postgresql", **overrides).render_as_string(hide_password=False)


@pytest.mark.skipif(
    not IS_POSTGRES,
    reason="SQLite has no roles or grants; its check is the "
    "trigger (test_c29_update_and_delete_are_refused_by_the_trigger)",
)
@pytest.mark.skipif(
    shutil.which("psql") is None,
    reason="psql is needed to run deploy/sql/app_role.sql as a deployment would",
)
def test_c29_the_app_role_may_insert_but_not_change(db, world):
    """deploy/sql/app_role.sql, run by psql on this test database under a role name of its
    own; then connected as that role: INSERT works, UPDATE/DELETE/TRUNCATE on audit_log
    and case_event are refused by the grants (before any trigger), other tables are
    ordinary."""
    role = f"portal_app_{uuid.uuid4().hex[:8]}"
    password = uuid.uuid4().hex
    factories.case(db.session, world.city, enterprise=world.enterprise)  # one case event
    write(db, 1)
    url = db.engine.url
    subprocess.run(
        [
            "psql",
            "-X",
            "-q",
            "-v",
            f"role={role}",
            "-v",
            f"password={password}",
            "-d",
            _libpq_url(url),
            "-f",
            str(ROOT / "deploy/sql/app_role.sql"),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    engine = sa.create_engine(url.set(username=role, password=password))
    try:
        with engine.connect() as conn:
            assert conn.scalar(sa.text("SELECT current_user")) == role
        with sa.orm.Session(engine) as session:
            audit.record(session, at=factories.now(), action="view", result="ok")
            session.commit()
        for table in ("audit_log", "case_event"):
            for sql in (f"UPDATE {table} SET id = id", f"DELETE FROM {table}", f"TRUNCATE {table}"):
                with pytest.raises(sa.exc.ProgrammingError, match="permission denied"):
                    with engine.begin() as conn:
                        conn.execute(sa.text(sql))
            with pytest.raises(sa.exc.ProgrammingError, match="must be owner"):
                with engine.begin() as conn:
                    conn.execute(sa.text(f"ALTER TABLE {table} DISABLE TRIGGER ALL"))
        with engine.begin() as conn:  # ordinary DML elsewhere
            conn.execute(sa.text('UPDATE "user" SET failed_logins = 0'))
    finally:
        engine.dispose()
        with db.engine.begin() as conn:
            conn.execute(sa.text(f'DROP OWNED BY "{role}"'))
            conn.execute(sa.text(f'DROP ROLE "{role}"'))
    assert len(rows(db)) == 2
    assert audit.verify(db.session).ok


def test_c29_the_verifier_passes_a_clean_chain(runner, db, world):
    write(db, 3)
    result = verify_cli(runner)
    assert result.exit_code == 0, result.output
    assert "3 audit row(s) checked: the chain is intact" in result.output


def test_c29_the_verifier_finds_a_hand_edited_row(runner, db, world):
    written = write(db, 4)
    behind_the_trigger(
        db, "UPDATE audit_log SET result = 'denied' WHERE id = :id", {"id": written[2].id}
    )
    result = verify_cli(runner)
    assert result.exit_code == 1
    assert f"row {written[2].id} was changed after it was written" in result.output
    assert "2 audit row(s) checked" in result.output


def test_c29_the_verifier_finds_a_deleted_row(runner, db, world):
    written = write(db, 4)
    behind_the_trigger(db, "DELETE FROM audit_log WHERE id = :id", {"id": written[1].id})
    result = verify_cli(runner)
    assert result.exit_code == 1
    assert f"row {written[2].id} does not follow the row before it" in result.output


def test_c29_the_verifier_finds_an_inserted_row(runner, db, world):
    write(db, 2)
    head = audit.last_hash(db.session)
    with db.engine.begin() as conn:  # INSERT is allowed: the forger only lacks the format
        conn.execute(
            sa.text(
                "INSERT INTO audit_log (at, action, result, detail, prev_hash, row_hash) "
                "VALUES ('2026-11-25 02:00:00', 'view', 'ok', '', :prev, :own)"
            ),
            {"prev": head, "own": "f" * 64},
        )
    inserted = rows(db)[-1].id
    result = verify_cli(runner)
    assert result.exit_code == 1
    assert f"row {inserted} was changed after it was written" in result.output


def test_c29_a_fork_of_the_chain_is_refused(db, world):
    """A second row after the same predecessor (what two unlocked writers would make) is a
    database error: the predecessor's hash is unique."""
    first, _second = write(db, 2)
    with pytest.raises(sa.exc.IntegrityError):
        with db.engine.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO audit_log (at, action, result, detail, prev_hash, row_hash) "
                    "VALUES ('2026-11-25 02:00:00', 'view', 'ok', '', :prev, :own)"
                ),
                {"prev": first.row_hash, "own": "e" * 64},
            )


def test_c29_concurrent_writers_do_not_fork_the_chain(app, db, world):
    """Four threads, each its own connection, start every write at the same instant (a
    barrier) and, on PostgreSQL, hold their transaction a moment after it. Without the
    chain's lock (PostgreSQL's advisory lock, SQLite's write lock) two would read the same
    head and the unique index would refuse one of them: with `_lock_chain` emptied this test
    fails on both databases."""
    threads_n, each = 4, 15
    barrier = threading.Barrier(threads_n)
    errors: list[BaseException] = []
    engine = db.engine  # threads have no app context

    def writer(k: int) -> None:
        try:
            with sa.orm.Session(engine) as session:
                for i in range(each):
                    barrier.wait(timeout=30)
                    audit.record(
                        session,
                        at=factories.now(),
                        action="view",
                        result="ok",
                        object_type="case",
                        object_id=f"t{k}-{i}",
                    )
                    if IS_POSTGRES:
                        session.execute(sa.text("SELECT pg_sleep(0.005)"))
                    session.commit()
        except BaseException as error:  # noqa: BLE001  (reported below)
            errors.append(error)
            barrier.abort()

    threads = [threading.Thread(target=writer, args=(k,)) for k in range(threads_n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    assert len(rows(db)) == threads_n * each
    verdict = audit.verify(db.session)
    assert verdict.ok and verdict.checked == threads_n * each


def test_c29_the_migration_chains_existing_rows(scratch_url):  # noqa: F811
    """Rows written before revision 0011 get their hashes in id order when it runs."""
    from flask_migrate import upgrade

    with scratch_app(scratch_url):
        upgrade(revision="0010")
        with _db.engine.begin() as conn:
            for n in range(3):
                conn.execute(
                    sa.text(
                        "INSERT INTO audit_log (at, ip, action, result, detail) VALUES "
                        "(:at, '10.0.0.1', 'login', 'success', :d)"
                    ),
                    {"at": datetime(2026, 11, 20, 1, n), "d": f"old {n}"},
                )
        upgrade()
        verdict = audit.verify(_db.session)
        assert (verdict.ok, verdict.checked) == (True, 3)
        with pytest.raises(sa.exc.DBAPIError, match="append-only"):
            with _db.engine.begin() as conn:  # the trigger is back
                conn.execute(sa.text("DELETE FROM audit_log"))
        audit.record(_db.session, at=factories.now(), action="view", result="ok")
        _db.session.commit()
        assert audit.verify(_db.session).checked == 4


# --------------------------------------------------------------------------- 16 separation


@pytest.mark.parametrize("role", ROLES)
def test_c16_only_the_auditor_reads_the_audit_log(client, db, world, login_as, role):
    login_as(role)
    response = client.get("/audit/")
    assert response.status_code == (200 if role == "inspector" else 403)
    if role == "inspector":
        assert "审计日志" in response.text or "Audit log" in response.text


def test_c16_anonymous_users_are_sent_to_login(client, world):
    response = client.get("/audit/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/login?next=")


def test_c16_the_audit_viewer_is_get_only(app, client, world, login_as):
    methods = {
        m for r in app.url_map.iter_rules() if r.endpoint.startswith("audit.") for m in r.methods
    }
    assert methods <= {"GET", "HEAD", "OPTIONS"}
    login_as("inspector")
    token = csrf_from(client.get("/audit/").text)
    assert client.post("/audit/", data={"csrf_token": token}).status_code == 405


def _sample_path(rule) -> str:
    values = {
        name: {"IntegerConverter": 1, "CaseNumberConverter": "445100-2026-00001"}.get(
            type(conv).__name__, "x"
        )
        for name, conv in rule._converters.items()
    }
    return rule.build(values, append_unknown=False)[1]


def test_c16_no_post_the_admin_can_reach_changes_audit_rows(app, client, db, world, login_as):
    """The sysadmin posts to every POST route open to it (its own and the public ones),
    with fields named like audit columns: every audit row there before is still there,
    unchanged, and the chain holds. (No route writes audit rows except by appending.)"""
    write(db, 3)
    login_as("admin")
    before = [(r.id, r.row_hash) for r in rows(db)]
    token = csrf_from(client.get("/auth/password").text)
    reachable = [
        r
        for r in app.url_map.iter_rules()
        if "POST" in r.methods
        and (
            getattr(app.view_functions[r.endpoint], "access", None) is None
            or Role.ADMIN in app.view_functions[r.endpoint].access
        )
    ]
    reachable.sort(key=lambda r: r.endpoint == "auth.logout")  # signing out last
    assert {r.endpoint for r in reachable} >= {"admin.calendar", "auth.password"}
    for rule in reachable:
        response = client.post(
            _sample_path(rule),
            data={
                "csrf_token": token,
                "id": before[0][0],
                "action": "login",
                "result": "ok",
                "detail": "",
                "row_hash": "0" * 64,
                "audit_id": before[0][0],
            },
        )
        assert response.status_code < 500, rule.endpoint
    after = [(r.id, r.row_hash) for r in rows(db)]
    assert after[: len(before)] == before
    assert audit.verify(db.session).ok


def test_c16_the_viewer_filters_pages_and_shows_no_case_content(client, db, world, login_as):
    secret = factories.case(
        db.session, world.city, enterprise=world.enterprise, title="机密标题甲乙丙"
    )
    db.session.commit()
    old = factories.now() - timedelta(days=30)
    write(db, 55, action="view")
    write(db, 2, at=old, action="export")
    login_as("office")
    client.get(f"/office/cases/{secret.number}")
    client.post("/auth/logout", data={"csrf_token": csrf_from(client.get("/office/").text)})
    login_as("inspector")

    def shown(query: str) -> list[str]:
        page = BeautifulSoup(client.get(f"/audit/{query}").text, "html.parser")
        return [tr.select("td")[3].text for tr in page.select("table.audit tbody tr")]

    first = client.get("/audit/")
    assert first.status_code == 200
    assert len(shown("")) == 50 and 'rel="next"' in first.text
    assert "机密标题甲乙丙" not in first.text and "13900000000" not in first.text
    assert secret.number in first.text  # the object is named, its content is not
    assert shown("?action=export") == ["export", "export"]
    day = (old + timedelta(hours=8)).date().isoformat()  # its Beijing date
    assert shown(f"?day_from={day}&day_to={day}") == ["export", "export"]
    everything = len(rows(db))
    assert len(shown("?page=2")) == everything - 50
    bad = client.get("/audit/?day_from=not-a-date")
    assert bad.status_code == 200 and len(shown("?day_from=not-a-date")) == 50
    fragment = client.get("/audit/?action=export", headers={"HX-Request": "true"})
    assert "<html" not in fragment.text and "export" in fragment.text


# --------------------------------------------------------------------------- 30 retention


def _sms(db, user, *, created, status) -> Notification:
    n = Notification(
        key=f"k{uuid.uuid4().hex}",
        created_at=created,
        channel="sms",
        user_id=user.id,
        address="13800000001",
        template="case_replied",
        params={"number": "445100-2026-00001"},
        status=status,
    )
    db.session.add(n)
    return n


def _settled(db, world, state: CaseState, last_step: datetime) -> Case:
    case = factories.case(db.session, world.city, enterprise=world.enterprise)
    workflow.issue_tracking_code(case)
    case.state, case.last_event_at = state, last_step
    return case


def test_c30_expired_personal_information_is_purged_the_rest_kept(db, world):
    now = factories.now()
    user = world.users["enterprise"]
    old_sent = _sms(db, user, created=now - timedelta(days=91), status="sent")
    old_failed = _sms(db, user, created=now - timedelta(days=200), status="failed")
    old_pending = _sms(db, user, created=now - timedelta(days=200), status="pending")
    recent = _sms(db, user, created=now - timedelta(days=89), status="sent")
    archived_long = _settled(db, world, CaseState.ARCHIVED, now - timedelta(days=3 * 365 + 1))
    archived_lately = _settled(db, world, CaseState.ARCHIVED, now - timedelta(days=40))
    closed_lately = _settled(db, world, CaseState.CLOSED, now - timedelta(days=29))
    open_old = _settled(db, world, CaseState.DISPATCHED, now - timedelta(days=4000))
    db.session.commit()
    version = archived_long.version_id

    report = retention.purge(db.session, now, retention.Policy())
    db.session.commit()
    db.session.expire_all()
    assert (report.notifications, report.tracking_links, report.case_contacts) == (2, 2, 1)
    for gone in (old_sent, old_failed):
        assert (gone.address, gone.params, gone.status) == (None, {}, gone.status)
    for kept in (old_pending, recent):
        assert kept.address == "13800000001" and kept.params
    assert (archived_long.contact_name, archived_long.contact_phone) == ("", "")
    assert archived_long.tracking_hash is None and archived_long.version_id > version
    assert archived_lately.tracking_hash is None  # settled > 30 days: the link ends
    assert archived_lately.contact_phone == "13900000000"
    assert closed_lately.tracking_hash is not None
    assert open_old.tracking_hash is not None and open_old.contact_phone == "13900000000"
    assert str(retention.purge(db.session, now, retention.Policy())) == (
        "0 notification address(es), 0 short link(s), 0 case contact(s) erased"
    )


def test_c30_retention_run_from_the_command_line(runner, db, world):
    _sms(db, world.users["enterprise"], created=utcnow() - timedelta(days=100), status="sent")
    db.session.commit()
    result = runner.invoke(args=["retention", "run"])
    assert result.exit_code == 0, result.output
    assert "1 notification address(es)" in result.output
    assert (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Notification)
            .where(Notification.address.is_not(None))
        )
        == 0
    )


def test_c30_audit_rows_are_never_purged(runner, db, world):
    write(db, 1, at=utcnow() - timedelta(days=200))
    write(db, 1, at=utcnow() - timedelta(days=2000))
    assert runner.invoke(args=["retention", "run"]).exit_code == 0
    retention.purge(db.session, utcnow(), retention.Policy(0, 0, 0))
    db.session.commit()
    assert len(rows(db)) == 2 and audit.verify(db.session).ok


@pytest.mark.parametrize("days", [0, 90, 179])
def test_c30_an_audit_retention_under_180_days_is_refused(app, days):
    from portal import create_app

    url = app.config["SQLALCHEMY_DATABASE_URI"]
    with pytest.raises(RuntimeError, match="AUDIT_RETENTION_DAYS must be at least 180"):
        create_app(_config(url, AUDIT_RETENTION_DAYS=days))
    assert create_app(_config(url, AUDIT_RETENTION_DAYS=180)).config["AUDIT_RETENTION_DAYS"] == 180


def test_c30_audit_export_writes_the_chain_as_json_lines(runner, db, world, tmp_path):
    written = write(db, 3)
    target = tmp_path / "audit.jsonl"
    result = runner.invoke(args=["audit", "export", str(target)])
    assert result.exit_code == 0, result.output
    assert f"3 audit row(s) exported; chain head {written[-1].row_hash}" in result.output
    lines = [json.loads(line) for line in target.read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in lines] == [w.id for w in written]
    previous = audit.GENESIS
    for line in lines:  # the copy verifies on its own, without the database
        assert line["prev_hash"] == previous
        assert line["at"].endswith("Z")
        stamp = datetime.strptime(line["at"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
        assert audit.row_hash_of(type("R", (), {**line, "at": stamp}), previous) == line["row_hash"]
        previous = line["row_hash"]


def test_c30_the_export_finds_rows_cut_off_the_end(runner, db, world, tmp_path):
    """A chain cannot show its own last rows deleted; the exported copy can."""
    written = write(db, 3)
    copy = tmp_path / "audit.jsonl"
    assert runner.invoke(args=["audit", "export", str(copy)]).exit_code == 0
    assert verify_cli(runner, "--against", str(copy)).exit_code == 0
    behind_the_trigger(db, "DELETE FROM audit_log WHERE id = :id", {"id": written[-1].id})
    assert verify_cli(runner).exit_code == 0  # the chain alone cannot tell
    result = verify_cli(runner, "--against", str(copy))
    assert result.exit_code == 1
    assert f"row {written[-1].id} is in the exported copy but missing here" in result.output


@pytest.mark.skip(
    reason="copying the export to another host (rsync, object storage) is the "
    "deployment's job and there is no second host here; the nearest real "
    "checks are test_c30_audit_export_writes_the_chain_as_json_lines and "
    "test_c30_the_export_finds_rows_cut_off_the_end"
)
def test_c30_the_copy_is_kept_off_this_host():
    """SECURITY.md "nothing lost" 5: a DB superuser can bypass the trigger."""
