"""The demo's inputs: quotas, marketing and sales costs, forecasts and churned customers per rep
for the current and previous quarter and month, so every KPI of a scorecard has a value.

They are what a sales manager would have entered: a quota a little above what the rep closed
last quarter (kept for this one), a forecast within about ten per cent of what closed, a
quarter's share of salaries and campaigns as costs. Team, region and org scorecards read the
sum of their reps' inputs (kpi_engine.kpis.inputs.inputs_for). Fixed seed; entering them again
replaces them with the same numbers.
"""

from __future__ import annotations

import random
from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kpi_engine.kpis.inputs import InputRow, set_input
from kpi_engine.org.models import User
from kpi_engine.periods import Period, parse_period, period_kind, quarter_of
from kpi_engine.sales.models import Deal

NEW_HIRE_QUOTA = 20_000  # a quarter's quota for a rep with no closed deal yet
SALES_COST = 15_000  # a rep's share of salaries and tools per quarter
MARKETING_COST = 6_000  # a rep's share of campaigns per quarter


def demo_periods(now: datetime, tz: str = "UTC") -> list[Period]:
    """The current and previous quarter and month, the periods the demo enters inputs for."""
    quarter = quarter_of(now, tz)
    month = parse_period(f"{now:%Y-%m}", tz)
    return [quarter, quarter.previous(), month, month.previous()]


def enter_demo_inputs(session: Session, *, now: datetime, tz: str = "UTC", seed: int = 7) -> int:
    """Enter (or re-enter, identically) each rep's inputs for the demo periods; returns how many."""
    rng = random.Random(seed)
    reps = list(session.scalars(select(User.id).where(User.app_role == "rep").order_by(User.id)))
    entered = 0
    for period in demo_periods(now, tz):
        quarter = period_kind(period.label) == "quarter"
        share = 1 if quarter else 3  # a month carries a third of a quarter's numbers
        last_quarter = quarter_of(period.start, tz).previous()
        won, before = _won_by_rep(session, period), _won_by_rep(session, last_quarter)
        for rep in reps:
            values = {
                "quota": _quota(before.get(rep), rng) / share,
                "forecast": won.get(rep, 0.0) * rng.uniform(0.9, 1.1),
                "sales_cost": SALES_COST * rng.uniform(0.9, 1.1) / share,
                "marketing_cost": MARKETING_COST * rng.uniform(0.8, 1.2) / share,
                "churned_customers": rng.randint(1, 3) if quarter else 1,
            }
            for kind, amount in values.items():
                rounded = Decimal(round(amount)) if kind == "churned_customers" else _money(amount)
                set_input(session, InputRow(kind, f"rep:{rep}", period.label, rounded))
                entered += 1
    return entered


def _quota(closed_last_quarter: float | None, rng: random.Random) -> float:
    if not closed_last_quarter:
        return NEW_HIRE_QUOTA
    return max(NEW_HIRE_QUOTA, closed_last_quarter * rng.uniform(0.9, 1.25))


def _money(amount: float) -> Decimal:
    return Decimal(round(amount / 100) * 100)


def _won_by_rep(session: Session, period: Period) -> dict[int, float]:
    query = (
        select(Deal.owner_id, func.sum(Deal.amount))
        .where(
            Deal.status == "won",
            Deal.closed_on >= period.first_day,
            Deal.closed_on <= period.last_day,
        )
        .group_by(Deal.owner_id)
    )
    return {owner: float(total or 0) for owner, total in session.execute(query)}
