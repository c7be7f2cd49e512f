"""The KPI registry: every KPI of KPIS.md as a definition with its formula over pandas frames.

Percent KPIs are fractions (0.25 is 25 %). A formula returns a Measure; when its base is empty
or an input is missing it returns a Measure with value None and the reason — never 0, never an
exception. Targets, owners and which KPIs a role sees are data (kpi_models), not code.

Deals are read by their calendar days (sales.dataframes). A KPI that needs a deal's creation
day leaves out the deals that have none and says how many in its note (or in its reason when
nothing is left).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import pandas as pd

from kpi_engine.errors import NotFound
from kpi_engine.sales.dataframes import Frames
from kpi_engine.sales.ingest import stage_status
from kpi_engine.words import N_

PERSPECTIVES = ("financial", "customer", "internal", "learning")
OUTBOUND_KINDS = ("email", "social")
REPLY_OUTCOMES = ("replied", "meeting_booked")
# The deal columns formulas read (Frames.closed, created and open_at_end included); owner,
# product, segment and team are read only to split a frame, never by a formula.
DEAL_READS = ("amount", "status", "created_on", "engaged_on", "closed_on")
CUSTOMER_READS = (*DEAL_READS, "account")


@dataclass(frozen=True)
class Measure:
    """A KPI's value, or None with the reason there is none; `extra` holds medians, counts;
    `note` says what a value leaves out (deals without the date it needs)."""

    value: float | None
    reason: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    note: str | None = None


def no_data(reason: str) -> Measure:
    return Measure(None, reason)


def leaving_out(measure: Measure, count: int, what: str) -> Measure:
    """The measure saying it left out `count` deals (`what` they lack), in its note, or in its
    reason when it has no value; unchanged when it left out none."""
    if not count:
        return measure
    said = f"{count:,} deal{'s' if count != 1 else ''} without {what} left out"
    if measure.value is None:
        return replace(measure, reason=f"{measure.reason} ({said})")
    return replace(measure, note=said)


CREATION_DAY = "a creation date"


def leaving_out_undated(f: Frames, measure: Measure) -> Measure:
    """A measure over deals by their creation day, saying how many undated ones it left out."""
    return leaving_out(measure, len(f.undated()), CREATION_DAY)


def ratio(numerator: float, denominator: float, reason: str, **extra: Any) -> Measure:
    """numerator / denominator, or no data for the reason given when the denominator is 0."""
    if not denominator:
        return no_data(reason)
    return Measure(float(numerator) / float(denominator), extra=extra)


@dataclass(frozen=True)
class KpiDefinition:
    key: str
    name: str
    unit: str  # percent (a fraction), currency, days, count, ratio, currency_per_day
    direction: str  # higher or lower is better
    family: str  # activity, efficiency, results, retention
    indicator: str  # leading or lagging
    perspective: str  # financial, customer, internal, learning
    level: int  # 1 strategic, 2 by segment/product/stage/team, 3 per person
    owner: str  # the role that owns it by default
    frequency: str
    formula: Callable[[Frames], Measure]
    # Sums (revenue, counts) grow with time, so their projection scales the run-rate.
    additive: bool = False
    # Deal-only formulas can be split by a deal column (segment, product, team).
    deals_only: bool = False
    # The columns the formula reads of the deals and of the activities. A scorecard reads
    # only these (scorecards.CardFrames), so a formula reading another fails loudly.
    deal_columns: tuple[str, ...] = DEAL_READS
    activity_columns: tuple[str, ...] = ()
    # Whether the formula reads deals neither closed nor created in the period (open at its
    # end, engaged in it); a scorecard without one reads only the closed and the created.
    reads_open_deals: bool = False


def _won_amounts(f: Frames) -> pd.Series:
    return f.closed("won")["amount"].fillna(0.0)


def revenue_won(f: Frames) -> Measure:
    if f.closed().empty:
        return no_data(N_("no deal closed in the period"))
    return Measure(float(_won_amounts(f).sum()))


def avg_deal_size(f: Frames) -> Measure:
    amounts = _won_amounts(f)
    if amounts.empty:
        return no_data(N_("no deal won in the period"))
    return Measure(
        float(amounts.mean()), extra={"median": float(amounts.median()), "n": len(amounts)}
    )


def win_rate(f: Frames) -> Measure:
    won, lost = len(f.closed("won")), len(f.closed("lost"))
    return ratio(won, won + lost, N_("no deal closed in the period"), n=won + lost)


def pipeline_conversion(f: Frames) -> Measure:
    entered = f.created()
    won = int((entered["status"] == "won").sum())
    rate = ratio(
        won, len(entered), N_("no deal entered the pipeline in the period"), n=len(entered)
    )
    return leaving_out_undated(f, rate)


def mql_to_sql(f: Frames) -> Measure:
    """MQLs are the deals created in the period, SQLs those of them a rep engaged."""
    entered = f.created()
    sqls = int(entered["engaged_on"].notna().sum())
    rate = ratio(
        sqls, len(entered), N_("no lead entered the pipeline in the period"), n=len(entered)
    )
    return leaving_out_undated(f, rate)


def sqls_created(f: Frames) -> Measure:
    d = f.deals
    if d.empty:
        return no_data(N_("no deal in the period"))
    return Measure(float(f.within(d, "engaged").sum()))


def cycle_days(f: Frames) -> pd.Series:
    """Whole calendar days from engagement (or creation) to close of each deal won in the
    period; NaN for a deal with neither date."""
    won = f.closed("won")
    began = won["engaged_on"].fillna(won["created_on"])
    return (won["closed_on"] - began).dt.days


def sales_cycle_days(f: Frames) -> Measure:
    every = cycle_days(f)
    if every.empty:
        return no_data(N_("no deal won in the period"))
    days = every.dropna()
    if days.empty:
        cycle = no_data(N_("no deal won in the period has a start date"))
    else:
        median = float(days.median())
        cycle = Measure(float(days.mean()), extra={"median": median, "n": len(days)})
    return leaving_out(cycle, len(every) - len(days), CREATION_DAY)


def funnel(f: Frames) -> list[tuple[str, int]]:
    """Deals created in the period that reached each open or won stage, widest first (a tie
    goes to the stage reached first: by time, then by the order changes were recorded)."""
    reached = f.stages_reached
    reached = reached[reached["stage"].map(stage_status) != "lost"]
    stages = reached.groupby("stage").agg(
        n=("deal_id", "nunique"), at=("changed_at", "min"), order=("change_id", "min")
    )
    stages = stages.sort_values(["n", "at", "order"], ascending=[False, True, True])
    return [(str(s), int(n)) for s, n in stages["n"].items()]


def stage_conversion(f: Frames) -> Measure:
    """From the first stage to the last of the funnel; each step's rate is in `steps`."""
    steps = funnel(f)
    if not steps:
        return leaving_out_undated(f, no_data(N_("no deal entered the pipeline in the period")))
    rates = [(a, b, nb / na) for (a, na), (b, nb) in itertools.pairwise(steps)]
    return leaving_out_undated(f, ratio(steps[-1][1], steps[0][1], N_("empty funnel"), steps=rates))


