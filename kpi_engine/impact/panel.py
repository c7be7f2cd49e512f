"""Per-rep, per-span values of the KPIs impact analytics measures.

The sales rows of the reps under study are read once over all the spans, with the filters in SQL
(kpi_engine.sales.dataframes), each kind of row on first use. The four core KPIs are numpy over
those rows (one bincount per measure), so a challenge over 100 reps and 20,000 deals takes
milliseconds once the rows are read; any other KPI of the registry is its own formula over each
rep's frames (kpi_engine.impact.kpi_values).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from sqlalchemy.orm import Session

from kpi_engine.sales.dataframes import (
    DEAL_COLUMNS,
    days_around,
    load_activities,
    load_deals,
    load_stages_reached,
)
from kpi_engine.words import N_, Said

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class Span:
    """A half-open period [start, end) in aware UTC datetimes, with its role in the study."""

    label: str
    start: datetime
    end: datetime


class StudyRows:
    """The deals, activities and stage changes of the reps under study over all the spans,
    each read from SQL on first use (a study of deal KPIs never reads activities).

    A challenge's spans are instants, so its deals are placed in them by the instant recorded
    for each fact (a date-only one at noon of its day in the zone it was imported under); SQL
    reads the calendar days around the spans and the spans cut the rest."""

    def __init__(self, session: Session, rep_ids: Iterable[int], spans: Sequence[Span]) -> None:
        self.session = session
        self.rep_ids = tuple(sorted(set(rep_ids)))
        self.spans = tuple(spans)
        self.start, self.end = spans[0].start, spans[-1].end

    @cached_property
    def deals(self) -> pd.DataFrame:
        first, last = days_around(self.start, self.end)
        return load_deals(self.session, self.rep_ids, first, last, DEAL_COLUMNS)

    @cached_property
    def activities(self) -> pd.DataFrame:
        return load_activities(self.session, self.rep_ids, self.start, self.end)

    @cached_property
    def stages_reached(self) -> pd.DataFrame:
        owner = ("owner_id", "created_at")
        first, last = days_around(self.start, self.end)
        return load_stages_reached(self.session, self.rep_ids, first, last, owner)

    def column(self, label: str) -> int:
        return [s.label for s in self.spans].index(label)


@dataclass(frozen=True)
class KpiCells:
    """One KPI per rep (rows, in rep_ids order) and span (columns, in spans order): its value,
    NaN where the rep has none, and how many records (deals or activities) lie behind it."""

    key: str
    name: str
    unit: str
    better: str
    value: FloatArray
    records: FloatArray
    records_are: str = "deals"
    # Why no rep can have a value at all (a KPI that needs a manager's inputs, say).
    unmeasurable: Said | None = None


def _seconds(moments: pd.Series) -> FloatArray:
    """Seconds since 1970 of each timestamp."""
    micros = moments.dt.as_unit("us").astype("int64").to_numpy()
    return micros.astype(np.float64) / 1e6


@dataclass(frozen=True)
class Panel:
    """Sums of the reps' closed deals per rep (rows) and span (columns); `timed` counts the won
    deals with a start date, over which `won_days` (whole calendar days to close) is summed."""

    closed: FloatArray
    won: FloatArray
    won_amount: FloatArray
    won_days: FloatArray
    timed: FloatArray

    @classmethod
    def of(cls, rows: StudyRows) -> Panel:
        """The won/lost deals of the study's reps closed inside its spans, summed per cell."""
        d = rows.deals
        closed = d["status"].isin(("won", "lost")) & (d["closed_at"] >= rows.start)
        d = d[closed & (d["closed_at"] < rows.end)]
        closed_ts = _seconds(d["closed_at"])
        won = (d["status"] == "won").to_numpy()
        amounts = np.nan_to_num(d["amount"].to_numpy(dtype=np.float64)) * won
        began = d["engaged_on"].fillna(d["created_on"])
        timed = won & began.notna().to_numpy()
        cycle = (d["closed_on"] - began).dt.days.to_numpy(dtype=np.float64, na_value=0.0)
        days = np.where(timed, cycle, 0.0)
        bounds = _seconds(pd.Series([s.start for s in rows.spans] + [rows.end]))
        span_index = np.searchsorted(bounds, closed_ts, side="right") - 1
        owner = d["owner_id"].to_numpy(dtype=np.int64)
        cell = np.searchsorted(rows.rep_ids, owner) * len(rows.spans) + span_index
        shape = (len(rows.rep_ids), len(rows.spans))

        def total(weights: FloatArray) -> FloatArray:
            sums = np.bincount(cell, weights=weights, minlength=shape[0] * shape[1])
            return sums.reshape(shape).astype(np.float64)

        return cls(total(np.ones(won.size)), total(won.astype(np.float64)), total(amounts),
                   total(days), total(timed.astype(np.float64)))  # fmt: skip


@dataclass(frozen=True)
class CoreKpi:
    """A KPI measured straight from the panel: its per-rep value and the deals behind it."""

    key: str
    name: str
    unit: str
    better: str
    value: Callable[[Panel], FloatArray]
    deals: Callable[[Panel], FloatArray]

    def cells(self, panel: Panel) -> KpiCells:
        return KpiCells(
            self.key, self.name, self.unit, self.better, self.value(panel), self.deals(panel)
        )


def _ratio(numerator: FloatArray, denominator: FloatArray) -> FloatArray:
    """numerator / denominator, NaN where there is nothing to divide by (no data is not 0)."""
    result = np.full(numerator.shape, np.nan)
    np.divide(numerator, denominator, out=result, where=denominator > 0)
    return result


CORE_KPIS: tuple[CoreKpi, ...] = (
    CoreKpi(
        "win_rate", N_("Win rate"), "fraction", "higher", lambda p: _ratio(p.won, p.closed),
        lambda p: p.closed,
    ),
    CoreKpi(
        "avg_deal_size", N_("Average deal size"), "currency", "higher",
        lambda p: _ratio(p.won_amount, p.won), lambda p: p.won,
    ),
    CoreKpi(
        "days_to_close", N_("Days to close"), "days", "lower",
        lambda p: _ratio(p.won_days, p.timed), lambda p: p.timed,
    ),
    CoreKpi(
        "revenue_won", N_("Revenue won per rep"), "currency", "higher",
        lambda p: p.won_amount, lambda p: p.won,
    ),
)  # fmt: skip
