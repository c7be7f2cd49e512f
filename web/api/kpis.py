"""KPIs: GET /api/v1/kpis/scorecard, definitions and targets; targets, inputs and decisions
are written by managers for their teams and by admins."""

from __future__ import annotations

from flask import current_app, jsonify, request

from gameplay.manage.challenges import managed_challenges
from kpi_engine.db import utcnow
from kpi_engine.kpis.decisions import DecisionInput, record_decision
from kpi_engine.kpis.inputs import check_input, set_input
from kpi_engine.kpis.registry import DEFINITIONS
from kpi_engine.kpis.scorecards import scorecard
from kpi_engine.kpis.targets import set_target, targets_for
from kpi_engine.periods import parse_period
from kpi_engine.sales.dataframes import Scope, check_access, parse_scope
from web.api import bp
from web.extensions import db
from web.permissions import actor, login_required, manager_required
from web.schemas.kpis import (
    DecisionSchema,
    InputSchema,
    ScorecardQuerySchema,
    TargetQuerySchema,
    TargetSchema,
    decision_body,
    definitions_body,
    scorecard_body,
    targets_body,
)


def _tz() -> str:
    return str(current_app.config["ORG_TIMEZONE"])


def _visible_scope(text: str) -> Scope:
    scope = parse_scope(text)
    check_access(db.session(), actor(), scope)
    return scope


@bp.get("/kpis/scorecard")
@login_required
def kpi_scorecard():
    query = ScorecardQuerySchema().load(request.args)
    scope = _visible_scope(query["scope"])
    period = parse_period(query["period"], _tz())
    card = scorecard(
        db.session(), scope, period, now=utcnow(), role=query["role"], keys=query["kpis"]
    )
    return jsonify(scorecard_body(card))


@bp.get("/kpis/definitions")
@login_required
def kpi_definitions():
    return jsonify(definitions_body(list(DEFINITIONS)))


@bp.get("/kpis/targets")
@login_required
def kpi_targets():
    query = TargetQuerySchema().load(request.args)
    scope = _visible_scope(query["scope"])
    period = parse_period(query["period"], _tz())
    return jsonify(
        targets_body(list(targets_for(db.session(), scope.label, period.label).values()))
    )


@bp.put("/kpis/targets")
@manager_required
def kpi_set_target():
    given = TargetSchema().load(request.get_json(silent=True) or {})
    _visible_scope(given["scope"])
    target = set_target(db.session(), **given, tz=_tz())
    db.session.commit()
    return jsonify(targets_body([target])["targets"][0])


@bp.put("/kpis/inputs")
@manager_required
def kpi_set_input():
    given = InputSchema().load(request.get_json(silent=True) or {})
    _visible_scope(given["scope"])
    stored = set_input(db.session(), check_input(**given, tz=_tz()))
    db.session.commit()
    return jsonify({"kind": stored.kind, "scope": stored.scope, "period": stored.period,
                    "amount": float(stored.amount)})  # fmt: skip


@bp.post("/kpis/decisions")
@manager_required
def kpi_record_decision():
    given = DecisionSchema().load(request.get_json(silent=True) or {})
    session, user, now = db.session(), actor(), utcnow()
    managed = [c.id for c in managed_challenges(session, user, now=now)]
    decision = record_decision(
        session, user, DecisionInput(**given), now=now, tz=_tz(), challenge_ids=managed
    )
    db.session.commit()
    return jsonify(decision_body(decision)), 201
