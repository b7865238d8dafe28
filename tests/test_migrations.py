"""The schema comes only from the migrations: they build exactly what the models describe,
and they go down and up again cleanly, on SQLite and on PostgreSQL."""

from __future__ import annotations

import uuid
from contextlib import contextmanager

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from portal import create_app
from portal.domain.models import Base, Case, Channel
from portal.extensions import db
from tests.conftest import DATABASE_URL, IS_POSTGRES, _config


@pytest.fixture
def scratch_url(tmp_path):
    """An empty database of the kind under test."""
    if not IS_POSTGRES:
        yield f"sqlite:///{tmp_path / 'scratch.db'}"
        return
    name = f"scratch_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(DATABASE_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    yield DATABASE_URL.rsplit("/", 1)[0] + "/" + name
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@contextmanager
def scratch_app(url: str):
    """The app on the scratch database, inside its context; connections closed after."""
    app = create_app(_config(url))
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def scalar(sql: str):
    with db.engine.connect() as conn:
        return conn.scalar(sa.text(sql))


def test_migrations_build_what_the_models_describe(app):
    with db.engine.connect() as conn:
        diff = compare_metadata(
            MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata
        )
        if not IS_POSTGRES:
            # Alembic reads SQLite's index columns without their direction and reports the
            # queues' order index as changed; SQLite itself says what it holds.
            diff = [
                d
                for d in diff
                if not (
                    d[0] in ("add_index", "remove_index") and d[1].name == "ix_case_queue_order"
                )
            ]
            columns = conn.exec_driver_sql("PRAGMA index_xinfo(ix_case_queue_order)").all()
            assert [(c.name, c.desc) for c in columns if c.key] == [
                ("due_key", 0),
                ("received_at", 1),
                ("id", 1),
                ("jurisdiction_id", 0),
            ]
    assert diff == []


def test_downgrade_to_nothing_and_up_again(scratch_url):
    with scratch_app(scratch_url):
        upgrade()
        assert "case_event" in sa.inspect(db.engine).get_table_names()
        downgrade(revision="base")
        assert set(sa.inspect(db.engine).get_table_names()) <= {"alembic_version"}
        upgrade()
        assert "case_event" in sa.inspect(db.engine).get_table_names()


def _insert_case(channel: str) -> None:
    """One case with its register event, written in the columns of revision 0001."""
    with db.engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO jurisdiction (id, code, name, level) VALUES (1, '445100', '潮州市', 'city')"  # noqa: E501
            )
        )
        conn.execute(
            sa.text(
                'INSERT INTO "case" (id, number, jurisdiction_id, year, seq, applicant_name, '
                "contact_name, contact_phone, title, content, type, channel, received_at, state, "
                "version_id, created_at) VALUES (1, '445100-2026-00001', 1, 2026, 1, 'a', 'b', "
                "'13800000000', 't', 'c', 'business', :channel, '2026-11-25 02:00:00', "
                "'submitted', 1, '2026-11-25 02:00:00')"
            ),
            {"channel": channel},
        )
        conn.execute(
            sa.text(
                "INSERT INTO case_event (case_id, at, action, note, visible_to_enterprise) "
                "VALUES (1, '2026-11-25 02:00:00', 'register', :channel, true)"
            ),
            {"channel": channel},
        )


def test_upgrades_and_downgrades_keep_the_data(scratch_url):
    """A case registered under revision 0001 survives the later revisions and the way back."""
    with scratch_app(scratch_url):
        upgrade(revision="0001")
        _insert_case("portal")
        upgrade()
        assert scalar('SELECT number FROM "case"') == "445100-2026-00001"
        assert scalar("SELECT count(*) FROM case_event") == 1
        assert scalar('SELECT under_supervision FROM "case"') in (False, 0)
        downgrade(revision="0001")
        assert scalar('SELECT count(*) FROM "case"') == 1
        assert scalar("SELECT count(*) FROM case_event") == 1


def test_cases_forwarded_from_the_ledger_arrive_by_the_liaison_channel(scratch_url):
    """0007: a case a liaison forwarded while the channel was called "ledger" reads as
    "liaison" (issue 6), and back again on downgrade; the append-only event stays as written."""
    with scratch_app(scratch_url):
        upgrade(revision="0006")
        _insert_case("ledger")
        upgrade()
        assert scalar('SELECT channel FROM "case"') == "liaison"
        assert scalar("SELECT note FROM case_event") == "ledger"
        with db.session.begin():
            assert db.session.get(Case, 1).channel is Channel.LIAISON
        db.session.remove()
        downgrade(revision="0006")
        assert scalar('SELECT channel FROM "case"') == "ledger"


def test_a_rated_case_keeps_its_latest_rating_on_the_case(scratch_url):
    """0008: the case carries its latest rating (a re-handled case: the second one)."""
    with scratch_app(scratch_url):
        upgrade(revision="0007")
        _insert_case("portal")
        with db.engine.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO case_event (id, case_id, at, action, note, visible_to_enterprise) "
                    "VALUES (2, 1, '2026-11-26 02:00:00', 'publish_reply', '再办', true)"
                )
            )
            for rating_id, level, solved in ((1, "unsatisfied", False), (2, "satisfied", True)):
                conn.execute(
                    sa.text(
                        "INSERT INTO rating (id, case_id, reply_event_id, level, solved, comment, at) "  # noqa: E501
                        "VALUES (:id, 1, :id, :level, :solved, '', '2026-11-26 02:00:00')"
                    ),
                    {"id": rating_id, "level": level, "solved": solved},
                )
        upgrade()
        assert scalar('SELECT rating_level FROM "case"') == "satisfied"
        assert scalar('SELECT rating_solved FROM "case"') in (True, 1)
        downgrade(revision="0007")
        assert scalar("SELECT count(*) FROM rating") == 2
