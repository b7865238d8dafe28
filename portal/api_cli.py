"""Other channels in (issue 10): `flask --app wsgi api-clients add|list|revoke`, the systems
that may hand work orders over ("per-system API tokens (stored hashed, scoped to a
jurisdiction, revocable by admin)"; a new client's token is printed once and never stored),
and `flask --app wsgi intake mail`, which reads the office's mailbox."""

from __future__ import annotations

import click
import sqlalchemy as sa

from portal.extensions import db


def init_app(app) -> None:
    @app.cli.group("api-clients")
    def api_clients():
        """Systems allowed to use /api/v1/ (12345 hotline platforms and the like)."""

    @api_clients.command("add")
    @click.argument("name")
    @click.option(
        "--jurisdiction",
        "code",
        required=True,
        help="The code of the jurisdiction its work orders go to, e.g. 445100.",
    )
    @click.option("--webhook", default=None, help="Where to post replies and ratings.")
    def add(name: str, code: str, webhook: str | None):
        """Add a client; print its token (once) and, with --webhook, its signing secret."""
        from portal.domain import work_orders
        from portal.domain.models import Jurisdiction
        from portal.web.sessions import utcnow

        place = db.session.scalar(sa.select(Jurisdiction).where(Jurisdiction.code == code))
        if place is None:
            raise click.BadParameter(
                f"no jurisdiction with code {code}", param_hint="--jurisdiction"
            )
        client, token = work_orders.add_client(
            db.session, name=name, jurisdiction=place, at=utcnow(), webhook_url=webhook
        )
        db.session.commit()
        click.echo(f"client {client.id}: {name} ({place.name})")
        click.echo(f"token (shown once): {token}")
        if client.webhook_secret:
            click.echo(f"webhook signing secret: {client.webhook_secret}")

    @api_clients.command("list")
    def list_():
        """Every client, revoked ones too."""
        from portal.domain.models import ApiClient

        for client in db.session.scalars(sa.select(ApiClient).order_by(ApiClient.id)):
            state = f"revoked {client.revoked_at:%Y-%m-%d}" if client.revoked_at else "active"
            click.echo(f"{client.id}\t{client.name}\t{client.jurisdiction.code}\t{state}")

    @api_clients.command("revoke")
    @click.argument("client_id", type=int)
    def revoke(client_id: int):
        """Revoke a client's token at once; its work orders stay."""
        from portal.domain.models import ApiClient
        from portal.web.sessions import utcnow

        client = db.session.get(ApiClient, client_id)
        if client is None:
            raise click.BadParameter(f"no client {client_id}", param_hint="CLIENT_ID")
        client.revoked_at = client.revoked_at or utcnow()
        db.session.commit()
        click.echo(f"client {client.id} revoked")

    @app.cli.group()
    def intake():
        """Whistles that arrive outside the portal's forms."""

    @intake.command("mail")
    def mail():
        """Register each unread e-mail of the office's mailbox (INTAKE_IMAP_*) as a case;
        what cannot be taken goes to the office's review list. Run it every few minutes."""
        from pathlib import Path

        from flask import current_app

        from portal import mail_intake
        from portal.domain import intake as mailroom
        from portal.domain.calendar import load_calendar
        from portal.web.sessions import utcnow

        config = current_app.config
        if not config["INTAKE_IMAP_HOST"]:
            raise click.UsageError("INTAKE_IMAP_HOST is not configured")
        place = mailroom.default_jurisdiction(db.session, config["INTAKE_JURISDICTION"])
        if place is None:
            raise click.UsageError("INTAKE_JURISDICTION names no jurisdiction")
        box = mail_intake.Mailbox(
            config["INTAKE_IMAP_HOST"],
            config["INTAKE_IMAP_PORT"],
            config["INTAKE_IMAP_USER"],
            config["INTAKE_IMAP_PASSWORD"],
            config["INTAKE_IMAP_FOLDER"],
            config["INTAKE_IMAP_SSL"],
        )
        calendar = load_calendar(db.session)
        root = Path(current_app.instance_path) / "uploads"
        registered = review = 0
        for raw, mark_read in mail_intake.read_mailbox(box):
            row, new = mailroom.take_message(
                db.session, calendar, raw, jurisdiction=place, at=utcnow(), upload_root=root
            )
            db.session.commit()  # stored before the mailbox forgets it
            mark_read()
            if new:
                registered += row.status == "registered"
                review += row.status == "review"
        from portal import jobs

        jobs.enqueue_pending(utcnow())  # the senders' confirmations
        click.echo(f"{registered} registered, {review} for review")
