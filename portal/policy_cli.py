"""Time-limit policy from the command line (issue 16 item 3): `flask --app wsgi policy list`
and `policy deadlines PROFILE --type … --at YYYY-MM-DD [--unit-level …]`, what a profile
means in dates on the official working-day calendar."""

from __future__ import annotations

from datetime import date

import click
import sqlalchemy as sa

from portal.extensions import db

TYPES = ("consultation", "suggestion", "complaint", "business")


def clock_line(clock) -> str:
    """`finish: 2026-02-26 (3 working days; 五(三)2 “原则上在3个工作日内办结”)`, or `plan: none`.
    A clock that starts on the unit's confirmation says so, with the confirmation's last day
    (Shantou 三(三) "接到《转办函》后")."""
    if clock.due is None:
        return f"{clock.name}: none"
    days = "at once" if clock.days == 0 else f"{clock.days} working day{'s' * (clock.days != 1)}"
    if clock.name == "reply":
        days += " after finishing on the last day"
    elif clock.name == "extension cap":
        days += " more at the most"
    elif clock.from_confirmation is not None:
        days += f" after the 转办函, issued on confirmation by {clock.from_confirmation}"
    clause = f"; {clock.clause}" if clock.clause else ""
    return f"{clock.name}: {clock.due.isoformat()} ({days}{clause})"


def init_app(app) -> None:
    @app.cli.group()
    def policy():
        """Time-limit policy profiles (the five seeds' presets and their copies)."""

    @policy.command("list")
    def list_profiles():
        """Every profile: key, revision, name, and whether it is a seed's preset."""
        from portal.domain.models import PolicyProfile

        for p in db.session.scalars(sa.select(PolicyProfile).order_by(PolicyProfile.key)):
            kind = "preset" if p.preset else f"copy of {p.based_on.key}" if p.based_on else ""
            click.echo(f"{p.key:<16} r{p.revision:<3} {p.name}  {kind}".rstrip())

    @policy.command("deadlines")
    @click.argument("key")
    @click.option("--type", "case_type", type=click.Choice(TYPES), required=True)
    @click.option("--at", "at", required=True, help="The day the unit receives the case.")
    @click.option(
        "--unit-level",
        type=click.Choice(["city", "county"]),
        default="city",
        show_default=True,
        help="The receiving unit's level (Shantou 三(二): one day more below the city).",
    )
    def deadlines(key: str, case_type: str, at: str, unit_level: str):
        """One line per clock that starts when a unit receives a case on --at."""
        from portal.domain.calendar import load_calendar
        from portal.domain.errors import RuleViolation
        from portal.domain.models import CaseType, PolicyProfile
        from portal.domain.policies import case_types_for
        from portal.domain.policies import deadlines as clocks

        try:
            day = date.fromisoformat(at)
        except ValueError:
            raise click.BadParameter(
                f"{at!r} is not a date like 2026-02-12", param_hint="--at"
            ) from None
        profile = db.session.scalar(sa.select(PolicyProfile).where(PolicyProfile.key == key))
        if profile is None:
            known = ", ".join(db.session.scalars(sa.select(PolicyProfile.key)))
            raise click.BadParameter(f"no profile {key!r} (known: {known})", param_hint="PROFILE")
        calendar = load_calendar(db.session)
        try:
            found = clocks(profile, CaseType(case_type), day, calendar, unit_level=unit_level)
        except RuleViolation:
            taken = ", ".join(t.value for t in case_types_for(profile))
            raise click.BadParameter(
                f"{key} takes no {case_type} cases; it takes {taken}", param_hint="--type"
            ) from None
        for clock in found:
            click.echo(clock_line(clock))
