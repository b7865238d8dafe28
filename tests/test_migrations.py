"""The schema comes only from the migrations: they build exactly what the models describe,
and they go down and up again cleanly, on SQLite and on PostgreSQL."""

from __future__ import annotations

import os
import uuid

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from portal import create_app
from portal.domain.models import Base
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


def test_migrations_build_what_the_models_describe(app):
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}),
                                Base.metadata)
    assert diff == []


def test_downgrade_to_nothing_and_up_again(scratch_url):
    app = create_app(_config(scratch_url))
    with app.app_context():
        upgrade()
        assert "case_event" in sa.inspect(db.engine).get_table_names()
        downgrade(revision="base")
        assert set(sa.inspect(db.engine).get_table_names()) <= {"alembic_version"}
        upgrade()
        assert "case_event" in sa.inspect(db.engine).get_table_names()
        db.session.remove()
        db.engine.dispose()
