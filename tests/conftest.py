"""Fixtures: an app per database (SQLite or PostgreSQL from DATABASE_URL), a client, the
database session, a small organisation (`world`) and `login_as(role)`.

The schema comes from the Alembic migrations, run once per test session. Each test then
gets an empty database: on SQLite a copy of the migrated template file, on PostgreSQL the
same schema with every table truncated.
"""

from __future__ import annotations

import collections
import contextlib
import os
import sqlite3
import uuid
from dataclasses import dataclass
from pathlib import Path

import jinja2
import pytest
import sqlalchemy as sa
import weasyprint
from bs4 import BeautifulSoup
from flask import g, has_app_context
from flask.testing import FlaskClient
from flask_sqlalchemy import SQLAlchemy
from werkzeug.routing import Rule

import portal.web.pdf
from portal import create_app
from portal.config import TestConfig, database_url
from portal.extensions import db as _db
from tests import factories

DATABASE_URL = database_url(os.environ.get("DATABASE_URL", "sqlite://"))
IS_POSTGRES = DATABASE_URL.startswith("postgresql")


def migrate_to_head(uri: str) -> None:
    from flask_migrate import upgrade

    app = create_app(_config(uri))
    with app.app_context():
        upgrade()
        _db.engine.dispose()


def _config(uri: str, **extra) -> dict:
    config = {k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()}
    config["SQLALCHEMY_DATABASE_URI"] = uri
    config.update(extra)
    return config


@dataclass
class Database:
    """The test process's database: on PostgreSQL its own database (`url`), on SQLite one
    working file next to the migrated `template`. Either way one URL for the whole process,
    so the apps of successive tests share an engine and its compiled statements
    (`_share_engines`)."""

    url: str
    template: Path | None = None
    _engine: sa.engine.Engine | None = None

    @property
    def current_url(self) -> str:
        """The URL `fresh` gives, without emptying the database."""
        if self.template is not None:
            return f"sqlite:///{self.template.with_name('test.db')}"
        return self.url

    def fresh(self) -> str:
        """Empty the database (the migrated schema, no rows) and give its URL."""
        if self.template is not None:
            _restore_sqlite(self.template, self.template.with_name("test.db"))
            return self.current_url
        if self._engine is None:
            self._engine = sa.create_engine(self.url, poolclass=sa.pool.NullPool)
        with self._engine.begin() as conn:
            _empty_postgresql(conn)
        return self.url


def _restore_sqlite(template: Path, target: Path) -> None:
    """Make `target` a copy of `template` through SQLite's backup API, which takes the
    database's locks: connections still open on `target` (an app of the same test) see the
    copy, never a file replaced under them, and the WAL files stay SQLite's business."""
    with (
        contextlib.closing(sqlite3.connect(template)) as source,
        contextlib.closing(sqlite3.connect(target)) as copy,
    ):
        source.backup(copy)


def _empty_postgresql(conn) -> None:
    """Delete every row a test left and restart the used sequences, as `TRUNCATE … RESTART
    IDENTITY CASCADE` would, at a fraction of its cost.

    TRUNCATE of the 34 tables cost 0.8 s a test (it makes new files for every table, and
    CASCADE pulls in all of them whichever were named); a test writes to a few tables, so
    only those are emptied, by DELETE, with the foreign keys' and the append-only audit
    triggers' checks off for this transaction (`session_replication_role = replica`, as a
    restore does). The table list is read each time: a migration test may change it.
    """
    tables = conn.scalars(
        sa.text(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
            "AND tablename <> 'alembic_version'"
        )
    ).all()
    if not tables:
        return
    used = conn.scalars(
        sa.text(
            " UNION ALL ".join(f"SELECT '{t}' WHERE EXISTS (SELECT 1 FROM \"{t}\")" for t in tables)
        )
    ).all()
    if used:
        conn.execute(sa.text("SET LOCAL session_replication_role = replica"))
        for table in used:
            conn.execute(sa.text(f'DELETE FROM "{table}"'))
    for sequence in conn.scalars(
        sa.text(
            "SELECT quote_ident(schemaname) || '.' || quote_ident(sequencename) "
            "FROM pg_sequences WHERE schemaname = 'public' AND last_value IS NOT NULL"
        )
    ):
        conn.execute(sa.text(f"ALTER SEQUENCE {sequence} RESTART"))


@pytest.fixture(scope="session")
def database(tmp_path_factory) -> Database:
    """A migrated, empty database for this test run.

    On PostgreSQL each run creates a database of its own next to DATABASE_URL's and drops
    it at the end, so runs on one server (a developer's and CI's, or two suites at once)
    never see each other's tables.
    """
    if IS_POSTGRES:
        name = f"portal_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        admin = sa.create_engine(DATABASE_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        url = DATABASE_URL.rsplit("/", 1)[0] + "/" + name
        try:
            migrate_to_head(url)
            yield Database(url)
        finally:
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
        return
    template = tmp_path_factory.mktemp("db") / "template.db"
    migrate_to_head(f"sqlite:///{template}")
    yield Database(DATABASE_URL, template)


@pytest.fixture
def app_config() -> dict:
    """Override in a test module to change configuration."""
    return {}


class SharedBytecode(jinja2.BytecodeCache):
    """Compiled templates kept for the whole test process.

    Every test makes an app of its own, and each app's Jinja environment would lex, parse and
    compile every template it renders again; the templates do not change during a run, and
    a bucket whose source checksum differs is compiled afresh.
    """

    def __init__(self) -> None:
        self._code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        code = self._code.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self._code[bucket.key] = bucket.bytecode_to_string()


TEMPLATES = SharedBytecode()


