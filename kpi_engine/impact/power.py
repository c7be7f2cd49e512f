"""Power before launch: the smallest effect a challenge could detect, from the org's own history.

For the chosen reps and window length, the spread of each KPI between reps is read from the
periods of the same length just before the start. The smallest detectable effect (80 % power,
two-sided 5 % test) of a comparison of n_t against n_c reps is

    (z_0.975 + z_0.80) · s · √(1/n_t + 1/n_c)

where s is the spread of what the comparison averages: a rep's value over the window for a
randomised holdout, a rep's change from the period before for a difference in differences.
Reps without a value (no closed deal) do not count: n is scaled by the share that had one.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from sqlalchemy.orm import Session

from kpi_engine.impact.panel import CORE_KPIS, FloatArray, Panel, Span, StudyRows
from kpi_engine.words import N_, Lowered, Said, said

Z_SUM = 1.959964 + 0.841621  # two-sided 5 % test, 80 % power
HISTORY = 3  # periods of the window's length read before the start
POWER_KPIS = ("win_rate", "avg_deal_size", "days_to_close")


@dataclass(frozen=True)
class Detectable:
    """The smallest effect on one KPI the design would detect (None: it cannot measure, and
    `reason` says which minimum failed)."""

    key: str
    name: str
    unit: str
    effect: float | None
    reason: Said | None


def _spread(values: FloatArray, changes: bool) -> tuple[float | None, float]:
    """The between-rep standard deviation of levels per period (or of changes between
    consecutive periods), pooled over periods, and the share of rep-periods with a value."""
    cells = np.diff(values, axis=1) if changes else values
    present = ~np.isnan(cells)
    share = float(present.mean()) if cells.size else 0.0
    variances = [
        np.var(col[~np.isnan(col)], ddof=1) for col in cells.T if (~np.isnan(col)).sum() > 2
    ]
    if not variances:
        return None, share
    return float(np.sqrt(np.mean(variances))), share


def detectable_effects(
    session: Session,
    treated_ids: Iterable[int],
    control_ids: Iterable[int],
    *,
    start: datetime,
    length: timedelta,
    randomised: bool,
) -> list[Detectable]:
    """For each of win rate, deal size and days to close, the smallest effect the comparison of
    these reps (kept in against held out, or participants against a comparison group) over a
    window of this length would detect, from the history of all of them before `start`."""
    treated, control = frozenset(treated_ids), frozenset(control_ids)
    spans = [
        Span(f"history {k}", start - k * length, start - (k - 1) * length)
        for k in range(HISTORY, 0, -1)
    ]
    panel = Panel.of(StudyRows(session, treated | control, spans))
    found = []
    for kpi in (k for k in CORE_KPIS if k.key in POWER_KPIS):
        sigma, share = _spread(kpi.value(panel), changes=not randomised)
        n_t, n_c = len(treated) * share, len(control) * share
        reason = _reason(kpi.name, len(treated), len(control), sigma, n_t, n_c)
        effect = None if reason or sigma is None else Z_SUM * sigma * np.sqrt(1 / n_t + 1 / n_c)
        found.append(Detectable(kpi.key, kpi.name, kpi.unit, effect, reason))
    return found


def _reason(
    name: str, treated: int, control: int, sigma: float | None, n_t: float, n_c: float
) -> Said | None:
    if control == 0:
        return said(N_("no comparison group: add a holdout, or include reps outside the audience"))
    if treated == 0:
        return said(N_("nobody would take part"))
    if sigma is None or min(n_t, n_c) < 1:
        return said(
            N_("too little history of %(kpi)s for these reps (no closed deals before the start)"),
            kpi=Lowered(name),
        )
    return None
