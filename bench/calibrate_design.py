"""Calibration of the design methods of issue 20 on generated organisations with known truth.

- Holdout: 30 reps, 9 held out at random, +12 win-rate points planted on the 21 kept in; the
  randomised comparison (randomisation-inference interval): how often the 95 % interval holds
  the truth, how often an effect is claimed.
- Small team, no effect: a 6-rep team against 8 comparable reps, a good quarter for everybody;
  the difference in differences with its permutation interval: how often it claims an effect.
- Pooled: three campaigns (8, 20, 40 participants) with effects 0.05, 0.10, 0.20 (different by
  cohort); how often the pooled 95 % interval holds the participant-weighted truth.

    .venv/bin/python -m bench.calibrate_design [--orgs 200]
"""

from __future__ import annotations

import argparse
from datetime import timedelta

import numpy as np
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from bench.harness import machine
from kpi_engine.db import Base
from kpi_engine.impact.bootstrap import difference_of_means, new_rng
from kpi_engine.impact.estimates import ImpactDesign, Randomisation, measure_impact
from kpi_engine.impact.pooled import CampaignEffect, pool_effects
from kpi_engine.sales import models  # noqa: F401  (registers the sales tables)
from tests.impact_org import Truth, plant_org


def _org_run(seed: int, truth: Truth, reps: int, participants: int, holdout: bool) -> tuple:
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        org = plant_org(session, truth, seed=seed, reps=reps, participants=participants,
                        deals_per_period=10)  # fmt: skip
        draw = Randomisation(org.participant_ids, org.control_ids) if holdout else None
        design = ImpactDesign(org.start, org.end, org.participant_ids, org.control_ids,
                              randomisation=draw)  # fmt: skip
        report = measure_impact(session, design, now=org.end + timedelta(days=1),
                                intensity=False, draws=1000)  # fmt: skip
        win = report.kpis["win_rate"]
    engine.dispose()
    low = -np.inf if win.ci_low is None else win.ci_low
    high = np.inf if win.ci_high is None else win.ci_high
    return low <= truth.win_rate <= high, win.verdict == "effect"


def _pooled_run(seed: int) -> bool:
    sizes, effects = (8, 20, 40), (0.05, 0.10, 0.20)
    truth = float(np.average(effects, weights=sizes))
    rng = np.random.default_rng(seed)
    found = []
    for n, (size, effect) in enumerate(zip(sizes, effects, strict=True)):
        interval = difference_of_means(rng.normal(effect, 0.15, size), rng.normal(0, 0.15, 40),
                                       new_rng(seed, str(n)), 1000)  # fmt: skip
        found.append(CampaignEffect(str(n), interval, size))
    pooled = pool_effects(found).estimate
    return bool(pooled.low is not None and pooled.high is not None
                and pooled.low <= truth <= pooled.high)  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orgs", type=int, default=200)
    orgs = parser.parse_args().orgs
    print(machine())
    holdout = [_org_run(s, Truth(win_rate=0.12), 30, 21, True) for s in range(orgs)]
    held, claimed = np.mean([h for h, _ in holdout]), np.mean([c for _, c in holdout])
    print(f"holdout, +12 pts, 21 kept in / 9 held out: holds the truth {held:.1%}, "
          f"effect claimed {claimed:.1%}")  # fmt: skip
    null = [_org_run(s, Truth(shock_win_rate=0.08), 14, 6, False) for s in range(orgs)]
    held, claimed = np.mean([h for h, _ in null]), np.mean([c for _, c in null])
    print(f"small team, no effect, 6 vs 8 reps, shock for all: effect claimed {claimed:.1%}, "
          f"holds 0 {held:.1%}")  # fmt: skip
    held_null = [_org_run(s, Truth(), 30, 21, True) for s in range(orgs)]
    print(f"holdout, no effect: effect claimed {np.mean([c for _, c in held_null]):.1%}")
    pooled = np.mean([_pooled_run(s) for s in range(orgs)])
    print(f"pooled, cohort-varying effects: interval holds the truth {pooled:.1%}")


if __name__ == "__main__":
    main()
