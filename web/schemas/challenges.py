"""Challenge requests and answers; the create body and leaderboard answer follow DESIGN.md."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from marshmallow import Schema, fields, pre_load, validate

from gameplay.boards.formats import describe_format
from gameplay.core.lifecycle import challenge_status
from gameplay.core.models import (
    Challenge,
    ChallengeFormat,
    ChallengeKind,
    Enrolment,
    FactType,
    TeamScoring,
)
from gameplay.scoring.rules import describe_criteria, describe_rule
from kpi_engine.db import utcnow
from kpi_engine.org.models import SalesRole
from kpi_engine.sales.models import ActivityKind, ActivityOutcome
from web import formats
from web.schemas.fields import (
    MULTIPLIER_MAX,
    RATE_MAX,
    Amount,
    BoundedInt,
    BusinessDateTime,
    Id,
)
from web.schemas.forms import drop_blank

FORMAT_NAMES = ("leaderboard", "race", "threshold", "team_battle")
POINTS = fields.Integer(load_default=0, validate=validate.Range(-100_000, 100_000))


class AudienceSchema(Schema):
    team_ids = fields.List(Id(), load_default=list)
    sales_roles = fields.List(
        fields.String(validate=validate.OneOf(SalesRole.values())), load_default=list
    )
    user_ids = fields.List(Id(), load_default=list)


class CriteriaSchema(Schema):
    fact = fields.String(load_default="activity", validate=validate.OneOf(FactType.values()))
    activity_kind = fields.String(
        load_default=None, allow_none=True, validate=validate.OneOf(ActivityKind.values())
    )
    outcome = fields.String(
        load_default=None, allow_none=True, validate=validate.OneOf(ActivityOutcome.values())
    )
    product = fields.String(load_default=None, allow_none=True, validate=validate.Length(1, 200))
    segment = fields.String(load_default=None, allow_none=True, validate=validate.Length(1, 120))
    min_amount = Amount(load_default=None, allow_none=True)


class RuleSchema(CriteriaSchema):
    points = POINTS
    points_per_amount = Amount(maximum=RATE_MAX, load_default=None, allow_none=True)
    multiplier = Amount(maximum=MULTIPLIER_MAX, load_default=None, allow_none=True)
    multiplier_from = BusinessDateTime(load_default=None, allow_none=True)
    multiplier_until = BusinessDateTime(load_default=None, allow_none=True)
    existing_account_multiplier = Amount(maximum=MULTIPLIER_MAX, load_default=None, allow_none=True)
    daily_cap = BoundedInt(1, load_default=None, allow_none=True)
    min_gap_minutes = BoundedInt(1, load_default=None, allow_none=True)


class MissionSchema(CriteriaSchema):
    name = fields.String(required=True, validate=validate.Length(1, 160))
    manual = fields.Boolean(load_default=False)
    measure = fields.String(load_default="count", validate=validate.OneOf(("count", "sum")))
    target = BoundedInt(1, load_default=1)
    points = POINTS
    badge = fields.String(load_default=None, allow_none=True, validate=validate.Length(1, 40))


class PrizeSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(1, 160))
    bonus_points = BoundedInt(0, load_default=0)
    cash_value = Amount(load_default=None, allow_none=True)


class WindowSchema(Schema):
    """Fields every challenge form has, whether written in full or from a template."""

    name = fields.String(required=True, validate=validate.Length(1, 160))
    starts_at = BusinessDateTime(required=True)
    ends_at = BusinessDateTime(required=True)
    freeze_at = BusinessDateTime(load_default=None, allow_none=True)
    timezone = fields.String(load_default="UTC", validate=validate.Length(1, 64))
    audience = fields.Nested(AudienceSchema, required=True)
    enrolment = fields.String(load_default="auto", validate=validate.OneOf(Enrolment.values()))
    rewards = fields.List(fields.Nested(PrizeSchema), load_default=list)
    reward_budget = Amount(load_default=None, allow_none=True)
    top_n = BoundedInt(1, load_default=3)


class ChallengeSchema(WindowSchema):
    description = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(max=2000)
    )
    kind = fields.String(load_default="custom", validate=validate.OneOf(ChallengeKind.values()))
    format = fields.String(
        load_default="leaderboard", validate=validate.OneOf(ChallengeFormat.values())
    )
    team_scoring = fields.String(load_default="sum", validate=validate.OneOf(TeamScoring.values()))
    target = BoundedInt(1, load_default=None, allow_none=True)
    ordered_missions = fields.Boolean(load_default=False)
    quota_normalised = fields.Boolean(load_default=False)
    quotas = fields.Dict(
        keys=fields.String(),
        values=Amount(min_inclusive=False),
        load_default=dict,
    )
    rules = fields.List(fields.Nested(RuleSchema), load_default=list)
    missions = fields.List(fields.Nested(MissionSchema), load_default=list)
    # A share of the audience kept out at launch, drawn at random: the impact report's control.
    holdout_share = Amount(maximum=Decimal("0.5"), places=3, load_default=None, allow_none=True)


class TemplateFormSchema(WindowSchema):
    """A template's one form: the window and audience, plus the template's few options."""

    products = fields.List(fields.String(validate=validate.Length(1, 200)), load_default=None)
    min_amount = Amount(load_default=None, allow_none=True)
    points_per_deal = BoundedInt(0, load_default=None)
    points_per_amount = Amount(maximum=RATE_MAX, load_default=None)
    existing_account_multiplier = Amount(maximum=MULTIPLIER_MAX, load_default=None)
    activities = BoundedInt(1, load_default=None)
    daily_cap = BoundedInt(1, load_default=None)
    call_points = BoundedInt(0, load_default=None)
    email_points = BoundedInt(0, load_default=None)
    meeting_points = BoundedInt(0, load_default=None)


class ListQuerySchema(Schema):
    status = fields.String(
        load_default=None,
        validate=validate.OneOf(("draft", "scheduled", "live", "ended", "cancelled")),
    )


class BoardQuerySchema(Schema):
    board = fields.String(
        load_default="individual",
        validate=validate.OneOf(("individual", "around_me", "team", "improved")),
    )
    league = fields.String(load_default=None, validate=validate.OneOf(SalesRole.values()))
    limit = fields.Integer(load_default=50, validate=validate.Range(1, 500))


class ProofSchema(Schema):
    """A mission proof, from the API or the rep's page; a blank field is absent."""

    text = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=4000, error="Keep it under 4,000 characters."),
    )
    link = fields.URL(
        load_default=None,
        allow_none=True,
        schemes={"http", "https"},
        validate=validate.Length(max=500, error="Keep the link under 500 characters."),
        error_messages={"invalid": "Enter a full web address, starting with https://"},
    )

    @pre_load
    def _blank_is_absent(self, data: Any, **_: Any) -> Any:
        kept = drop_blank(data)
        if not isinstance(kept, dict):
            return kept  # not an object: the schema refuses it with its own message
        return {k: v.strip() if isinstance(v, str) else v for k, v in kept.items()}


