"""Scoring rules: which sales facts they match, how many points a fact earns, in plain words."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from gameplay.core.models import EventCriteria, ScoringRule
from kpi_engine.sales.folds import FoldedDeal, NewActivity
from kpi_engine.sales.models import Activity, Deal


@dataclass(frozen=True)
class Fact:
    """One scorable sales fact: an activity logged or a deal won, at the time it happened."""

    type: str  # activity | deal_won
    rep_id: int
    occurred_at: datetime
    source_ref: str
    raw_event_id: int | None = None
    activity_kind: str | None = None
    outcome: str | None = None
    product: str | None = None
    segment: str | None = None
    account: str | None = None
    amount: Decimal | None = None

    def as_json(self) -> dict[str, Any]:
        # A shallow copy: every field is a scalar, and asdict's deep copy cost more than the rest.
        data = dict(vars(self))
        data["occurred_at"] = self.occurred_at.isoformat()
        data["amount"] = None if self.amount is None else str(self.amount)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Fact:
        amount = data["amount"]
        return cls(
            **{
                **data,
                "occurred_at": datetime.fromisoformat(data["occurred_at"]),
                "amount": None if amount is None else Decimal(amount),
            }
        )


def activity_fact(activity: Activity | NewActivity, raw_event_id: int | None) -> Fact:
    """The fact an activity (in the mirror, or just ingested) stands for."""
    return Fact(
        "activity",
        activity.rep_id,
        activity.occurred_at,
        f"activity:{activity.crm_id}",
        raw_event_id,
        activity_kind=activity.kind,
        outcome=activity.outcome,
    )


def won_deal_fact(deal: Deal | FoldedDeal, raw_event_id: int | None) -> Fact:
    """The fact a won deal (in the mirror, or just folded) stands for, dated when it closed."""
    return Fact(
        "deal_won",
        deal.owner_id,
        deal.closed_at or deal.updated_at,
        deal_ref(deal.crm_id),
        raw_event_id,
        product=deal.product,
        segment=deal.segment,
        account=deal.account,
        amount=deal.amount,
    )


def deal_ref(crm_id: str) -> str:
    return f"deal:{crm_id}"


FILTERS = ("activity_kind", "outcome", "product", "segment")


def matches(criteria: EventCriteria, fact: Fact) -> bool:
    """True when the fact has the criteria's type and passes every filter set on it."""
    if criteria.fact != fact.type:
        return False
    for name in FILTERS:
        wanted = getattr(criteria, name)
        if wanted is not None and getattr(fact, name) != wanted:
            return False
    return criteria.min_amount is None or (fact.amount or 0) >= criteria.min_amount


def rule_points(rule: ScoringRule, fact: Fact, *, existing_account: bool) -> int:
    """Points before caps: fixed plus per amount, times the multipliers in force."""
    points = Decimal(rule.points) + (rule.points_per_amount or 0) * (fact.amount or 0)
    if _multiplier_applies(rule, fact.occurred_at):
        points *= rule.multiplier
    if existing_account and rule.existing_account_multiplier is not None:
        points *= rule.existing_account_multiplier
    return int(points.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _multiplier_applies(rule: ScoringRule, at: datetime) -> bool:
    starts, ends = rule.multiplier_from, rule.multiplier_until
    return (starts is None or at >= starts) and (ends is None or at < ends)


def describe_criteria(criteria: EventCriteria) -> str:
    """What a rule or mission counts, e.g. "call with outcome meeting booked"."""
    text = "deal won" if criteria.fact == "deal_won" else criteria.activity_kind or "activity"
    if criteria.outcome:
        text += f" ({criteria.outcome.replace('_', ' ')})"
    filters = [
        f"{n} {v}" for n, v in (("product", criteria.product), ("segment", criteria.segment)) if v
    ]
    if criteria.min_amount is not None:
        filters.append(f"of at least {criteria.min_amount:,.0f}")
    return text + (", " + ", ".join(filters) if filters else "")


def describe_rule(rule: ScoringRule) -> str:
    """The rule in plain words: "+10 per call (meeting booked), up to 50 a day", or
    "+50 per deal won, plus 1 point per 100 of its amount"."""
    counted = describe_criteria(rule)
    if not rule.points_per_amount:
        text = f"+{rule.points} per {counted}"
    elif rule.points:
        text = f"+{rule.points} per {counted}, plus {_amount_words(rule.points_per_amount)}"
    else:
        text = f"{_amount_words(rule.points_per_amount)}, per {counted}"
    if rule.multiplier != 1:
        text += f", x{rule.multiplier.normalize()} {_window_words(rule)}".rstrip()
    if rule.existing_account_multiplier is not None:
        text += f", x{rule.existing_account_multiplier.normalize()} for existing accounts"
    if rule.daily_cap is not None:
        text += f", up to {rule.daily_cap} a day"
    if rule.min_gap_minutes:
        text += f", at most once every {rule.min_gap_minutes} minutes"
    return text


def _amount_words(per_unit: Decimal) -> str:
    """0.01 -> "1 point per 100 of its amount"; 2 -> "2 points per 1 of its amount"."""
    units = 1 / per_unit
    if per_unit < 1 and units == units.to_integral_value():
        return f"1 point per {units:,.0f} of its amount"
    return f"{per_unit.normalize():f} points per 1 of its amount"


def _window_words(rule: ScoringRule) -> str:
    starts, ends = rule.multiplier_from, rule.multiplier_until
    words = f"from {starts:%Y-%m-%d %H:%M} UTC " if starts else ""
    return words + (f"until {ends:%Y-%m-%d %H:%M} UTC" if ends else "")
