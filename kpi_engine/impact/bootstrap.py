"""The statistics behind impact analytics: bootstrap intervals over reps, vectorised with numpy.

Reps, not deals, are the unit that is resampled: a rep's deals share the rep's skill, territory
and luck, so resampling deals would pretend to know more than the data says.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.stats import rankdata

DRAWS = 2000
SEED = 20261122
LEVEL = 0.95

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class Interval:
    """A point estimate with its percentile bootstrap interval (None when not computable)."""

    estimate: float | None
    low: float | None
    high: float | None

    @property
    def excludes_zero(self) -> bool:
        if self.low is None or self.high is None:
            return False
        return self.low > 0 or self.high < 0


NO_INTERVAL = Interval(None, None, None)


def new_rng(seed: int = SEED, stream: str = "") -> np.random.Generator:
    """A generator with a fixed seed, so the same data always gives the same interval; a named
    stream (a KPI's key) draws apart from every other, whatever else is measured beside it."""
    return np.random.default_rng([seed, *stream.encode()] if stream else seed)


def _percentiles(draws: FloatArray, level: float = LEVEL) -> tuple[float | None, float | None]:
    finite = draws[np.isfinite(draws)]
    if finite.size == 0:
        return None, None
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(finite, [tail, 100 - tail])
    return float(low), float(high)


def _resampled_means(values: FloatArray, rng: np.random.Generator, draws: int) -> FloatArray:
    """The mean of `draws` resamples (with replacement) of `values`, one per row."""
    picks = rng.integers(0, values.size, size=(draws, values.size))
    result: FloatArray = values[picks].mean(axis=1)
    return result


def difference_of_means(
    treated: FloatArray,
    control: FloatArray,
    rng: np.random.Generator,
    draws: int = DRAWS,
    level: float = LEVEL,
) -> Interval:
    """mean(treated) − mean(control), with a bootstrap interval resampling each group apart.

    Fed with per-rep changes (during − before) this is the difference in differences; fed with
    per-rep levels it is the naive difference.
    """
    if treated.size == 0 or control.size == 0:
        return NO_INTERVAL
    estimate = float(treated.mean() - control.mean())
    boot = _resampled_means(treated, rng, draws) - _resampled_means(control, rng, draws)
    low, high = _percentiles(boot, level)
    return Interval(estimate, low, high)


def _weighted_row_pearson(x: FloatArray, y: FloatArray, weights: FloatArray) -> FloatArray:
    """Pearson's r of x and y in each row, each column counted `weights` times (NaN when a row
    is constant)."""
    total = weights.sum(axis=1, keepdims=True)
    xc = x - (weights * x).sum(axis=1, keepdims=True) / total
    yc = y - (weights * y).sum(axis=1, keepdims=True) / total
    spread = (weights * xc * xc).sum(axis=1) * (weights * yc * yc).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        result: FloatArray = (weights * xc * yc).sum(axis=1) / np.sqrt(spread)
    return result


def _resample_counts(size: int, rng: np.random.Generator, draws: int) -> FloatArray:
    """How many times each of `size` items is picked in each of `draws` resamples."""
    picks = rng.integers(0, size, size=(draws, size)) + size * np.arange(draws)[:, None]
    counts = np.bincount(picks.ravel(), minlength=draws * size).reshape(draws, size)
    return counts.astype(np.float64)


def _ranks_in_resamples(values: FloatArray, counts: FloatArray) -> FloatArray:
    """The average rank each item would get in each resample (copies of an item are ties),
    computed from the counts without sorting every resample."""
    order = np.argsort(values, kind="stable")
    ordered = values[order]
    first_of_value = np.r_[True, ordered[1:] != ordered[:-1]]
    starts, group = np.flatnonzero(first_of_value), np.cumsum(first_of_value) - 1
    in_group = np.add.reduceat(counts[:, order], starts, axis=1)
    below = np.cumsum(in_group, axis=1) - in_group
    ranks = np.empty_like(counts)
    ranks[:, order] = below[:, group] + (in_group[:, group] + 1) / 2
    return ranks


def spearman(
    x: FloatArray, y: FloatArray, rng: np.random.Generator, draws: int = DRAWS
) -> Interval:
    """Spearman's rank correlation of x and y with a bootstrap interval over pairs (reps)."""
    if x.size < 3 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return NO_INTERVAL
    once = np.ones((1, x.size))
    rho = _weighted_row_pearson(rankdata(x)[None, :], rankdata(y)[None, :], once)[0]
    counts = _resample_counts(x.size, rng, draws)
    ranks_x, ranks_y = _ranks_in_resamples(x, counts), _ranks_in_resamples(y, counts)
    low, high = _percentiles(_weighted_row_pearson(ranks_x, ranks_y, counts))
    return Interval(float(rho), low, high)