def _input(f: Frames, kind: str) -> float | None:
    return f.inputs.get(kind)


def quota_attainment(f: Frames) -> Measure:
    quota = _input(f, "quota")
    if quota is None:
        return no_data(N_("needs a quota for this scope and period (inputs)"))
    return ratio(float(_won_amounts(f).sum()), quota, N_("the quota is 0"))


def activities(f: Frames) -> Measure:
    a = f.activities
    if a.empty:
        return no_data(N_("no activity recorded in the period"))
    by_kind = {str(k): int(n) for k, n in a["kind"].value_counts().sort_index().items()}
    return Measure(float(len(a)), extra={"by_kind": by_kind})


def reply_rate(f: Frames) -> Measure:
    outbound = f.activities[f.activities["kind"].isin(OUTBOUND_KINDS)]
    replied = int(outbound["outcome"].isin(REPLY_OUTCOMES).sum())
    return ratio(replied, len(outbound), N_("no outbound email or message in the period"))


def meetings_booked(f: Frames) -> Measure:
    if f.activities.empty:
        return no_data(N_("no activity recorded in the period"))
    return Measure(float((f.activities["outcome"] == "meeting_booked").sum()))


def new_customers(f: Frames) -> set[str]:
    won = set(f.closed("won")["account"].dropna())
    return won - f.customers_at_start


