"""Are the impact intervals honest? Many generated organisations per scenario, known truth.

For each scenario it prints, per KPI: how often an effect was claimed, how often the 95 %
interval held the truth (coverage; nominal 95 %), the mean estimate beside the truth, and the
two naive figures this module exists to correct: participants against the rest during the
window, and participants' own change from before to during.

    .venv/bin/python -m bench.calibrate_impact [--orgs 50]
"""

from __future__ import annotations

import argparse
from collections import defaultdict
from datetime import timedelta

import numpy as np
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from bench.harness import machine
from kpi_engine.db import Base
from kpi_engine.impact.estimates import ImpactDesign, KpiImpact, measure_impact
from kpi_engine.sales import models  # noqa: F401  (registers the sales tables)
from tests.impact_org import PlantedOrg, Truth, plant_org

SCENARIOS = {
    "planted effect": Truth(win_rate=0.12, size=0.20, days=-12),
    "best reps join, no effect": Truth(best_reps_join=True),
    "shock for everybody, no effect": Truth(shock_win_rate=0.10, shock_size=0.15, shock_days=-8),
}
KEYS = ("win_rate", "avg_deal_size", "days_to_close")


def _truth(org: PlantedOrg, truth: Truth, key: str) -> float:
    return {"win_rate": truth.win_rate, "days_to_close": truth.days}.get(
        key, org.size_effect(truth.size)
    )


def _one(truth: Truth, seed: int) -> dict[str, tuple[KpiImpact, float]]:
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        org = plant_org(session, truth, seed=seed)
        design = ImpactDesign(org.start, org.end, org.participant_ids, org.control_ids)
        report = measure_impact(session, design, now=org.end + timedelta(days=1))
        return {k: (report.kpis[k], _truth(org, truth, k)) for k in KEYS}


def _summary(rows: list[tuple[KpiImpact, float]]) -> str:
    claimed = np.mean([k.verdict == "effect" for k, _ in rows])
    covered = np.mean([k.ci_low is not None and k.ci_low <= t <= k.ci_high for k, t in rows])
    estimate = np.mean([k.estimate for k, _ in rows if k.estimate is not None])
    naive = np.mean([k.naive_difference for k, _ in rows if k.naive_difference is not None])
    truth = np.mean([t for _, t in rows])
    before_after = np.mean([_own_change(k) for k, _ in rows])
    return (
        f"claimed {claimed:6.1%}  coverage {covered:6.1%}  estimate {estimate:9.4g}  "
        f"truth {truth:9.4g}  naive {naive:9.4g}  before/after {before_after:9.4g}"
    )


def _own_change(kpi: KpiImpact) -> float:
    before, during = kpi.series[1].participants, kpi.series[2].participants
    return float("nan") if before is None or during is None else during - before


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--orgs", type=int, default=50, help="organisations per scenario")
    args = parser.parse_args()
    print(machine())
    for name, truth in SCENARIOS.items():
        results: dict[str, list[tuple[KpiImpact, float]]] = defaultdict(list)
        for seed in range(args.orgs):
            for key, row in _one(truth, 1000 + seed).items():
                results[key].append(row)
        print(f"\n{name} ({args.orgs} organisations of 100 reps)")
        for key in KEYS:
            print(f"  {key:<14} {_summary(results[key])}")


if __name__ == "__main__":
    main()
