"""CLI commands (`flask --app wsgi ...`): scriptable, each with --help, non-zero exit on failure."""

from __future__ import annotations

import click
from flask import Flask, current_app
from sqlalchemy import delete

from gameplay.demo.story import load_demo_world
from kpi_engine.db import Base, utcnow
from kpi_engine.org.membership import user_by_email
from web.auth import hash_password, issue_token
from web.channel_sender import send_channels_command
from web.cli_game import finalize_command, rebuild_command, standings_command
from web.cli_jobs import jobs_command
from web.cli_kpis import import_inputs_command, kpi_alerts_command
from web.cli_live import simulate_command
from web.cli_people import COMMANDS as PEOPLE_COMMANDS
from web.cli_sales import import_crm_command
from web.cli_scheduled import scheduled_command
from web.extensions import db
from web.push_sender import send_pushes_command

DEMO_PASSWORD = "demo-password"  # noqa: S105 (printed for the demo on purpose)


@click.command("create-token")
@click.option("--email", required=True)
@click.option("--name", default="integration", help="A label to recognise the token by.")
def create_token_command(email: str, name: str) -> None:
    """Print a new personal API token for a user (it is shown once, stored hashed)."""
    user = user_by_email(db.session(), email)
    if user is None:
        raise click.ClickException(f"no user with email {email}")
    token = issue_token(user, name)
    db.session.commit()
    click.echo(token)


@click.group("demo", invoke_without_command=True)
@click.option("--reset", is_flag=True, help="Delete all data first, then load the demo.")
@click.pass_context
def demo_command(ctx: click.Context, reset: bool) -> None:
    """Load the demo organisation from the real CRM sample (safe to run again)."""
    if ctx.invoked_subcommand is not None:
        return
    if reset:
        for table in reversed(Base.metadata.sorted_tables):
            db.session.execute(delete(table))
    world = load_demo_world(
        db.session(),
        password_hash=hash_password(DEMO_PASSWORD),
        now=utcnow(),
        tz=current_app.config["ORG_TIMEZONE"],
    )
    db.session.commit()
    summary, story = world.org, world.story
    click.echo(
        f"demo ready: {summary.deals} deals, {summary.reps} reps, {summary.managers} managers, "
        f"won revenue {summary.won_revenue:,.0f}\n"
        f"log in (the server prints its address) with password {DEMO_PASSWORD!r} as:\n"
        f"  rep      {summary.rep_email}\n"
        f"  manager  {summary.manager_email}\n"
        f"  admin    {summary.admin_email}"
    )
    click.echo(
        f"added: {len(story.live)} live and {len(story.ended)} ended challenges, "
        f"{story.proofs} proofs to review, {story.rewards} rewards in the catalogue, "
        f"{story.redemptions} redemptions to hand over; "
        f"{world.inputs} KPI inputs (quotas, costs, forecasts) set"
    )


def init_app(app: Flask) -> None:
    for command in (
        *PEOPLE_COMMANDS,
        create_token_command,
        demo_command,
        import_crm_command,
        import_inputs_command,
        jobs_command,
        kpi_alerts_command,
        finalize_command,
        rebuild_command,
        standings_command,
        scheduled_command,
        send_channels_command,
        send_pushes_command,
    ):
        app.cli.add_command(command)
    demo_command.add_command(simulate_command)
