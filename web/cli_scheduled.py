"""`flask --app wsgi scheduled`: the periodic work in one idempotent command for cron or a timer.

It finalises the challenges that ended and raises the KPI alerts of fresh crossings into red,
in one transaction, and publishes after the commit. Streaks need no roll-over: they are derived
from the activities on every read (gameplay.streaks), so a missed run loses nothing.

Two runs at once (an overlapping cron, two hosts with the same timer) do no double work: on
PostgreSQL the transaction first takes a transaction-level advisory lock, so the second run
waits and then finds nothing left to do; on SQLite every transaction already begins with
BEGIN IMMEDIATE (kpi_engine.db.configure_sqlite), which serialises writers the same way. The
domain functions are idempotent on their own as well (a finalised challenge is skipped, an
open alert is not raised again).
"""

from __future__ import annotations

import click
from flask import current_app
from sqlalchemy import text

from gameplay.lifecycle import finalize_due
from kpi_engine.alerts import evaluate_alerts
from kpi_engine.db import utcnow
from web.cli_kpis import alert_changes
from web.extensions import db
from web.realtime import commit_and_publish

# Any constant both runs agree on; it names this job among the database's advisory locks.
ADVISORY_LOCK_KEY = 0x5A1E5_0001


def take_scheduler_lock() -> None:
    """Hold the job's lock until this transaction ends (PostgreSQL; SQLite needs none)."""
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": ADVISORY_LOCK_KEY})


@click.command("scheduled")
def scheduled_command() -> None:
    """Finalise ended challenges and raise KPI alerts, once, whoever else runs it at the time."""
    take_scheduler_lock()
    now = utcnow()
    finalized, changes = finalize_due(db.session(), now=now)
    raised = evaluate_alerts(db.session(), now, str(current_app.config["ORG_TIMEZONE"]))
    changes.merge(alert_changes(raised))
    commit_and_publish(changes)
    click.echo(f"finalised {len(finalized)} challenge(s); raised {len(raised)} alert(s)")
