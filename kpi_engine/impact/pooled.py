"""Across campaigns: does this kind of challenge work for us? One estimate per KPI from all the
ended challenges of a kind, run at different times by different teams.

Each campaign is its own clean comparison (stacked difference in differences): its participants
against its own comparison reps, each over its own pre-window and window, so a campaign never
serves as another's control and the staggered timing cannot bias the pool the way one two-way
fixed-effects regression over all periods does (where early adopters become controls for late
ones and effects that differ by cohort get negative weights). The pooled effect is the
average of the campaigns' effects weighted by their participants (the average effect on a
participant, whatever the campaign), and its interval treats the campaigns' estimates as
independent (different reps or different windows), each with the standard error its own 95 %
interval implies.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from kpi_engine.impact.bootstrap import NO_INTERVAL, Interval

Z95 = 1.959964
MIN_CAMPAIGNS = 2


@dataclass(frozen=True)
class CampaignEffect:
    """One campaign's effect on a KPI, its interval, and how many participants it rests on."""

    label: str
    effect: Interval
    participants: int


@dataclass(frozen=True)
class PooledEffect:
    estimate: Interval
    campaigns: int  # campaigns that could be measured
    participants: int
    left_out: list[str]  # campaigns without an estimate (named)


def pool_effects(effects: Sequence[CampaignEffect]) -> PooledEffect:
    """The participant-weighted average of the campaigns' effects with a 95 % interval (None
    with fewer than two measured campaigns)."""
    measured = [e for e in effects if _complete(e.effect) and e.participants > 0]
    left_out = [e.label for e in effects if e not in measured]
    people = sum(e.participants for e in measured)
    if len(measured) < MIN_CAMPAIGNS:
        return PooledEffect(NO_INTERVAL, len(measured), people, left_out)
    weights = np.array([e.participants for e in measured], dtype=np.float64) / people
    estimates = np.array([float(e.effect.estimate or 0) for e in measured])
    errors = np.array([_error(e.effect) for e in measured])
    estimate = float(weights @ estimates)
    spread = float(np.sqrt(np.sum((weights * errors) ** 2)))
    interval = Interval(estimate, estimate - Z95 * spread, estimate + Z95 * spread)
    return PooledEffect(interval, len(measured), people, left_out)


def sum_of(intervals: Sequence[Interval]) -> Interval:
    """The sum of independent estimates (incremental revenue of several campaigns) with a 95 %
    interval from their own (None when any is missing)."""
    if not intervals or not all(_complete(i) for i in intervals):
        return NO_INTERVAL
    total = sum(float(i.estimate or 0) for i in intervals)
    spread = float(np.sqrt(sum(_error(i) ** 2 for i in intervals)))
    return Interval(total, total - Z95 * spread, total + Z95 * spread)


def _complete(interval: Interval) -> bool:
    return None not in (interval.estimate, interval.low, interval.high)


def _error(interval: Interval) -> float:
    """The standard error a 95 % interval implies."""
    return (float(interval.high or 0) - float(interval.low or 0)) / (2 * Z95)
