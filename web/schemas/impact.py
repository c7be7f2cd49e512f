"""Impact analytics at the edge: the compare query, the leadership filters, and the answers."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate

from gameplay.core.models import ChallengeKind
from kpi_engine.impact.estimates import CORE_KEYS
from web.formats import written
from web.schemas.challenges import ChallengeSchema
from web.schemas.fields import ID_MAX, BoundedInt, BusinessDate, Id

MAX_COMPARED = 20
# Each KPI beyond the core four runs its formula per rep and period: a bound on the work asked.
MAX_KPIS = 10


class IdList(fields.Field):
    """A comma-separated list of positive ids in a query string: "1,2,3"."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> list[int]:
        parts = [p.strip() for p in str(value).split(",") if p.strip()]
        if not parts or not all(_is_id(p) for p in parts):
            raise ValidationError(
                f"give challenge ids from 1 to {ID_MAX} separated by commas, such as 1,2,3"
            )
        ids = list(dict.fromkeys(int(p) for p in parts))
        if len(ids) > MAX_COMPARED:
            raise ValidationError(f"compare at most {MAX_COMPARED} challenges at once")
        return ids


class Written(fields.Field):
    """What the domain says (a word or a Said), in the reader's language."""

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        return None if value is None else written(value)


def _is_id(text: str) -> bool:
    return text.isascii() and text.isdigit() and len(text) <= 10 and 0 < int(text) <= ID_MAX


class KpiKeys(fields.Field):
    """A comma-separated list of KPI keys in a query string: "win_rate,activities" (which keys
    exist is the domain's to say)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> list[str]:
        keys = list(dict.fromkeys(p.strip() for p in str(value).split(",") if p.strip()))
        if not keys:
            raise ValidationError("give KPI keys separated by commas, such as win_rate,activities")
        if len(keys) > MAX_KPIS:
            raise ValidationError(f"ask for at most {MAX_KPIS} KPIs at once")
        return keys


class ImpactQuerySchema(Schema):
    """The KPIs to measure; without them, the core four."""

    kpis = KpiKeys(load_default=list(CORE_KEYS))


class CompareQuerySchema(ImpactQuerySchema):
    challenges = IdList(required=True)


class PastCampaignSchema(ChallengeSchema):
    """A challenge's create body, plus who took part and whether to award points afterwards."""

    participant_ids = fields.List(
        Id(),
        required=True,
        validate=validate.Length(min=1, max=10_000),
    )
    award_points = fields.Boolean(load_default=False)


class PastCampaignFormSchema(Schema):
    """The page's short form: one team's campaign over whole days, with who took part."""

    name = fields.String(required=True, validate=validate.Length(1, 160))
    kind = fields.String(load_default="custom", validate=validate.OneOf(ChallengeKind.values()))
    team_id = Id(required=True)
    starts_on = BusinessDate(required=True)
    ends_on = BusinessDate(required=True)
    participant_ids = fields.List(
        Id(),
        required=True,
        validate=validate.Length(min=1, max=10_000),
    )
    points_per_won_deal = BoundedInt(1, 100_000, load_default=None)


class LeadershipQuerySchema(ImpactQuerySchema):
    kind = fields.String(load_default=None, validate=validate.OneOf(ChallengeKind.values()))
    period = fields.String(load_default=None)


class SpanSchema(Schema):
    start = fields.DateTime()
    end = fields.DateTime()


class IntervalSchema(Schema):
    estimate = fields.Float(allow_none=True)
    ci_low = fields.Float(attribute="low", allow_none=True)
    ci_high = fields.Float(attribute="high", allow_none=True)


class GroupMeansSchema(Schema):
    period = fields.String()
    participants = fields.Float(allow_none=True)
    control = fields.Float(allow_none=True)


class KpiImpactSchema(Schema):
    name = Written()
    unit = fields.String()
    better = fields.String()
    estimate = fields.Float(allow_none=True)
    ci_low = fields.Float(allow_none=True)
    ci_high = fields.Float(allow_none=True)
    naive_difference = fields.Float(allow_none=True)
    n_participants = fields.Integer()
    n_control = fields.Integer()
    n_deals = fields.Integer()
    n_activities = fields.Integer()
    method = Written()
    warnings = fields.List(Written())
    verdict = fields.String()
    pre_trend = fields.Nested(IntervalSchema)
    post = fields.Nested(IntervalSchema, allow_none=True)
    series = fields.List(fields.Nested(GroupMeansSchema))
    design = fields.String()
    p_value = fields.Float(allow_none=True)
    robustness = fields.Nested(IntervalSchema, allow_none=True)
    robustness_verdict = fields.String(allow_none=True)


class IntensityPointSchema(Schema):
    rep_id = fields.Integer()
    missions_completed = fields.Integer()
    points = fields.Float()
    change = fields.Float()


class IntensitySchema(Schema):
    kpi = fields.String()
    method = fields.Constant("Spearman rank correlation; 95% percentile bootstrap over reps")
    by_missions = fields.Nested(IntervalSchema)
    by_points = fields.Nested(IntervalSchema)
    points = fields.List(fields.Nested(IntensityPointSchema))
    warnings = fields.List(Written())


class FunnelStepSchema(Schema):
    mission = fields.String()
    completed = fields.Integer()


class OverlappingSchema(Schema):
    challenge_id = fields.Integer()
    name = fields.String()
    days = fields.Float()
    shared_reps = fields.Integer()


class OverlapSchema(Schema):
    others = fields.List(fields.Nested(OverlappingSchema))
    participants_in_other = fields.Integer()
    comparison_in_other = fields.Integer()
    handling = Written()


class ChallengeImpactSchema(Schema):
    """The contract of GET /api/v1/challenges/<id>/impact (DESIGN.md), plus the context."""

    challenge_id = fields.Function(lambda r: r.challenge.id)
    name = fields.Function(lambda r: r.challenge.name)
    kind = fields.Function(lambda r: r.challenge.kind)
    status = fields.String()
    window = fields.Function(lambda r: SpanSchema().dump(r.impact.window))
    pre_window = fields.Function(lambda r: SpanSchema().dump(r.impact.pre_window))
    post_window = fields.Function(
        lambda r: SpanSchema().dump(r.impact.post_window) if r.impact.post_window else None
    )
    still_running = fields.Function(lambda r: r.impact.still_running)
    audience_size = fields.Integer()
    participants = fields.Integer()
    participation_rate = fields.Float(allow_none=True)
    funnel = fields.List(fields.Nested(FunnelStepSchema))
    kpis = fields.Function(
        lambda r: {k: KpiImpactSchema().dump(v) for k, v in r.impact.kpis.items()}
    )
    intensity = fields.Function(lambda r: IntensitySchema(many=True).dump(r.impact.intensity))
    incremental_revenue = fields.Function(
        lambda r: IntervalSchema().dump(r.impact.incremental_revenue)
    )
    reward_cost = fields.Decimal(as_string=True)
    return_on_cost = fields.Nested(IntervalSchema, allow_none=True)
    overlap = fields.Nested(OverlapSchema, allow_none=True)
    points_awarded = fields.Integer()
