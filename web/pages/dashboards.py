"""KPI dashboards: level 1 by perspective, level 2 splits, level 3 per person, the rep's own
scorecard, a trend chart and the stage funnel, CSV exports, and the manager's alert digest,
decision log and target/input forms."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from flask import Response, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from marshmallow import Schema, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from gameplay.manage.challenges import managed_challenges
from kpi_engine.db import utcnow
from kpi_engine.errors import Invalid
from kpi_engine.kpis.alerts import alert_digest
from kpi_engine.kpis.decisions import DecisionInput, decision_log, record_decision
from kpi_engine.kpis.inputs import check_input, set_input
from kpi_engine.kpis.models import InputKind
from kpi_engine.kpis.registry import DEFINITIONS, PERSPECTIVES, REGISTRY, funnel, level_one
from kpi_engine.kpis.scorecards import (
    BREAKDOWN_KPIS,
    BREAKDOWNS,
    INPUT_NAMES,
    PERSON_KPIS,
    Scorecard,
    ScorecardRow,
    breakdown,
    frames_for,
    scope_name,
    scorecard,
    trend,
)
from kpi_engine.kpis.targets import set_target
from kpi_engine.org.membership import teams_of
from kpi_engine.org.models import User
from kpi_engine.periods import Period, parse_period, quarter_of
from kpi_engine.sales.dataframes import Scope, check_access, parse_scope, rep_ids
from kpi_engine.words import N_, said
from web.csv_export import csv_response, kpi_number, neutralise, unit_label
from web.error_words import in_words
from web.extensions import db
from web.formats import kpi_value
from web.pages import bp
from web.pages.charts import revenue_trend, stage_funnel, win_rate_trend
from web.permissions import actor, login_required, manager_required
from web.schemas.kpis import DecisionSchema, InputSchema, TargetSchema

STATUS_WORDS = {"green": _l("on track"), "amber": _l("watch"), "red": _l("off track"), "none": ""}
BREAKDOWN_NAMES = {
    "segment": _l("Segment"),
    "product": _l("Product"),
    "team": _l("Team"),
    "rep": _l("Rep"),
}
__all__ = ["csv_response", "neutralise"]  # impact.py and older callers import them from here


@bp.app_template_filter("kpi")
def format_kpi(value: float | None, unit: str) -> str:
    """A KPI value the reader's way (web.formats.kpi_value)."""
    return kpi_value(value, unit)


def _charts(session: Session, scope: Scope, period: Period, now: datetime) -> dict[str, Any]:
    """The revenue and win-rate trends and the stage funnel, as charts (js/charts.js)."""
    stages = funnel(frames_for(session, scope, period, now))
    revenue = trend(session, scope, period, "revenue_won", now)
    wins = trend(session, scope, period, "win_rate", now)
    return {
        "funnel": stages,
        "trend_chart": revenue_trend(revenue, lambda v: format_kpi(v, "currency")),
        "win_rate_chart": win_rate_trend(wins, lambda v: format_kpi(v, "percent")),
        "funnel_chart": stage_funnel(stages),
    }


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


def _red(*cards: Scorecard) -> list[ScorecardRow]:
    """The KPIs shown off track on this page, each once."""
    rows = {r.kpi.key: r for c in cards for r in c.shown if r.status == "red"}
    return list(rows.values())


def _people(scope: Scope, user: User) -> list[tuple[int, str]]:
    """Who a decision can be given to: the scope's reps and the person recording it."""
    ids = {user.id, *rep_ids(db.session(), scope)}
    query = select(User.id, User.name).where(User.id.in_(ids)).order_by(User.name)
    return [(i, n) for i, n in db.session.execute(query)]


@bp.get("/dashboards")
@login_required
def dashboards() -> str:
    scope, period = _selection()
    session, now, user = db.session(), utcnow(), actor()
    rep = scope.kind == "rep"
    breakdowns = [b for b in BREAKDOWNS if b != "rep" and not (rep and b == "team")]
    by = request.args.get("by", "segment")
    by = by if by in breakdowns else "segment"
    own = scorecard(session, scope, period, now=now)
    # A rep's page carries their own card only: the balanced scorecard is the business's.
    level1 = scorecard(session, scope, period, now=now, keys=[d.key for d in level_one()])
    return render_template(
        "dashboards.html",
        scope=scope, scope_title=scope_name(session, scope), period=period, own=own,
        level1=[] if rep else _by_perspective(level1), card=level1, by=by,
        split=breakdown(session, scope, period, by, now),
        people=breakdown(session, scope, period, "rep", now) if not rep else [],
        **_charts(session, scope, period, now),
        breakdowns=breakdowns, breakdown_names=BREAKDOWN_NAMES, choices=scope_choices(user),
        alerts=alert_digest(session, [scope.label]), decisions=decision_log(session, [scope.label]),
        red=_red(own, level1) if not rep else _red(own), status_words=STATUS_WORDS,
        **_decision_choices(scope, user),
        awaiting=_awaiting(own, level1) if not rep else _awaiting(own),
        definitions=DEFINITIONS, definitions_by_key=REGISTRY, input_kinds=InputKind.values(),
        can_edit=user.app_role != "rep",
    )  # fmt: skip


