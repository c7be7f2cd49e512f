"""The difference in differences with overlap controlled: when some reps spent part of the window
in another challenge, each rep's change is regressed on taking part in this one and on the share
of the window spent in another (ordinary least squares), so the other challenge's effect lands on
its own coefficient instead of this challenge's. The interval is a bootstrap over reps (each group
resampled apart), the regression solved for every resample at once."""

from __future__ import annotations

import numpy as np

from kpi_engine.impact.bootstrap import LEVEL, FloatArray, Interval, _percentiles, _resample_counts


def adjusted_difference(
    treated: FloatArray,
    treated_exposure: FloatArray,
    control: FloatArray,
    control_exposure: FloatArray,
    rng: np.random.Generator,
    draws: int,
    level: float = LEVEL,
) -> Interval | None:
    """The effect of taking part with the other challenges' exposure held equal, and its
    interval; None when the two cannot be told apart (exposure follows taking part exactly)."""
    y = np.r_[treated, control]
    design = np.column_stack(
        [np.ones(y.size), np.r_[np.ones(treated.size), np.zeros(control.size)],
         np.r_[treated_exposure, control_exposure]]
    )  # fmt: skip
    if np.linalg.matrix_rank(design) < 3:
        return None
    estimate = float(np.linalg.lstsq(design, y, rcond=None)[0][1])
    if draws <= 0:
        return Interval(estimate, None, None)
    weights = np.hstack(
        [_resample_counts(treated.size, rng, draws), _resample_counts(control.size, rng, draws)]
    )
    gram = np.einsum("dn,ni,nj->dij", weights, design, design)
    moments = np.einsum("dn,ni,n->di", weights, design, y)
    solvable = np.abs(np.linalg.det(gram)) > 1e-9
    effects = np.full(draws, np.nan)
    effects[solvable] = np.linalg.solve(gram[solvable], moments[solvable][..., None])[:, 1, 0]
    low, high = _percentiles(effects, level)
    return Interval(estimate, low, high)