def cac(f: Frames) -> Measure:
    missing = [k for k in ("marketing_cost", "sales_cost") if _input(f, k) is None]
    if missing:
        return no_data(f"needs {' and '.join(missing)} for this scope and period (inputs)")
    cost = (_input(f, "marketing_cost") or 0.0) + (_input(f, "sales_cost") or 0.0)
    return ratio(cost, len(new_customers(f)), N_("no new customer in the period"))


def churn_rate(f: Frames) -> Measure:
    churned = _input(f, "churned_customers")
    if churned is None:
        return no_data(N_("needs churned_customers for this scope and period (inputs)"))
    base = len(f.customers_at_start)
    return ratio(churned, base, N_("no customer at the start of the period"))


def ltv(f: Frames) -> Measure:
    """Annualised revenue per customer × lifetime, the lifetime being 1 / annual churn."""
    churn = churn_rate(f)
    if churn.value is None:
        return no_data(f"needs churn_rate: {churn.reason}")
    if churn.value == 0:
        return no_data(N_("no customer churned, so the lifetime is unbounded"))
    won = f.closed("won")
    customers = won["account"].nunique()
    yearly = 365 / f.period.days
    per_customer = ratio(float(won["amount"].sum()) * yearly, customers, N_("no customer won"))
    if per_customer.value is None:
        return per_customer
    return Measure(per_customer.value / (churn.value * yearly))


def ltv_to_cac(f: Frames) -> Measure:
    value, cost = ltv(f), cac(f)
    if value.value is None or cost.value is None:
        return no_data("; ".join(m.reason or "" for m in (value, cost) if m.value is None))
    return ratio(value.value, cost.value, N_("CAC is 0"))


def upsell_revenue(f: Frames) -> Measure:
    """Revenue won on accounts that were already customers when the period began."""
    won = f.closed("won")
    if f.closed().empty:
        return no_data(N_("no deal closed in the period"))
    existing = won["account"].isin(f.customers_at_start)
    return Measure(float(won.loc[existing, "amount"].fillna(0.0).sum()))


def renewal_rate(_f: Frames) -> Measure:
    return no_data(N_("the CRM feed carries no renewals"))


def mrr_growth(_f: Frames) -> Measure:
    return no_data(N_("the CRM feed carries no recurring revenue (MRR)"))


def pipeline_velocity(f: Frames) -> Measure:
    parts = (win_rate(f), avg_deal_size(f), sales_cycle_days(f))
    missing = [m.reason for m in parts if m.value is None]
    if missing:
        return no_data("; ".join(r or "" for r in missing))
    rate, size, days = (m.value or 0.0 for m in parts)
    opened = len(f.open_at_end())
    velocity = ratio(opened * rate * size, days, N_("a sales cycle of 0 days"), open_deals=opened)
    return leaving_out(velocity, len(f.undated()), CREATION_DAY)


def forecast_accuracy(f: Frames) -> Measure:
    forecast = _input(f, "forecast")
    if forecast is None:
        return no_data(N_("needs a forecast for this scope and period (inputs)"))
    actual = float(_won_amounts(f).sum())
    if not actual:
        return no_data(N_("no revenue won, so accuracy is undefined"))
    return Measure(1 - abs(forecast - actual) / actual)


def tool_adoption(f: Frames) -> Measure:
    """Share of the scope's reps who logged at least one activity in the period."""
    if f.activities.empty:
        return no_data(N_("no activity recorded in the period"))
    active = f.activities["rep_id"].nunique()
    return ratio(active, len(f.reps), N_("no rep in this scope"))


def _d(key: str, name: str, unit: str, direction: str, family: str, indicator: str,
       perspective: str, level: int, owner: str, formula: Callable[[Frames], Measure],
       **flags: Any) -> KpiDefinition:  # fmt: skip
    frequency = "daily" if indicator == "leading" else "weekly"
    return KpiDefinition(key, name, unit, direction, family, indicator, perspective, level, owner,
                         frequency, formula, **flags)  # fmt: skip


