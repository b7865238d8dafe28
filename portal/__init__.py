"""吹哨报到 (Whistle & Report-in): the portal's application factory.

`create_app` is the one place the application is assembled: configuration, extensions,
blueprints (one per audience, named after its URL prefix), error pages and CLI commands.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine
from werkzeug.middleware.proxy_fix import ProxyFix

from portal.config import Config, check_retention, secret_key_from_instance
from portal.extensions import babel, csrf, db, htmx, limiter, login_manager, migrate

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, _record):
    """SQLite: enforce foreign keys, let readers and a writer work side by side, and wait
    for a lock instead of failing at once."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA journal_mode=WAL")
        # In WAL mode NORMAL never corrupts the database; a power cut may lose the last
        # commits, not the file. FULL would fsync on every commit (every audited view).
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()


def _check_production(config) -> None:
    """Production mode (PRODUCTION=1) runs only on PostgreSQL, with a secret of its own and
    the queue on Redis: the embedded defaults are for one machine and for trying it out."""
    problems = []
    if not str(config.get("SQLALCHEMY_DATABASE_URI", "")).startswith("postgresql"):
        problems.append("DATABASE_URL must be a postgresql:// URL")
    if not config.get("SECRET_KEY"):
        problems.append("SECRET_KEY must be set")
    if config.get("JOBS_BACKEND") != "redis":
        problems.append("JOBS_BACKEND must be redis")
    if problems:
        raise RuntimeError("production mode: " + "; ".join(problems))


def create_app(config: type | dict | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_object(Config)
    if isinstance(config, dict):
        app.config.update(config)
    elif config is not None:
        app.config.from_object(config)
    os.makedirs(app.instance_path, exist_ok=True)
    if app.config.get("PRODUCTION"):
        _check_production(app.config)
    check_retention(app.config)
    # Leaner HTML for slow mobile data: no blank lines left behind by template tags.
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = secret_key_from_instance(app.instance_path)

    if app.config.get("PROXY_HOPS"):
        hops = app.config["PROXY_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS), render_as_batch=True, compare_type=True)
    csrf.init_app(app)
    htmx.init_app(app)
    limiter.init_app(app)

    from portal.web import (
        assets,
        auditing,
        converters,
        i18n,
        labels,
        limits,
        security,
        sessions,
        widgets,
    )
    from portal.web import input as request_input

    widgets.install()

    babel.init_app(app, locale_selector=i18n.select_locale)
    assets.init_app(app)
    auditing.init_app(app)
    converters.init_app(app)
    i18n.init_app(app)
    request_input.init_app(app)
    labels.init_app(app)
    limits.init_app(app)
    security.init_app(app)
    sessions.init_app(app, login_manager)
    from portal.web import form_posts

    form_posts.init_app(app)

    from portal.blueprints import register_blueprints

    register_blueprints(app)

    from portal.web import errors

    errors.init_app(app)

    from portal import cli, jobs

    cli.init_app(app)
    jobs.init_app(app)
    return app
