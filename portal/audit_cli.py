"""`flask --app wsgi audit verify|export` and `flask --app wsgi retention run` (SECURITY.md
checklist 29-30; issue 9 items 5-6)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click
from flask import current_app

from portal.extensions import db


def init_app(app) -> None:
    @app.cli.group()
    def audit():
        """The audit log: its hash chain and its off-host copy."""

    @audit.command("verify")
    @click.option(
        "--against",
        type=click.Path(exists=True, dir_okay=False),
        help="An earlier `audit export`: every row in it must still be here.",
    )
    def verify(against: str | None):
        """Walk the hash chain in id order; name the first broken row and exit 1."""
        from portal.domain import audit as chain

        kept = []
        if against:
            with open(against, encoding="utf-8") as fh:
                kept = chain.read_export(fh)
        verdict = chain.verify(db.session, kept)
        if verdict.ok:
            click.echo(f"{verdict.checked} audit row(s) checked: the chain is intact")
            return
        click.echo(
            f"{verdict.checked} audit row(s) checked; row {verdict.broken_id} {verdict.reason}",
            err=True,
        )
        sys.exit(1)

    @audit.command("export")
    @click.argument("path", type=click.Path(dir_okay=False, writable=True))
    def export(path: str):
        """Write every audit row, with its hashes, to PATH as JSON lines (for a copy kept off
        this host; `-` writes to standard output)."""
        from portal.domain import audit as chain

        if path == "-":
            count = chain.export(db.session, sys.stdout)
        else:
            target = Path(path)
            partial = target.with_name(f".{target.name}.{os.getpid()}.part")
            with open(partial, "w", encoding="utf-8") as fh:
                count = chain.export(db.session, fh)
            partial.replace(target)  # a reader never sees half a file
        click.echo(
            f"{count} audit row(s) exported; chain head {chain.last_hash(db.session)}",
            err=path == "-",
        )

    @app.cli.group()
    def retention():
        """Erasing personal information past its period (portal/domain/retention.py)."""

    @retention.command("run")
    def run():
        """Erase expired personal information now (idempotent; run daily). Audit rows are
        never touched."""
        from portal.domain import retention as rules
        from portal.web.sessions import utcnow

        report = rules.purge(db.session, utcnow(), rules.Policy.from_config(current_app.config))
        db.session.commit()
        click.echo(str(report))
