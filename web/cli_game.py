"""Game CLI commands: `flask --app wsgi finalize` (periodic work), `rebuild` and `standings`."""

from __future__ import annotations

import click
from sqlalchemy import select

from gameplay.changes import Changes
from gameplay.ledger_standings import check_standings, restore_standings
from gameplay.lifecycle import finalize_due
from gameplay.models import Challenge
from gameplay.rebuild import rebuild_game
from kpi_engine.db import utcnow
from kpi_engine.events import rebuild_mirror
from web.extensions import db
from web.realtime import publish


@click.command("finalize")
def finalize_command() -> None:
    """Finalise every challenge that has ended (awards, badges, prizes); safe to run often."""
    finalized, changes = finalize_due(db.session(), now=utcnow())
    db.session.commit()
    publish(changes)
    click.echo(f"finalised {len(finalized)} challenge(s)" + (f": {finalized}" if finalized else ""))


@click.command("rebuild")
@click.option(
    "--game-only", is_flag=True, help="Keep the deal/activity mirror; rebuild the game only."
)
def rebuild_command(game_only: bool) -> None:
    """Derive the deal/activity mirror and every open challenge's ledger and standings again."""
    if not game_only:
        deals = rebuild_mirror(db.session())
        click.echo(f"mirror rebuilt: {deals} deals")
    summary = rebuild_game(db.session(), now=utcnow())
    db.session.commit()
    click.echo(
        f"game rebuilt: {summary.challenges} open challenge(s), {summary.raw_events} raw events "
        f"replayed, {summary.entries} ledger entries"
    )


@click.command("standings")
@click.option("--check", is_flag=True, help="Report differences only; change nothing.")
def standings_command(check: bool) -> None:
    """Compare every open challenge's standings with its ledger; restore the ones that differ."""
    session = db.session()
    open_challenges = session.scalars(
        select(Challenge)
        .where(Challenge.launched_at.isnot(None), Challenge.finalized_at.is_(None))
        .order_by(Challenge.id)
    ).all()
    changes = Changes()
    for challenge in open_challenges:
        found = (check_standings if check else restore_standings)(session, challenge)
        for difference in found:
            click.echo(
                f"challenge {difference.challenge_id} rep {difference.user_id} "
                f"{difference.field}: kept {difference.kept}, ledger says {difference.derived}"
            )
        if found and not check:
            changes.standings_changed(challenge.id, {d.user_id for d in found})
    db.session.commit()
    publish(changes)
    verb = "checked" if check else "checked and restored where needed"
    click.echo(f"standings {verb}: {len(open_challenges)} open challenge(s)")
