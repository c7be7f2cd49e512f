"""Scoring rules: which sales facts they match, how many points a fact earns, in plain words."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from gameplay.core.models import EventCriteria, ScoringRule
from kpi_engine.sales.folds import FoldedDeal, NewActivity
from kpi_engine.sales.models import Activity, Deal
from kpi_engine.words import ENGLISH, N_, Said, Words, said, write


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


def what_counts(criteria: EventCriteria) -> Said:
    """What a rule or mission counts, e.g. "call (meeting booked), product Pro": English that
    web/ writes again in a reader's language (a points note's reason)."""
    if criteria.fact == "deal_won":
        text = said(N_("deal won"))
    else:
        text = said(ACTIVITY_WORDS.get(criteria.activity_kind or "", N_("activity")))
    if criteria.outcome:
        known = OUTCOME_WORDS.get(criteria.outcome)
        outcome = said(known) if known else criteria.outcome.replace("_", " ")
        text = said(N_("%(counted)s (%(outcome)s)"), counted=text, outcome=outcome)
    filters = [
        said(label, value=value)
        for label, value in ((N_("product %(value)s"), criteria.product),
                             (N_("segment %(value)s"), criteria.segment))
        if value
    ]  # fmt: skip
    if criteria.min_amount is not None:
        filters.append(said(N_("of at least %(amount)s"), amount=criteria.min_amount))
    for condition in filters:
        text = said(N_("%(counted)s, %(condition)s"), counted=text, condition=condition)
    return text


def describe_criteria(criteria: EventCriteria, words: Words = ENGLISH) -> str:
    """What a rule or mission counts, in the words of `words`."""
    return write(what_counts(criteria), words)


def describe_rule(rule: ScoringRule, words: Words = ENGLISH) -> str:
    """The rule in plain words: "+10 per call (meeting booked), up to 50 a day", or
    "+50 per deal won, plus 1 point per 100 of its amount"."""
    _ = words.gettext
    counted = describe_criteria(rule, words)
    values: dict[str, Any] = {"points": words.number(rule.points), "counted": counted}
    if rule.points_per_amount:
        values["share"] = _amount_words(rule.points_per_amount, words)
    if not rule.points_per_amount:
        text = _("+%(points)s per %(counted)s") % values
    elif rule.points:
        text = _("+%(points)s per %(counted)s, plus %(share)s") % values
    else:
        text = _("%(share)s, per %(counted)s") % values
    return text + "".join(_extras(rule, words))


def _extras(rule: ScoringRule, words: Words) -> list[str]:
    _ = words.gettext
    extras = []
    if rule.multiplier != 1:
        factor = _factor(rule.multiplier, words)
        extras.append(f", x{factor} {_window_words(rule, words)}".rstrip())
    if rule.existing_account_multiplier is not None:
        factor = _factor(rule.existing_account_multiplier, words)
        extras.append(_(", x%(factor)s for existing accounts") % {"factor": factor})
    if rule.daily_cap is not None:
        extras.append(_(", up to %(cap)s a day") % {"cap": words.number(rule.daily_cap)})
    if rule.min_gap_minutes:
        minutes = rule.min_gap_minutes
        extras.append(
            words.ngettext(
                ", at most once a minute", ", at most once every %(minutes)s minutes", minutes
            ) % {"minutes": words.number(minutes)}
        )  # fmt: skip
    return extras


def _factor(value: Decimal, words: Words) -> str:
    """1.5 as 1.5 (1,5 in French), 2 as 2: as many decimals as it has."""
    return words.number(value.normalize(), _decimals(value))


def _decimals(value: Decimal) -> int:
    exponent = value.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def _amount_words(per_unit: Decimal, words: Words) -> str:
    """0.01 -> "1 point per 100 of its amount"; 2 -> "2 points per 1 of its amount"."""
    units = 1 / per_unit
    if per_unit < 1 and units == units.to_integral_value():
        return words.gettext("1 point per %(units)s of its amount") % {"units": words.number(units)}
    rate = _factor(per_unit, words)
    return words.gettext("%(rate)s points per 1 of its amount") % {"rate": rate}


def _window_words(rule: ScoringRule, words: Words) -> str:
    starts, ends = rule.multiplier_from, rule.multiplier_until
    text = (
        words.gettext("from %(moment)s UTC ") % {"moment": f"{starts:%Y-%m-%d %H:%M}"}
        if starts
        else ""
    )
    if ends:
        text += words.gettext("until %(moment)s UTC") % {"moment": f"{ends:%Y-%m-%d %H:%M}"}
    return text


ACTIVITY_WORDS = {
    "call": N_("call"),
    "email": N_("email"),
    "meeting": N_("meeting"),
    "demo": N_("demo"),
    "social": N_("social"),
}
OUTCOME_WORDS = {
    "none": N_("none"),
    "no_answer": N_("no answer"),
    "connected": N_("connected"),
    "replied": N_("replied"),
    "meeting_booked": N_("meeting booked"),
}
