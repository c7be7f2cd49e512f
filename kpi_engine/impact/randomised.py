"""Randomisation inference: the interval a randomised holdout (or any small comparison) deserves.

When who took part was drawn at random (a holdout kept out at launch, drawn within strata), the
difference in means between the two arms is an unbiased estimate of the effect, and the draw
itself says how far chance alone could move it: re-draw the assignment many times, within the
same strata, and see where the observed difference falls. The 95 % interval is every effect τ
that such a test does not reject (Fisher's sharp null "each rep's value moved by τ"), so it is
honest with a handful of reps: with three against three no draw can reach p < 0.05 and the
interval is unbounded, which the report says ("too noisy to tell") instead of inventing
precision a bootstrap would show.

The statistic is linear in the outcome, so every τ of the grid is tested at once: for a
re-drawn assignment p, diff_p(y − τT) = diff_p(y) − τ · diff_p(T).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from kpi_engine.impact.bootstrap import LEVEL, FloatArray

DRAWS = 2000
GRID = 801
# How far each side of the estimate the grid of effects reaches, in null standard deviations;
# an interval touching the edge is reported as unbounded.
REACH = 8.0


@dataclass(frozen=True)
class PermutationInterval:
    """A difference in means with its randomisation-inference interval (None sides: unbounded
    or not computable) and the p-value of "no effect at all"."""

    estimate: float | None
    low: float | None
    high: float | None
    p_value: float | None
    n_treated: int
    n_control: int

    @property
    def excludes_zero(self) -> bool:
        if self.low is None or self.high is None:
            return False
        return self.low > 0 or self.high < 0


NONE = PermutationInterval(None, None, None, None, 0, 0)


def _redrawn(
    treated: NDArray[np.bool_], strata: NDArray[np.int64], rng: np.random.Generator, draws: int
) -> NDArray[np.bool_]:
    """`draws` assignments, each a shuffle of `treated` within every stratum (one per row)."""
    order = np.argsort(strata, kind="stable")
    keys = rng.random((draws, treated.size)) + strata[order][None, :]
    shuffled = treated[order][np.argsort(keys, axis=1)]
    result = np.empty_like(shuffled)
    result[:, order] = shuffled
    return result


def _differences(values: FloatArray, assigned: NDArray[np.bool_]) -> FloatArray:
    """mean over assigned minus mean over the others, per row of `assigned`."""
    ones = assigned.astype(np.float64)
    n_t = ones.sum(axis=1)
    n_c = values.size - n_t
    result: FloatArray = (ones @ values) / n_t - ((1 - ones) @ values) / n_c
    return result


def permutation_interval(
    values: FloatArray,
    treated: NDArray[np.bool_],
    strata: Sequence[int] | NDArray[np.int64] | None = None,
    *,
    rng: np.random.Generator,
    draws: int = DRAWS,
    level: float = LEVEL,
) -> PermutationInterval:
    """mean(values[treated]) − mean(values[~treated]) with the interval of effects a test by
    re-drawing the assignment within strata does not reject at 1 − level."""
    values = np.asarray(values, dtype=np.float64)
    treated = np.asarray(treated, dtype=bool)
    n_t, n_c = int(treated.sum()), int((~treated).sum())
    if n_t == 0 or n_c == 0:
        return PermutationInterval(None, None, None, None, n_t, n_c)
    codes = np.zeros(values.size, np.int64) if strata is None else np.asarray(strata, np.int64)
    estimate = float(values[treated].mean() - values[~treated].mean())
    redrawn = _redrawn(treated, codes, rng, draws)
    a, b = _differences(values, redrawn), _differences(treated.astype(np.float64), redrawn)
    spread = float(np.std(a)) or float(np.std(values)) or 1.0
    taus = estimate + np.linspace(-REACH, REACH, GRID) * spread
    half = (taus[1] - taus[0]) / 2
    # The largest p-value of any effect within half a step of each grid point (a draw extreme
    # anywhere in that cell counts): discrete KPIs tie often, and a tie exactly at the true
    # effect must not be lost between grid points, so the interval errs wide by a half step.
    slack = half * (1 + np.abs(b))[:, None] + 1e-12
    gap = np.abs(a[:, None] - taus[None, :] * b[:, None]) - np.abs(estimate - taus)[None, :]
    p = ((gap >= -slack).sum(axis=0) + 1) / (draws + 1)
    kept = taus[p > 1 - level]
    p_zero = (np.sum(np.abs(a) >= abs(estimate) - 1e-12) + 1) / (draws + 1)
    if kept.size == 0:
        return PermutationInterval(estimate, estimate, estimate, float(p_zero), n_t, n_c)
    low = None if kept[0] <= taus[0] else float(kept[0] - half)
    high = None if kept[-1] >= taus[-1] else float(kept[-1] + half)
    return PermutationInterval(estimate, low, high, float(p_zero), n_t, n_c)


def strata_codes(labels: Sequence[object]) -> NDArray[np.int64]:
    """Each label as a small integer, equal labels equal."""
    seen: dict[object, int] = {}
    return np.array([seen.setdefault(label, len(seen)) for label in labels], dtype=np.int64)
