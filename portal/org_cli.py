"""Organisation set-up from the command line (issue 16 item 2):
`flask --app wsgi org import FILE.xlsx [--dry-run]` and `org template units|categories OUT`."""

from __future__ import annotations

from pathlib import Path

import click

from portal.extensions import db


def row_line(result) -> str:
    """`单位 row 3 市人社局: added`, or with the column and the reason for an error."""
    where = f"{result.sheet} row {result.row}"
    if result.column:
        where += f" column {result.column}"
    text = f"{where} {result.what}: {result.outcome}".replace("  ", " ")
    if result.message:
        text += " — " + (result.message % result.params if result.params else result.message)
    return text


def init_app(app) -> None:
    @app.cli.group()
    def org():
        """Jurisdictions, units, staff and categories from the offices' spreadsheets."""

    @org.command("template")
    @click.argument("kind", type=click.Choice(["units", "categories"]))
    @click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
    def template(kind: str, out: Path):
        """Write the empty .xlsx template of KIND (Chinese headers) to OUT."""
        from portal.domain import org_import

        out.write_bytes(org_import.template(kind))
        click.echo(f"{out}: the {kind} template")

    @org.command("import")
    @click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--dry-run", is_flag=True, help="Check every row; write nothing.")
    def import_file(path: Path, dry_run: bool):
        """Import a filled template. Nothing is written unless every row is clean."""
        from portal.domain import org_import
        from portal.domain.errors import RuleViolation
        from portal.web.sessions import utcnow

        try:
            sheets = org_import.read_workbook(path.read_bytes())
        except RuleViolation as refused:
            raise click.ClickException(refused.message % refused.params) from None
        report = org_import.import_workbook(
            db.session, sheets, by=None, at=utcnow(), dry_run=dry_run
        )
        db.session.commit()
        for result in report.rows:
            click.echo(row_line(result))
        counts = ", ".join(
            f"{report.count(o)} {o}" for o in ("added", "changed", "unchanged", "error")
        )
        if report.written:
            click.echo(f"written: {counts}")
            for username, password in report.passwords:
                click.echo(f"one-time password for {username} (shown once): {password}")
        elif dry_run and report.clean:
            click.echo(f"dry run, nothing written: {counts}")
        else:
            raise click.ClickException(f"nothing written: {counts}")
