"""KPI dashboards: level 1 by perspective, level 2 splits, level 3 per person, the rep's own
scorecard, a trend chart and the stage funnel, CSV exports, and the manager's alert digest,
decision log and target/input forms."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import Any

from flask import Response, current_app, flash, redirect, render_template, request, url_for
from marshmallow import Schema, ValidationError

from kpi_engine.alerts import alert_digest
from kpi_engine.db import utcnow
from kpi_engine.decisions import DecisionInput, decision_log, record_decision
from kpi_engine.errors import Invalid
from kpi_engine.frames import Scope, check_access, parse_scope
from kpi_engine.inputs import check_input, set_input
from kpi_engine.kpi_models import INPUT_KINDS
from kpi_engine.kpis import DEFINITIONS, PERSPECTIVES, REGISTRY, funnel, level_one
from kpi_engine.models import User
from kpi_engine.org import teams_of
from kpi_engine.periods import Period, parse_period, quarter_of
from kpi_engine.scorecards import (
    BREAKDOWN_KPIS,
    BREAKDOWNS,
    PERSON_KPIS,
    Scorecard,
    breakdown,
    frames_for,
    scorecard,
    trend,
)
from kpi_engine.targets import set_target
from web.extensions import db
from web.pages import bp
from web.permissions import actor, login_required, manager_required
from web.schemas.kpis import DecisionSchema, InputSchema, TargetSchema

FORMATS = {
    "percent": "{:.1%}",
    "currency": "{:,.0f}",
    "days": "{:.1f} d",
    "count": "{:,.0f}",
    "ratio": "{:.2f}",
    "currency_per_day": "{:,.0f}/d",
}
FORMULA_PREFIXES = ("=", "+", "-", "@")


@bp.app_template_filter("kpi")
def format_kpi(value: float | None, unit: str) -> str:
    return "no data" if value is None else FORMATS.get(unit, "{}").format(value)


def _tz() -> str:
    return str(current_app.config["ORG_TIMEZONE"])


def default_scope(user: User) -> str:
    """A rep's own scorecard, a manager's first team, the organisation for an admin."""
    if user.app_role == "admin":
        return "org"
    teams = teams_of(db.session(), user) if user.app_role == "manager" else []
    return f"team:{teams[0].id}" if teams else f"rep:{user.id}"


def _selection() -> tuple[Scope, Period]:
    user = actor()
    scope = parse_scope(request.args.get("scope") or default_scope(user))
    check_access(db.session(), user, scope)
    label = request.args.get("period") or quarter_of(utcnow(), _tz()).label
    return scope, parse_period(label, _tz())


def scope_choices(user: User) -> list[tuple[str, str]]:
    """The scopes a user may pick: their own, their teams, and for an admin regions and org."""
    teams = teams_of(db.session(), user)
    choices = [(f"rep:{user.id}", "Me")] if user.app_role == "rep" else []
    choices += [(f"team:{t.id}", t.name) for t in teams]
    if user.app_role == "admin":
        regions = sorted({t.region for t in teams if t.region})
        choices = [("org", "Whole organisation")] + [(f"region:{r}", r) for r in regions] + choices
    return choices


def _by_perspective(card: Scorecard) -> list[tuple[str, list[Any]]]:
    return [(p, [r for r in card.rows if r.kpi.perspective == p]) for p in PERSPECTIVES]


@bp.get("/dashboards")
@login_required
def dashboards() -> str:
    scope, period = _selection()
    session, now, user = db.session(), utcnow(), actor()
    by = request.args.get("by", "segment")
    own = scorecard(session, scope, period, now=now)
    level1 = scorecard(session, scope, period, now=now, keys=[d.key for d in level_one()])
    return render_template(
        "dashboards.html",
        scope=scope, period=period, own=own, level1=_by_perspective(level1), card=level1, by=by,
        split=breakdown(session, scope, period, by if by != "rep" else "segment", now),
        people=breakdown(session, scope, period, "rep", now) if scope.kind != "rep" else [],
        trend=trend(session, scope, period, "revenue_won", now),
        funnel=funnel(frames_for(session, scope, period, now)),
        breakdowns=[b for b in BREAKDOWNS if b != "rep"], choices=scope_choices(user),
        alerts=alert_digest(session, [scope.label]), decisions=decision_log(session, [scope.label]),
        definitions=DEFINITIONS, definitions_by_key=REGISTRY, input_kinds=INPUT_KINDS,
        can_edit=user.app_role != "rep",
    )  # fmt: skip


def neutralise(cell: Any) -> Any:
    """A cell a spreadsheet would run as a formula is prefixed with a quote."""
    text = "" if cell is None else str(cell)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def csv_response(header: list[str], rows: list[list[Any]], name: str) -> Response:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows([neutralise(c) for c in row] for row in rows)
    disposition = f'attachment; filename="{name}.csv"'
    return Response(buffer.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": disposition})  # fmt: skip


def _export_rows(scope: Scope, period: Period, table: str) -> tuple[list[str], list[list[Any]]]:
    session, now = db.session(), utcnow()
    if table in ("scorecard", "level1"):
        keys = [d.key for d in level_one()] if table == "level1" else None
        card = scorecard(session, scope, period, now=now, keys=keys)
        header = ["kpi", "value", "unit", "status", "target", "previous", "last_year",
                  "projection", "reason"]  # fmt: skip
        return header, [
            [r.kpi.key, r.measure.value, r.kpi.unit, r.status,
             r.threshold.target if r.threshold else None, r.previous, r.last_year,
             r.projection, r.measure.reason]
            for r in card.rows
        ]  # fmt: skip
    slices = breakdown(session, scope, period, table, now)
    keys = list(PERSON_KPIS if table == "rep" else BREAKDOWN_KPIS)
    return [table, *keys], [[s.label, *(s.measures[k].value for k in keys)] for s in slices]


@bp.get("/dashboards/export.csv")
@login_required
def dashboards_export() -> Response:
    scope, period = _selection()
    table = request.args.get("table", "scorecard")
    header, rows = _export_rows(scope, period, table)
    return csv_response(header, rows, f"kpis-{table}-{scope.label}-{period.label}")


def _form() -> dict[str, str]:
    """The posted form without its CSRF token and empty fields (an empty field is absent)."""
    return {k: v for k, v in request.form.items() if k != "csrf_token" and v.strip() != ""}


def _back(scope: str, period: str) -> Response:
    return redirect(url_for("pages.dashboards", scope=scope, period=period))  # type: ignore[return-value]


def _post(schema: Schema, save: Callable[[dict[str, Any]], str]) -> Response:
    """Load a form, save it, come back to the dashboard; a bad form is flashed, nothing kept."""
    scope, period = request.form.get("scope", "org"), request.form.get("period", "")
    try:
        given = schema.load(_form())
        message = save(given)
    except (ValidationError, Invalid) as exc:
        db.session.rollback()
        detail = exc.messages if isinstance(exc, ValidationError) else exc.fields
        flash(f"Not saved: {detail}", "error")
        return _back(scope, period)
    db.session.commit()
    flash(message, "info")
    return _back(given["scope"], given["period"])


def _save_target(given: dict[str, Any]) -> str:
    check_access(db.session(), actor(), parse_scope(given["scope"]))
    set_target(db.session(), **given, tz=_tz())
    return f"Target for {given['kpi_key']} saved."


def _save_input(given: dict[str, Any]) -> str:
    check_access(db.session(), actor(), parse_scope(given["scope"]))
    set_input(db.session(), check_input(**given, tz=_tz()))
    return f"{given['kind'].replace('_', ' ').capitalize()} saved."


def _save_decision(given: dict[str, Any]) -> str:
    record_decision(db.session(), actor(), DecisionInput(**given), now=utcnow(), tz=_tz())
    return "Decision recorded."


@bp.post("/dashboards/targets")
@manager_required
def dashboards_set_target() -> Response:
    return _post(TargetSchema(), _save_target)


@bp.post("/dashboards/inputs")
@manager_required
def dashboards_set_input() -> Response:
    return _post(InputSchema(), _save_input)


@bp.post("/dashboards/decisions")
@manager_required
def dashboards_record_decision() -> Response:
    return _post(DecisionSchema(), _save_decision)