H, L = "higher", "lower"
DEFINITIONS: tuple[KpiDefinition, ...] = (
    _d("revenue_won", N_("Revenue won"), "currency", H, "results", "lagging", "financial", 1,
       "manager", revenue_won, additive=True, deals_only=True),
    _d("quota_attainment", N_("Quota attainment"), "percent", H, "results", "lagging", "financial",
       1, "AE", quota_attainment),
    _d("cac", N_("Customer acquisition cost"), "currency", L, "efficiency", "lagging", "financial",
       1, "manager", cac, deal_columns=CUSTOMER_READS),
    _d("forecast_accuracy", N_("Forecast accuracy"), "percent", H, "results", "lagging",
       "financial", 1, "manager", forecast_accuracy),
    _d("win_rate", N_("Win rate"), "percent", H, "efficiency", "lagging", "customer", 1, "AE",
       win_rate, deals_only=True),
    _d("pipeline_conversion", N_("Pipeline conversion"), "percent", H, "efficiency", "lagging",
       "customer", 1, "manager", pipeline_conversion, deals_only=True),
    _d("sales_cycle_days", N_("Sales cycle (days)"), "days", L, "efficiency", "lagging", "internal",
       1, "AE", sales_cycle_days, deals_only=True),
    _d("tool_adoption", N_("Tool adoption"), "percent", H, "activity", "leading", "learning", 1,
       "manager", tool_adoption, activity_columns=("rep_id",)),
    _d("avg_deal_size", N_("Average deal size"), "currency", H, "results", "lagging", "financial",
       2, "AE", avg_deal_size, deals_only=True),
    _d("ltv", N_("Customer lifetime value"), "currency", H, "retention", "lagging", "financial", 2,
       "manager", ltv, deal_columns=CUSTOMER_READS),
    _d("ltv_to_cac", N_("LTV / CAC"), "ratio", H, "retention", "lagging", "financial", 2,
       "manager", ltv_to_cac, deal_columns=CUSTOMER_READS),
    _d("mrr_growth", N_("MRR growth"), "percent", H, "results", "lagging", "financial", 2,
       "manager", mrr_growth),
    _d("upsell_revenue", N_("Upsell revenue"), "currency", H, "results", "lagging", "financial", 2,
       "AM", upsell_revenue, additive=True, deal_columns=CUSTOMER_READS),
    _d("churn_rate", N_("Churn rate"), "percent", L, "retention", "lagging", "customer", 2, "AM",
       churn_rate),
    _d("renewal_rate", N_("Renewal rate"), "percent", H, "retention", "lagging", "customer", 2,
       "AM",
       renewal_rate),
    _d("mql_to_sql", N_("MQL → SQL rate"), "percent", H, "efficiency", "leading", "customer", 2,
       "SDR", mql_to_sql, deals_only=True),
    _d("stage_conversion", N_("Stage conversion"), "percent", H, "efficiency", "leading",
       "internal", 2, "manager", stage_conversion),
    _d("pipeline_velocity", N_("Pipeline velocity"), "currency_per_day", H, "results", "leading",
       "internal", 2, "manager", pipeline_velocity, deals_only=True, reads_open_deals=True),
    _d("activities", N_("Activities"), "count", H, "activity", "leading", "internal", 3, "SDR",
       activities, additive=True, activity_columns=("kind",)),
    _d("reply_rate", N_("Reply rate"), "percent", H, "efficiency", "leading", "customer", 3, "SDR",
       reply_rate, activity_columns=("kind", "outcome")),
    _d("meetings_booked", N_("Meetings booked"), "count", H, "activity", "leading", "internal", 3,
       "SDR", meetings_booked, additive=True, activity_columns=("outcome",)),
    _d("sqls_created", N_("SQLs created"), "count", H, "activity", "leading", "internal", 3, "SDR",
       sqls_created, additive=True, deals_only=True, reads_open_deals=True),
)  # fmt: skip
REGISTRY: dict[str, KpiDefinition] = {d.key: d for d in DEFINITIONS}


def definition(key: str) -> KpiDefinition:
    """The definition of a key, or NotFound naming it."""
    try:
        return REGISTRY[key]
    except KeyError:
        raise NotFound(
            N_("no KPI with key %(key)r"), {"kpi": [N_("unknown KPI")]}, key=key
        ) from None


def level_one() -> list[KpiDefinition]:
    return [d for d in DEFINITIONS if d.level == 1]
