"""KPI requests and answers; the scorecard answer follows DESIGN.md "Contract details"."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate

from kpi_engine.kpis.models import InputKind, KpiDecision, KpiTarget, ScorecardRole
from kpi_engine.kpis.registry import KpiDefinition
from kpi_engine.kpis.scorecards import Scorecard, ScorecardRow
from web.schemas.fields import AMOUNT_MAX, Amount, BusinessDate, Id
from web.schemas.impact import KpiKeys

SCOPE = fields.String(required=True, validate=validate.Length(1, 140))
PERIOD = fields.String(required=True, validate=validate.Length(1, 40))


class ScorecardQuerySchema(Schema):
    scope = SCOPE
    period = PERIOD
    role = fields.String(load_default=None, validate=validate.OneOf(ScorecardRole.values()))
    # Any registry KPIs instead of the role's card, "revenue_won,win_rate" (at most MAX_KPIS).
    kpis = KpiKeys(load_default=None)


class TargetQuerySchema(Schema):
    scope = SCOPE
    period = PERIOD


class TargetSchema(Schema):
    kpi_key = fields.String(required=True, validate=validate.Length(1, 60))
    scope = SCOPE
    period = PERIOD
    target = Amount(-AMOUNT_MAX, required=True)
    red_at = Amount(-AMOUNT_MAX, load_default=None, allow_none=True)


class InputSchema(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(InputKind.values()))
    scope = SCOPE
    period = PERIOD
    amount = Amount(required=True)


class DecisionSchema(Schema):
    kpi_key = fields.String(required=True, validate=validate.Length(1, 60))
    scope = SCOPE
    period = PERIOD
    action = fields.String(required=True, validate=validate.Length(1, 2000))
    owner_id = Id(load_default=None, allow_none=True)
    due_on = BusinessDate(load_default=None, allow_none=True)
    success_criterion = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(max=2000)
    )
    challenge_id = Id(load_default=None, allow_none=True)
    alert_id = Id(load_default=None, allow_none=True)


class DefinitionSchema(Schema):
    key = fields.String()
    name = fields.String()
    unit = fields.String()
    direction = fields.String()
    family = fields.String()
    indicator = fields.String()
    perspective = fields.String()
    level = fields.Integer()
    owner = fields.String()
    frequency = fields.String()
    formula = fields.Function(lambda d: (d.formula.__doc__ or d.name).strip())


class TargetOutSchema(Schema):
    kpi_key = fields.String()
    scope = fields.String()
    period = fields.String()
    target = fields.Float()
    red_at = fields.Float(allow_none=True)


class DecisionOutSchema(Schema):
    id = fields.Integer()
    kpi_key = fields.String()
    scope = fields.String()
    period = fields.String()
    action = fields.String()
    owner_id = fields.Integer(allow_none=True)
    due_on = fields.Date(allow_none=True)
    success_criterion = fields.String(allow_none=True)
    challenge_id = fields.Integer(allow_none=True)
    alert_id = fields.Integer(allow_none=True)
    created_at = fields.AwareDateTime()


def row_body(row: ScorecardRow) -> dict[str, Any]:
    """One KPI of a scorecard: value null and a reason when there is no data."""
    kpi, limits = row.kpi, row.threshold
    return {
        "key": kpi.key,
        "name": kpi.name,
        "value": row.measure.value,
        "unit": kpi.unit,
        "status": row.status,
        "target": limits.target if limits else None,
        "previous": row.previous,
        "projection": row.projection,
        "reason": row.measure.reason,
        # What a value leaves out, e.g. "500 deals without a creation date left out".
        "note": row.measure.note,
        "median": row.measure.extra.get("median"),
        "last_year": row.last_year,
        "red_at": limits.red_at if limits else None,
        "target_source": limits.source if limits else None,
        "direction": kpi.direction,
        "indicator": kpi.indicator,
        "perspective": kpi.perspective,
        "family": kpi.family,
        "level": kpi.level,
    }


def scorecard_body(card: Scorecard) -> dict[str, Any]:
    return {
        "scope": card.scope.label,
        "period": card.period.label,
        "role": card.role,
        "updated_at": card.updated_at.isoformat() if card.updated_at else None,
        "silent_sources": card.silent_sources,
        "kpis": [row_body(r) for r in card.rows],
        # The KPIs of the card that lack inputs for this scope and period, and those inputs.
        "awaiting_inputs": {r.kpi.key: card.missing_inputs(r.kpi.key) for r in card.awaiting},
    }


def definitions_body(definitions: list[KpiDefinition]) -> dict[str, Any]:
    return {"definitions": DefinitionSchema(many=True).dump(definitions)}


def targets_body(targets: list[KpiTarget]) -> dict[str, Any]:
    return {"targets": TargetOutSchema(many=True).dump(targets)}


def decision_body(decision: KpiDecision) -> dict[str, Any]:
    return dict(DecisionOutSchema().dump(decision))
