"""The impact of one challenge over 100 reps and 20,000 closed deals: target under 2 seconds.

Baseline, measured in the same run: reading the same deals with one bare SQL query (the rows
impact analytics cannot avoid reading). The ratio says what the statistics cost on top.

    .venv/bin/python -m bench.bench_impact [--url postgresql+psycopg://...]

The --url database is emptied first: give it one of its own.
"""

from __future__ import annotations

import argparse
import tempfile
from datetime import timedelta
from pathlib import Path

from sqlalchemy import Engine, bindparam, create_engine, text
from sqlalchemy.orm import Session

from bench.harness import Row, machine, median_seconds, save

# Every model module, so drop_all also clears what the test suite's migrations left behind.
from gameplay import models as _game_models  # noqa: F401
from kpi_engine import kpi_models as _kpi_models  # noqa: F401
from kpi_engine import models  # noqa: F401
from kpi_engine.db import Base, configure_sqlite
from kpi_engine.impact import ImpactDesign, Participation, measure_impact
from tests.impact_org import Truth, plant_org

REPS, DEALS = 100, 20_000
TARGET_SECONDS = 2.0


def _engine(url: str | None, folder: Path) -> Engine:
    engine = create_engine(url or f"sqlite:///{folder / 'impact.db'}")
    if engine.dialect.name == "sqlite":
        configure_sqlite(engine)
    Base.metadata.drop_all(engine)
    Base.metadata.create_all(engine)
    return engine


def run(url: str | None) -> list[Row]:
    with tempfile.TemporaryDirectory() as folder, Session(_engine(url, Path(folder))) as session:
        truth = Truth(win_rate=0.12, size=0.2, days=-12)
        org = plant_org(session, truth, seed=1, reps=REPS, deals_per_period=-(-DEALS // (REPS * 3)))
        session.commit()
        participation = {r: Participation(m, 25.0 * m) for r, m in org.missions.items()}
        design = ImpactDesign(
            org.start, org.end, org.participant_ids, org.control_ids, participation
        )
        now = org.end + timedelta(days=1)
        ids = sorted(org.participant_ids | org.control_ids)
        bare = text(
            "SELECT owner_id, status, amount, closed_at, coalesce(engaged_at, created_at) "
            "FROM deal WHERE owner_id IN :ids AND status IN ('won', 'lost')"
        ).bindparams(bindparam("ids", ids, expanding=True))
        baseline = median_seconds(lambda: session.execute(bare).all())
        seconds = median_seconds(lambda: measure_impact(session, design, now=now))
        dialect = session.get_bind().dialect.name
    return [
        Row(
            workload=f"impact of a challenge, {REPS} reps, {org.deals} deals ({dialect})",
            measure="median wall time",
            value=seconds,
            unit="s",
            baseline="bare SQL read of the same deals",
            baseline_value=baseline,
            target=f"< {TARGET_SECONDS} s",
            met=seconds < TARGET_SECONDS,
        )
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", help="database URL (default: a fresh SQLite file)")
    args = parser.parse_args()
    print(machine())
    dialect = "postgresql" if args.url and args.url.startswith("postgresql") else "sqlite"
    save(f"impact_{dialect}", run(args.url))


if __name__ == "__main__":
    main()
