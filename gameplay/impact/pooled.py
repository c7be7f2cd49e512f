"""Across campaigns, from the game's side: the ended challenges of each kind pooled into one
effect per KPI (kpi_engine.impact.pooled), and what their prizes cost against the extra revenue
the pooled estimate implies."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from gameplay.impact.report import ChallengeImpact, per_cost
from kpi_engine.impact.bootstrap import Interval
from kpi_engine.impact.pooled import CampaignEffect, PooledEffect, pool_effects, sum_of


@dataclass(frozen=True)
class KindPool:
    """All ended challenges of one kind: each KPI's pooled effect, and the money."""

    kind: str
    campaigns: list[str]
    effects: dict[str, PooledEffect]
    incremental_revenue: Interval
    reward_cost: Decimal
    points_awarded: int
    return_on_cost: Interval | None


def pool_by_kind(reports: Sequence[ChallengeImpact], kpis: Sequence[str]) -> list[KindPool]:
    """Per kind with at least two ended challenges, the pooled effect on each KPI asked for."""
    by_kind: dict[str, list[ChallengeImpact]] = defaultdict(list)
    for report in reports:
        by_kind[report.challenge.kind].append(report)
    return [_pool(kind, found, kpis) for kind, found in sorted(by_kind.items()) if len(found) > 1]


def _pool(kind: str, reports: list[ChallengeImpact], kpis: Sequence[str]) -> KindPool:
    effects = {
        key: pool_effects(
            [
                CampaignEffect(
                    r.challenge.name,
                    r.impact.kpis[key].interval,
                    r.impact.kpis[key].n_participants,
                )
                for r in reports
            ]
        )
        for key in kpis
    }
    revenue = sum_of([r.impact.incremental_revenue for r in reports])
    cost = sum((r.reward_cost for r in reports), Decimal(0))
    return KindPool(
        kind=kind,
        campaigns=[r.challenge.name for r in reports],
        effects=effects,
        incremental_revenue=revenue,
        reward_cost=cost,
        points_awarded=sum(r.points_awarded for r in reports),
        return_on_cost=per_cost(revenue, cost),
    )
