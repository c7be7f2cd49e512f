"""KPI commands: `flask --app wsgi import-inputs FILE` and `flask --app wsgi kpi-alerts`."""

from __future__ import annotations

import csv
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from gameplay.core.changes import Changes, Notification
from kpi_engine.db import utcnow
from kpi_engine.errors import DomainError
from kpi_engine.kpis.alerts import evaluate_alerts
from kpi_engine.kpis.inputs import IMPORT_COLUMNS, import_inputs
from kpi_engine.kpis.models import KpiAlert
from kpi_engine.kpis.registry import REGISTRY
from web.extensions import db
from web.realtime import commit_and_publish


def alert_changes(alerts: list[KpiAlert]) -> Changes:
    """One kpi_alert notification to each new alert's owner."""
    changes = Changes()
    for alert in alerts:
        if alert.owner_id is None:
            continue
        message = (
            f"{REGISTRY[alert.kpi_key].name} went red for {alert.scope} in {alert.period}: "
            f"{float(alert.value):.4g} against a target of {float(alert.target):.4g}"
        )
        data = (("kpi", alert.kpi_key), ("scope", alert.scope), ("period", alert.period))
        changes.notify(Notification(alert.owner_id, "kpi_alert", message, data=data))
    return changes


@click.command("kpi-alerts")
@with_appcontext
def kpi_alerts_command() -> None:
    """Raise an alert for each KPI that crossed into red since the last run (once per crossing)
    and notify its owner; run it periodically."""
    raised = evaluate_alerts(db.session(), utcnow(), str(current_app.config["ORG_TIMEZONE"]))
    commit_and_publish(alert_changes(raised))
    click.echo(f"{len(raised)} alert(s) raised")


@click.command("import-inputs")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def import_inputs_command(file: Path) -> None:
    """Import quotas, costs, forecasts and churned customers from a CSV with the columns
    kind,scope,period,amount (e.g. quota,team:3,2025-Q3,250000). All lines or none."""
    with file.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in IMPORT_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise click.ClickException(f"{file} lacks the column(s) {', '.join(missing)}")
        rows = list(reader)
    try:
        count = import_inputs(db.session(), rows, str(current_app.config["ORG_TIMEZONE"]))
    except DomainError as exc:
        db.session.rollback()
        lines = "\n".join(f"  {k}: {'; '.join(v)}" for k, v in exc.fields.items())
        raise click.ClickException(f"{exc.message}; nothing imported\n{lines}") from exc
    db.session.commit()
    click.echo(f"imported {count} input(s)")
