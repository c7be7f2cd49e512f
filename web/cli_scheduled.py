"""`flask --app wsgi scheduled`: the periodic work in one idempotent command for cron or a timer.

It finalises the challenges that ended and raises the KPI alerts of fresh crossings into red,
in one transaction, and publishes after the commit. Streaks need no roll-over: they are derived
from the activities on every read (gameplay.scoring.streaks), so a missed run loses nothing.

Two runs at once do no double work (web.scheduler takes the job's lock; see there), and the
domain functions are idempotent on their own as well (a finalised challenge is skipped, an
open alert is not raised again). The server also finalises every few seconds by itself.
"""

from __future__ import annotations

import click
from flask import current_app

from kpi_engine.db import utcnow
from kpi_engine.kpis.alerts import evaluate_alerts
from web.cli_kpis import alert_changes
from web.extensions import db
from web.realtime import commit_and_publish
from web.scheduler import finalize_ended


@click.command("scheduled")
def scheduled_command() -> None:
    """Finalise ended challenges and raise KPI alerts, once, whoever else runs it at the time."""
    now = utcnow()
    finalized, changes = finalize_ended(now)
    raised = evaluate_alerts(db.session(), now, str(current_app.config["ORG_TIMEZONE"]))
    changes.merge(alert_changes(raised))
    commit_and_publish(changes)
    click.echo(f"finalised {len(finalized)} challenge(s); raised {len(raised)} alert(s)")