def _share_url_builders() -> None:
    """Compile each URL rule's builder once for the whole test process.

    Werkzeug generates and `compile()`s two Python functions for every URL rule when a map
    is bound; with about 240 rules that was an eighth of a page test's time, for an app
    made per test. A builder is a pure function of the rule's parsed parts, its defaults
    and whether unknown arguments are appended (it reads the converters through the rule
    it is bound to at call time), so rules equal in those share one. The portal's own
    process makes its map once and is untouched.
    """
    compile_builder = Rule._compile_builder
    builders: dict[tuple, object] = {}

    def shared(rule: Rule, append_unknown: bool = True):
        key = (
            tuple(rule._trace),
            repr(sorted((rule.defaults or {}).items(), key=lambda item: item[0])),
            tuple(sorted(type(c).__name__ for c in rule._converters.values())),
            rule.rule,
            append_unknown,
        )
        builder = builders.get(key)
        if builder is None:
            builder = builders[key] = compile_builder(rule, append_unknown)
        return builder

    Rule._compile_builder = shared  # type: ignore[method-assign]


_share_url_builders()


class _SharedPdf:
    """What `portal.web.pdf.render_pdf` makes of a document's HTML, rendered by WeasyPrint
    once for the whole test process and then reused for the same HTML.

    The route walks (checks 11, 22, 32) open every PDF route as every role, and rendering
    was about half of their time; the same HTML with the same base URL and fetcher gives
    the same document. The first render of any HTML is WeasyPrint's own, so a document that
    fails to render fails its first test as before.
    """

    kept: collections.OrderedDict[tuple, bytes] = collections.OrderedDict()
    most = 256

    def __init__(self, *, string: str, base_url: str, url_fetcher) -> None:
        self.key = (string, base_url, type(url_fetcher), getattr(url_fetcher, "root", None))
        self.document = dict(string=string, base_url=base_url, url_fetcher=url_fetcher)

    def write_pdf(self) -> bytes:
        pdf = self.kept.get(self.key)
        if pdf is None:
            pdf = weasyprint.HTML(**self.document).write_pdf()
            self.kept[self.key] = pdf
            if len(self.kept) > self.most:
                self.kept.popitem(last=False)
        return pdf


portal.web.pdf.HTML = _SharedPdf  # type: ignore[misc,assignment]


def _share_engines() -> None:
    """One engine per database URL and engine options for the whole test process.

    Every test makes an app of its own, and each app made an engine whose cache of compiled
    statements began empty: compiling SQL was about an eighth of a page test's time (a
    quarter of the CPU of tests/test_workflow.py and test_casework.py). Every test's app
    opens the process's one database (`Database.fresh` empties it), so apps with the same
    URL and options now share the engine, and its cache. The `app` fixture still disposes
    of the engine's connections after each test, so none outlives its test."""
    make_engine = SQLAlchemy._make_engine
    engines: dict[str, sa.engine.Engine] = {}

    def shared(self, bind_key, options, app):
        key = repr(sorted((k, repr(v)) for k, v in options.items()))
        engine = engines.get(key)
        if engine is None:
            engine = engines[key] = make_engine(self, bind_key, options, app)
        return engine

    SQLAlchemy._make_engine = shared  # type: ignore[method-assign]


_share_engines()


def make_app(config: dict):
    """The portal as `create_app` builds it, sharing this process's compiled templates."""
    app = create_app(config)
    app.jinja_env.bytecode_cache = TEMPLATES
    return app


@pytest.fixture
def app(database, app_config):
    app = make_app(_config(database.fresh(), **app_config))
    app.test_client_class = FreshRequestClient
    with app.app_context():
        yield app
        _db.session.remove()
        _db.engine.dispose()


@pytest.fixture
def db(app):
    return _db


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def world(db):
    """A city with an office and two departments, a county below it, an enterprise, and one
    user per role (password `factories.PASSWORD`)."""
    w = factories.build_world(db.session)
    db.session.commit()
    return w


@pytest.fixture
def profiles(db, world) -> dict:
    """The five seed policy profiles by key (chaozhou, chengkou, dalu, shantou, haimen)."""
    from portal.domain.models import PolicyProfile

    return {p.key: p for p in db.session.scalars(sa.select(PolicyProfile))}


def csrf_from(html: str) -> str:
    field = BeautifulSoup(html, "html.parser").find("input", attrs={"name": "csrf_token"})
    assert field is not None, "page has no CSRF token"
    return field["value"]


class FreshRequestClient(FlaskClient):
    """A test client whose every request starts as a new one would in production.

    Tests keep an application context open (to use `db.session` between requests), and
    Flask reuses an open context for requests, so `g` (Flask-Login's user, Flask-Babel's
    locale) and the session's identity map would leak from one request into the next.
    """

    def open(self, *args, **kwargs):
        if has_app_context():
            g.__dict__.clear()
            _db.session.expire_all()
        return super().open(*args, **kwargs)


@pytest.fixture
def login_as(client, world):
    """Sign `client` in as the world's user of `role` (a Role or its value); returns the user."""

    def _login(role, password=factories.PASSWORD):
        key = getattr(role, "value", role)
        user = world.users[key]
        token = csrf_from(client.get("/auth/login").text)
        response = client.post(
            "/auth/login",
            data={"login": user.mobile or user.username, "password": password, "csrf_token": token},
        )
        assert response.status_code == 303, response.text[:500]
        return user

    return _login


@pytest.fixture
def sms_inbox():
    """The SMS messages the "log" backend sends during the test (tests/sms_inbox.py)."""
    from tests.sms_inbox import SmsInbox

    with SmsInbox() as inbox:
        yield inbox