class ReviewSchema(Schema):
    """A manager's review of a proof: approve true or false (the page's two buttons send
    approve=true and approve=false), and a comment the rep reads."""

    approve = fields.Boolean(
        required=True,
        error_messages={
            "required": "Choose approve or reject.",
            "invalid": "Choose approve or reject.",
        },
    )
    comment = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=2000, error="Keep the comment under 2,000 characters."),
    )


class AdjustmentSchema(Schema):
    user_id = Id(required=True)
    points = fields.Integer(required=True, validate=validate.Range(-100_000, 100_000))
    reason = fields.String(required=True, validate=validate.Length(1, 300))


class RuleOutSchema(Schema):
    id = fields.Integer()
    words = fields.Function(lambda rule: describe_rule(rule, formats.words()))
    fact = fields.String()
    points = fields.Integer()
    daily_cap = fields.Integer(allow_none=True)
    min_gap_minutes = fields.Integer(allow_none=True)


class MissionOutSchema(Schema):
    id = fields.Integer()
    position = fields.Integer()
    name = fields.String()
    manual = fields.Boolean()
    measure = fields.String()
    target = fields.Integer()
    points = fields.Integer()
    badge = fields.String(allow_none=True)
    counts = fields.Function(
        lambda m: None if m.manual else describe_criteria(m, formats.words())
    )


class PrizeOutSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    bonus_points = fields.Integer()
    cash_value = fields.Decimal(as_string=True, allow_none=True)


class ChallengeOutSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    description = fields.String(allow_none=True)
    kind = fields.String()
    format = fields.String()
    how_to_win = fields.Function(describe_format)
    status = fields.Function(lambda c: challenge_status(c, utcnow()))
    team_scoring = fields.String()
    target = fields.Integer(allow_none=True)
    top_n = fields.Integer()
    ordered_missions = fields.Boolean()
    quota_normalised = fields.Boolean()
    starts_at = fields.DateTime()
    ends_at = fields.DateTime()
    freeze_at = fields.DateTime(allow_none=True)
    timezone = fields.String()
    audience = fields.Dict()
    enrolment = fields.String()
    reward_budget = fields.Decimal(as_string=True, allow_none=True)
    budget_spent = fields.Decimal(as_string=True)
    holdout_share = fields.Decimal(as_string=True, allow_none=True)
    version = fields.Integer()
    launched_at = fields.DateTime(allow_none=True)
    finalized_at = fields.DateTime(allow_none=True)
    rules = fields.List(fields.Nested(RuleOutSchema))
    missions = fields.List(fields.Nested(MissionOutSchema))
    rewards = fields.List(fields.Nested(PrizeOutSchema))


class RowSchema(Schema):
    """A rep's row on a board, for the HTTP API and (its FRAME_ROW_FIELDS) Socket.IO frames."""

    id = fields.Integer(attribute="participant_id", allow_none=True)
    rank = fields.Integer()
    user_id = fields.Integer(allow_none=True)
    name = fields.String()
    points = fields.Integer()
    team_id = fields.Integer(allow_none=True)
    is_me = fields.Boolean()
    anonymised = fields.Boolean()


# What a broadcast frame says of a row: the same for every onlooker, so nothing viewer-specific.
FRAME_ROW_FIELDS = ("id", "rank", "user_id", "name", "points")


class TeamRowSchema(Schema):
    rank = fields.Integer()
    team_id = fields.Integer()
    name = fields.String()
    points = fields.Float()
    members = fields.Integer()


class ProofOutSchema(Schema):
    id = fields.Integer()
    mission_id = fields.Integer()
    user_id = fields.Integer()
    text = fields.String(allow_none=True)
    link = fields.String(allow_none=True)
    status = fields.String()
    submitted_at = fields.DateTime()
    reviewer_id = fields.Integer(allow_none=True)
    reviewed_at = fields.DateTime(allow_none=True)
    comment = fields.String(allow_none=True)


class LedgerOutSchema(Schema):
    id = fields.Integer()
    user_id = fields.Integer()
    points = fields.Integer()
    kind = fields.String()
    reason = fields.String()
    rule_id = fields.Integer(allow_none=True)
    mission_id = fields.Integer(allow_none=True)
    source_ref = fields.String(allow_none=True)
    reverses_id = fields.Integer(allow_none=True)
    actor_id = fields.Integer(allow_none=True)
    occurred_at = fields.DateTime()
    created_at = fields.DateTime()


def board_answer(board: Any) -> dict[str, Any]:
    """The leaderboard answer: challenge_id, version and rows (teams on a team board)."""
    row_schema = TeamRowSchema if board.board == "team" else RowSchema
    return {
        "challenge_id": board.challenge_id,
        "version": board.version,
        "board": board.board,
        "frozen": board.frozen,
        "rows": row_schema(many=True).dump(board.rows),
        "me": RowSchema().dump(board.me) if board.me else None,
    }


def mission_answer(pairs: list[Any]) -> list[dict[str, Any]]:
    """Missions with the rep's progress: value and when completed."""
    return [
        {
            **MissionOutSchema().dump(m),
            "progress": float(p.value) if p else 0.0,
            "completed_at": p.completed_at.isoformat() if p and p.completed_at else None,
        }
        for m, p in pairs
    ]


def challenge_answer(challenge: Challenge) -> dict[str, Any]:
    return ChallengeOutSchema().dump(challenge)
