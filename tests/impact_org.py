"""Generated organisations with a known truth, for impact analytics tests and the benchmark.

Each rep has a skill (win rate), a typical deal size and a typical time to close. Deals close
at random moments over periods of equal length before and during a challenge; the truth is
planted on top: an effect for participants during the window, a shock for everybody, a
pre-existing trend for participants, or the best reps choosing to join. Activities (calls,
emails, meetings) can be planted the same way over an organisation's reps.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import numpy as np
from sqlalchemy import insert
from sqlalchemy.orm import Session

from kpi_engine.org.models import User
from kpi_engine.sales.models import Activity, Deal

START = datetime(2026, 6, 1, tzinfo=UTC)
LENGTH = timedelta(days=30)
PERIODS = 3  # before the pre-window, pre-window, window
SIZE_SPREAD = 0.3


@dataclass(frozen=True)
class Truth:
    """What really happens in the window: to participants (effect) and to everybody (shock)."""

    win_rate: float = 0.0
    size: float = 0.0  # relative: 0.2 is +20 %
    days: float = 0.0
    shock_win_rate: float = 0.0
    shock_size: float = 0.0
    shock_days: float = 0.0
    best_reps_join: bool = False
    # Added to participants' win rate per period before the challenge too: diverging trends.
    participant_trend: float = 0.0
    # The effect grows with missions completed (0 to 10): a participant with 5 gets half.
    dose_response: bool = False


@dataclass(frozen=True)
class ActivityTruth:
    """Activities per rep and period: what taking part adds in the window, what everybody gets
    in the window, and how many more the participants log in every period (they were busier
    before they joined: selection, not effect)."""

    effect: float = 0.0
    shock: float = 0.0
    joiners_lead: float = 0.0


@dataclass(frozen=True)
class PlantedOrg:
    participant_ids: frozenset[int]
    control_ids: frozenset[int]
    start: datetime
    end: datetime
    skill: dict[int, float]
    size: dict[int, float]
    missions: dict[int, int]
    deals: int

    def size_effect(self, relative: float) -> float:
        """The true effect on average deal size in currency: the mean participant's gain."""
        return relative * float(np.mean([self.size[r] for r in self.participant_ids]))


def _reps(session: Session, count: int, org: str = "planted") -> list[int]:
    rows = [
        {"email": f"rep{i}@{org}.test", "name": f"Rep {i:03d}", "app_role": "rep",
         "sales_role": "AE", "active": True, "created_at": START - 4 * LENGTH}
        for i in range(count)
    ]  # fmt: skip
    session.execute(insert(User), rows)
    ids = session.scalars(
        User.__table__.select().with_only_columns(User.id).where(User.email.like(f"%@{org}.test"))
    )
    return sorted(ids)


def _deal_rows(
    rep: int,
    period: int,
    n: int,
    rng: np.random.Generator,
    win: float,
    size: float,
    days: float,
    window_start: datetime = START,
) -> list[dict[str, Any]]:
    start = window_start + (period - PERIODS + 1) * LENGTH
    offsets = rng.uniform(0, LENGTH.total_seconds(), n)
    won = rng.random(n) < min(max(win, 0.0), 1.0)
    amounts = size * np.exp(rng.normal(-(SIZE_SPREAD**2) / 2, SIZE_SPREAD, n))
    durations = np.maximum(1.0, rng.normal(days, 8.0, n))
    no_engagement = rng.random(n) < 0.2
    rows = []
    for i in range(n):
        closed = start + timedelta(seconds=float(offsets[i]))
        began = closed - timedelta(days=float(durations[i]))
        status = "won" if won[i] else "lost"
        created = began - (timedelta(0) if no_engagement[i] else timedelta(days=5))
        engaged = None if no_engagement[i] else began
        rows.append(
            {
                "crm_id": f"P-{rep}-{period}-{i}",
                "owner_id": rep,
                "amount": Decimal(f"{amounts[i]:.2f}"),
                "currency": "USD",
                "stage": status.title(),
                "status": status,
                "created_at": created,
                "engaged_at": engaged,
                "closed_at": closed,
                # The planted org lives in UTC: each fact's day is its instant's UTC date.
                "created_on": created.date(),
                "engaged_on": engaged.date() if engaged else None,
                "closed_on": closed.date(),
                "updated_at": closed,
            }
        )
    return rows


def plant_org(
    session: Session,
    truth: Truth,
    *,
    seed: int,
    reps: int = 100,
    participants: int = 50,
    deals_per_period: int = 20,
    start: datetime = START,
    org: str = "planted",
) -> PlantedOrg:
    """Reps and closed deals over three equal periods ending with the challenge window (from
    `start`); `org` names the reps' e-mail domain, so that several orgs can live side by side."""
    rng = np.random.default_rng(seed)
    ids = _reps(session, reps, org)
    skill = dict(zip(ids, rng.uniform(0.2, 0.5, reps), strict=True))
    size = dict(zip(ids, rng.lognormal(np.log(10_000), 0.4, reps), strict=True))
    speed = dict(zip(ids, rng.uniform(30, 60, reps), strict=True))
    order = (
        sorted(ids, key=lambda r: -skill[r]) if truth.best_reps_join else list(rng.permutation(ids))
    )
    joined = frozenset(int(r) for r in order[:participants])
    missions = {rep: int(rng.integers(0, 11)) for rep in sorted(joined)}
    rows: list[dict[str, Any]] = []
    for rep in ids:
        treated = rep in joined
        dose = missions.get(rep, 0) / 10 if truth.dose_response else 1.0
        for period in range(PERIODS):
            in_window = period == PERIODS - 1
            win = skill[rep] + (truth.participant_trend * period if treated else 0.0)
            sz, dy = size[rep], speed[rep]
            if in_window:
                win += truth.shock_win_rate + (truth.win_rate * dose if treated else 0.0)
                sz *= 1 + truth.shock_size + (truth.size * dose if treated else 0.0)
                dy += truth.shock_days + (truth.days * dose if treated else 0.0)
            rows += _deal_rows(rep, period, deals_per_period, rng, win, sz, dy, start)
    session.execute(insert(Deal), rows)
    session.flush()
    return PlantedOrg(
        joined, frozenset(ids) - joined, start, start + LENGTH, skill, size, missions, len(rows)
    )


def plant_activities(
    session: Session, org: PlantedOrg, truth: ActivityTruth, *, seed: int
) -> dict[int, float]:
    """Activities of every rep of the org over its three periods, Poisson around a rate of the
    rep's own (30 to 60 a period) plus the truth; returns each rep's rate before the window."""
    rng = np.random.default_rng(seed)
    reps = sorted(org.participant_ids | org.control_ids)
    rate = {r: float(rng.uniform(30, 60)) + (truth.joiners_lead if r in org.participant_ids else 0)
            for r in reps}  # fmt: skip
    rows: list[dict[str, Any]] = []
    for rep in reps:
        for period in range(PERIODS):
            mean = rate[rep]
            if period == PERIODS - 1:
                mean += truth.shock + (truth.effect if rep in org.participant_ids else 0.0)
            start = START + (period - PERIODS + 1) * LENGTH
            offsets = rng.uniform(0, LENGTH.total_seconds(), rng.poisson(mean))
            rows += [
                {"crm_id": f"A-{rep}-{period}-{i}", "rep_id": rep, "kind": "call",
                 "outcome": "connected", "occurred_at": start + timedelta(seconds=float(o))}
                for i, o in enumerate(offsets)
            ]  # fmt: skip
    session.execute(insert(Activity), rows)
    session.flush()
    return rate
