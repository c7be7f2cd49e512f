"""Across campaigns: the ended challenges of a kind pooled into one effect per KPI (stacked DiD:
each campaign against its own comparison reps over its own windows), beside each campaign's own
estimate, and the money pooled the same way."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import numpy as np
from sqlalchemy import update
from sqlalchemy.orm import Session

from gameplay.impact.past_campaigns import record_past_campaign
from gameplay.impact.pooled import pool_by_kind
from gameplay.impact.report import compare_challenges
from kpi_engine.impact.bootstrap import difference_of_means, new_rng
from kpi_engine.impact.pooled import CampaignEffect, pool_effects
from kpi_engine.org.models import User
from tests.factories import make_team, make_user
from tests.impact_org import START, PlantedOrg, Truth, plant_org


def campaign(org: PlantedOrg, team_id: int, name: str) -> dict[str, Any]:
    return {
        "name": name,
        "kind": "upsell",
        "format": "leaderboard",
        "starts_at": org.start,
        "ends_at": org.end,
        "timezone": "UTC",
        "audience": {"team_ids": [team_id], "sales_roles": [], "user_ids": []},
        "rules": [{"fact": "deal_won", "points": 10}],
        "rewards": [{"name": "Dinner", "cash_value": Decimal("500.00")}],
    }


def test_the_pooled_estimate_recovers_an_effect_that_differs_by_cohort(session: Session) -> None:
    """Two upsell campaigns by two teams, two months apart: +8 and +16 win-rate points."""
    manager = make_user(session, app_role="manager", sales_role=None)
    ids = []
    for n, (effect, start) in enumerate(((0.08, START), (0.16, START + timedelta(days=90)))):
        team = make_team(session, manager=manager)
        org = plant_org(session, Truth(win_rate=effect), seed=30 + n, reps=60, participants=30,
                        start=start, org=f"cohort{n}")  # fmt: skip
        reps = org.participant_ids | org.control_ids
        session.execute(update(User).where(User.id.in_(reps)).values(team_id=team.id))
        session.expire_all()
        now = org.end + timedelta(days=1)
        spec = campaign(org, team.id, f"Cohort {n}")
        done, _ = record_past_campaign(
            session, spec, org.participant_ids, manager, now=now, award_points=True
        )
        ids.append(done.id)
    now = START + timedelta(days=200)
    reports = compare_challenges(session, ids, manager, now=now, kpis=["win_rate", "revenue_won"])
    own = [r.impact.kpis["win_rate"] for r in reports]
    assert [k.n_participants for k in own] == [30, 30], "each cohort against its own controls"
    for kpi, truth in zip(own, (0.08, 0.16), strict=True):
        assert kpi.ci_low is not None and kpi.ci_high is not None
        assert kpi.ci_low <= truth <= kpi.ci_high
    [pool] = pool_by_kind(reports, ["win_rate", "revenue_won"])
    pooled = pool.effects["win_rate"].estimate
    assert pool.kind == "upsell" and pool.effects["win_rate"].campaigns == 2
    assert pooled.low is not None and pooled.high is not None and pooled.estimate is not None
    assert pooled.low <= 0.12 <= pooled.high and pooled.low > 0
    assert pooled.high - pooled.low < min(k.ci_high - k.ci_low for k in own)  # type: ignore[operator]
    # Money: the prizes of both against the extra revenue both imply.
    assert pool.reward_cost == sum((r.reward_cost for r in reports), Decimal(0))
    assert pool.points_awarded == sum(r.points_awarded for r in reports) > 0
    assert pool.incremental_revenue.estimate == sum(
        r.impact.incremental_revenue.estimate or 0 for r in reports
    )
    if pool.reward_cost:
        assert pool.return_on_cost is not None


def test_the_pooled_interval_holds_a_cohort_varying_truth_about_95_percent_of_the_time() -> None:
    """Three campaigns of different sizes and effects, per-rep changes drawn afresh each run."""
    sizes, effects = (8, 20, 40), (0.05, 0.10, 0.20)
    truth = float(np.average(effects, weights=sizes))
    held = 0
    for seed in range(200):
        rng = np.random.default_rng(seed)
        found = []
        for n, (size, effect) in enumerate(zip(sizes, effects, strict=True)):
            treated = rng.normal(effect, 0.15, size)
            control = rng.normal(0.0, 0.15, 40)
            interval = difference_of_means(treated, control, new_rng(seed, str(n)), 1000)
            found.append(CampaignEffect(str(n), interval, size))
        pooled = pool_effects(found).estimate
        assert pooled.low is not None and pooled.high is not None
        held += pooled.low <= truth <= pooled.high
    assert 0.90 <= held / 200 <= 0.99, held


def test_one_measured_campaign_is_not_a_pool() -> None:
    from kpi_engine.impact.bootstrap import NO_INTERVAL, Interval

    pooled = pool_effects(
        [CampaignEffect("a", Interval(0.1, 0.0, 0.2), 10), CampaignEffect("b", NO_INTERVAL, 5)]
    )
    assert pooled.estimate.estimate is None and pooled.left_out == ["b"]
