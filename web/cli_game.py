"""Game CLI commands: `flask --app wsgi finalize` (periodic work), `rebuild` and `standings`."""

from __future__ import annotations

import click

from gameplay.core.changes import Changes
from gameplay.ops.ledger_standings import check_open_challenges
from gameplay.ops.rebuild import rebuild_game
from kpi_engine.db import utcnow
from kpi_engine.sales.ingest import rebuild_mirror
from web.extensions import db
from web.realtime import commit_and_publish, publish
from web.scheduler import finalize_ended


@click.command("finalize")
def finalize_command() -> None:
    """Finalise every challenge that has ended (awards, badges, prizes); safe to run often."""
    finalized, changes = finalize_ended(utcnow())
    commit_and_publish(changes)
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
    count, found = check_open_challenges(db.session(), restore=not check)
    changes = Changes()
    for difference in found:
        click.echo(
            f"challenge {difference.challenge_id} rep {difference.user_id} "
            f"{difference.field}: kept {difference.kept}, ledger says {difference.derived}"
        )
        if not check:
            changes.standings_changed(difference.challenge_id, {difference.user_id})
    db.session.commit()
    publish(changes)
    verb = "checked" if check else "checked and restored where needed"
    click.echo(f"standings {verb}: {count} open challenge(s)")