def _decision_choices(scope: Scope, user: User) -> dict[str, Any]:
    """The people and challenges a decision can name, by name."""
    if user.app_role == "rep":
        return {"people_choices": [], "people_names": {}, "challenge_choices": [],
                "challenge_names": {}}  # fmt: skip
    people = _people(scope, user)
    challenges = managed_challenges(db.session(), user, now=utcnow())
    return {"people_choices": people, "people_names": dict(people),
            "challenge_choices": challenges, "challenge_names": {c.id: c.name for c in challenges}}


def _awaiting(*cards: Scorecard) -> tuple[list[str], list[str]]:
    """The names of the KPIs held back for want of inputs, and the inputs they need."""
    names = {r.kpi.key: _(r.kpi.name) for c in cards for r in c.awaiting}
    kinds = dict.fromkeys(k for c in cards for k in c.awaiting_inputs())
    return list(names.values()), [_(INPUT_NAMES[k]) for k in kinds]


def _export_rows(scope: Scope, period: Period, table: str) -> tuple[list[str], list[list[Any]]]:
    """A table of the dashboard as a spreadsheet reads it: KPI names and units in words,
    values rounded to their unit (percent KPIs in percent)."""
    session, now = db.session(), utcnow()
    if table in ("scorecard", "level1"):
        keys = [d.key for d in level_one()] if table == "level1" else None
        card = scorecard(session, scope, period, now=now, keys=keys)
        header = [_("KPI"), _("Unit"), _("Value"), _("Status"), _("Target"), _("Target from"),
                  _("Previous period"), _("Same period last year"), _("Projected to period end"),
                  _("Left out"), _("Why no value")]  # fmt: skip
        return header, [_export_row(r) for r in card.rows]
    if table not in BREAKDOWNS:
        tables = ", ".join(("scorecard", "level1", *BREAKDOWNS))
        raise Invalid(
            N_("no table %(table)r"),
            {"table": [said(N_("one of %(names)s"), names=tables)]},
            table=table,
        )
    slices = breakdown(session, scope, period, table, now)
    kpis = [REGISTRY[k] for k in (PERSON_KPIS if table == "rep" else BREAKDOWN_KPIS)]
    header = [BREAKDOWN_NAMES[table], *(f"{_(k.name)} ({unit_label(k.unit)})" for k in kpis)]
    return header, [
        [s.label, *(kpi_number(s.measures[k.key].value, k.unit) for k in kpis)] for s in slices
    ]


def _export_row(r: ScorecardRow) -> list[Any]:
    unit, limits = r.kpi.unit, r.threshold
    return [
        _(r.kpi.name), unit_label(unit), kpi_number(r.measure.value, unit),
        str(STATUS_WORDS[r.status] or _("no colour")),
        kpi_number(limits.target, unit) if limits else None,
        _source_words(limits.source) if limits else None,
        kpi_number(r.previous, unit), kpi_number(r.last_year, unit),
        kpi_number(r.projection, unit), r.measure.note,
        _(r.measure.reason) if r.measure.reason else None,
    ]  # fmt: skip


def _source_words(source: str) -> str:
    """Where a target came from: set by someone, or the previous period's / last year's."""
    words = {"set": _("target set"), "previous period": _("previous period")}
    return words.get(source, _(source))


@bp.get("/dashboards/export.csv")
@login_required
def dashboards_export() -> Response:
    scope, period = _selection()
    table = request.args.get("table", "scorecard")
    header, rows = _export_rows(scope, period, table)
    title = scope_name(db.session(), scope).lower().replace(" ", "-")
    return csv_response(header, rows, f"kpis-{table}-{title}-{period.label}")


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
        flash(f"Not saved: {_in_words(in_words(detail))}", "error")
        return _back(scope, period)
    db.session.commit()
    flash(message, "info")
    return _back(given["scope"], given["period"])


def _in_words(detail: Any) -> str:
    """{"target": ["Not a valid number."]} as "Target: Not a valid number." """
    if not isinstance(detail, dict):
        return str(detail)
    parts = []
    for field, problems in detail.items():
        text = " ".join(str(p) for p in (problems if isinstance(problems, list) else [problems]))
        parts.append(f"{str(field).replace('_', ' ').capitalize()}: {text}")
    return "; ".join(parts)


def _save_target(given: dict[str, Any]) -> str:
    check_access(db.session(), actor(), parse_scope(given["scope"]))
    set_target(db.session(), **given, tz=_tz())
    kpi = REGISTRY.get(given["kpi_key"])
    return f"Target for {kpi.name if kpi else given['kpi_key']} saved."


def _save_input(given: dict[str, Any]) -> str:
    check_access(db.session(), actor(), parse_scope(given["scope"]))
    set_input(db.session(), check_input(**given, tz=_tz()))
    return f"{given['kind'].replace('_', ' ').capitalize()} saved."


def _save_decision(given: dict[str, Any]) -> str:
    session, user, now = db.session(), actor(), utcnow()
    managed = [c.id for c in managed_challenges(session, user, now=now)]
    record_decision(session, user, DecisionInput(**given), now=now, tz=_tz(), challenge_ids=managed)
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
