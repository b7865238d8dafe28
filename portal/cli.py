"""Command-line tools: `flask --app wsgi workdays …`, `sla tick`, `accounts create-admin`,
`demo` and `backup`; `audit …` and `retention run` are in `portal/audit_cli.py`,
`api-clients …` in `portal/api_cli.py`, `policy …` in `portal/policy_cli.py`, `org …` in
`portal/org_cli.py`."""

from __future__ import annotations

from datetime import date

import click
from flask import current_app

from portal.extensions import db


def _parse_day(_ctx, _param, value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date like 2026-02-12") from None


def init_app(app) -> None:
    from portal import api_cli, audit_cli, org_cli, policy_cli

    _init_translate(app)
    audit_cli.init_app(app)
    api_cli.init_app(app)
    policy_cli.init_app(app)
    org_cli.init_app(app)
    _init_backup(app)

    @app.cli.group()
    def workdays():
        """The working-day calendar (official holidays, 调休, admin overrides)."""

    @workdays.command("due")
    @click.argument("start", callback=_parse_day)
    @click.argument("days", type=click.IntRange(min=0))
    def due(start: date, days: int):
        """Print the last day of a period of DAYS working days starting on START."""
        from portal.domain.calendar import load_calendar

        click.echo(load_calendar(db.session).add_working_days(start, days).isoformat())

    @workdays.command("check")
    @click.argument("day", callback=_parse_day)
    def check(day: date):
        """Print whether DAY is a working day."""
        from portal.domain.calendar import load_calendar

        working = load_calendar(db.session).is_working_day(day)
        click.echo(f"{day.isoformat()} {'workday' if working else 'holiday'}")

    @workdays.command("set")
    @click.argument("day", callback=_parse_day)
    @click.argument("kind", type=click.Choice(["holiday", "workday"]))
    @click.option("--note", default="", help="Why, e.g. the State Council notice.")
    def set_day(day: date, kind: str, note: str):
        """Declare DAY a holiday or a workday (overrides the official calendar)."""
        from portal.domain.calendar import set_override
        from portal.domain.models import CalendarDayKind
        from portal.web.sessions import utcnow

        set_override(db.session, day, CalendarDayKind(kind), at=utcnow(), note=note)
        db.session.commit()
        click.echo(f"{day.isoformat()} is now a {kind}")

    @app.cli.group()
    def sla():
        """The time limits' scheduler."""

    @sla.command("tick")
    def sla_tick():
        """Write the reminders, overdue marks, callbacks, progress and ledger requests and
        bulletin notices owed now (idempotent; run every few minutes)."""
        from portal import jobs
        from portal.domain import sla as scheduler
        from portal.domain.calendar import load_calendar
        from portal.web.sessions import utcnow

        now = utcnow()
        report = scheduler.tick(db.session, load_calendar(db.session), now)
        db.session.commit()
        queued = jobs.enqueue_pending(now)
        click.echo(f"{report}; {queued} message(s) queued for delivery")

    @app.cli.group()
    def accounts():
        """Staff accounts outside the web pages (the first administrator)."""

    @accounts.command("create-admin")
    @click.argument("username")
    @click.option("--name", default="系统管理员", help="The name shown in the portal.")
    def create_admin(username: str, name: str):
        """Create an administrator USERNAME and print a one-time password, which must be
        changed at the first sign-in (SECURITY.md 8: no default credentials)."""
        from portal.domain.accounts import create_staff_user
        from portal.domain.errors import RuleViolation
        from portal.domain.models import Role
        from portal.web.sessions import utcnow

        try:
            _user, password = create_staff_user(
                db.session,
                by=None,
                name=name,
                username=username,
                role=Role.ADMIN,
                unit=None,
                at=utcnow(),
            )
        except RuleViolation as violation:
            db.session.rollback()
            raise click.ClickException(violation.message % violation.params) from None
        db.session.commit()
        click.echo(
            f"Administrator {username} created. One-time password (shown once; it "
            f"must be changed at the first sign-in):"
        )
        click.echo(password)

    @app.cli.command("demo")
    @click.option("--quiet", is_flag=True, help="Do not list the demo accounts.")
    def demo(quiet: bool):
        """Load demo data into an empty database, then list the demo accounts. Refused in
        production mode: the demo accounts share one known password (SECURITY.md 8)."""
        from portal import demo as demo_data

        if current_app.config.get("PRODUCTION"):
            raise click.ClickException(
                "demo data is never loaded in production mode; "
                "use `accounts create-admin` for the first account"
            )
        password = current_app.config["DEMO_PASSWORD"]
        if demo_data.is_empty(db.session):
            demo_data.load(db.session, password=password, now=demo_data.utcnow())
            db.session.commit()
            click.echo("Demo data loaded.")
        else:
            click.echo("The database already has data; demo data not loaded.")
        if not quiet:
            click.echo(f"Demo accounts (password: {password}):")
            for login, role, what in demo_data.DEMO_ACCOUNTS:
                click.echo(f"  {login:<12} {role.value:<11} {what}")


def _init_backup(app) -> None:
    from pathlib import Path

    @app.cli.group(invoke_without_command=True)
    @click.option(
        "--to",
        "to_dir",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        help="Folder for the dump and its manifest (default: instance/backups).",
    )
    @click.pass_context
    def backup(ctx, to_dir):
        """Back the database up: SQLite by its online backup API, PostgreSQL by pg_dump -Fc;
        a manifest beside the dump holds its SHA-256 and each table's count and checksum
        (SECURITY.md checklist 37)."""
        if ctx.invoked_subcommand is not None:
            return
        from portal import backup as backups
        from portal.web.sessions import utcnow

        folder = to_dir or Path(current_app.instance_path) / "backups"
        try:
            dump = backups.backup(
                current_app.config["SQLALCHEMY_DATABASE_URI"], folder, now=utcnow()
            )
        except backups.BackupError as error:
            raise click.ClickException(str(error)) from None
        tables = backups.read_manifest(dump)["tables"]
        click.echo(
            f"{dump} ({sum(t['rows'] for t in tables.values())} rows in "
            f"{len(tables)} tables); manifest {dump}{backups.MANIFEST_SUFFIX}"
        )

    @backup.command("restore")
    @click.argument("dump", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option(
        "--into",
        "into_url",
        required=True,
        help="An empty database: a new sqlite:///FILE, or a created postgresql:// database.",
    )
    def restore(dump, into_url):
        """Restore DUMP into an empty database and check it against its manifest: the
        dump's SHA-256, then every table's row count and checksum."""
        from portal import backup as backups
        from portal.config import database_url

        try:
            tables = backups.restore(dump, database_url(into_url))
        except backups.BackupError as error:
            raise click.ClickException(str(error)) from None
        click.echo(
            f"restored {len(tables)} tables, {sum(t['rows'] for t in tables.values())} "
            "rows; counts and checksums match the manifest"
        )


def _init_translate(app) -> None:
    import subprocess
    import sys
    from pathlib import Path

    root = Path(app.root_path)
    translations = root / "translations"
    pot = translations / "messages.pot"

    @app.cli.group()
    def translate():
        """Message catalogues: English msgids, Chinese (zh_Hans_CN) and English shipped."""

    @translate.command("update")
    def update():
        """Extract UI text, merge it into every catalogue, and fill English with the msgids.

        New Chinese entries are left empty for a translator; `make test` fails until they
        are filled (tests/test_i18n.py).
        """
        pybabel = [sys.executable, "-m", "babel.messages.frontend"]
        subprocess.run(
            [
                *pybabel,
                "extract",
                "-F",
                str(root.parent / "babel.cfg"),
                "-k",
                "_l",
                "-k",
                "N_",
                "--no-location",
                "--sort-output",
                "-o",
                str(pot),
                str(root),
            ],
            check=True,
        )
        subprocess.run(
            [
                *pybabel,
                "update",
                "-i",
                str(pot),
                "-d",
                str(translations),
                "--no-fuzzy-matching",
                "-w",
                "100",
            ],
            check=True,
        )
        from babel.messages.pofile import read_po, write_po

        path = translations / "en" / "LC_MESSAGES" / "messages.po"
        with path.open("rb") as fh:
            catalog = read_po(fh, locale="en")
        for message in catalog:
            if isinstance(message.id, tuple):
                if not all(message.string):
                    message.string = message.id
            elif message.id and not message.string:
                message.string = message.id
        with path.open("wb") as fh:
            write_po(fh, catalog, width=100)
        click.echo("Catalogues updated; translate the new zh_Hans_CN entries.")
