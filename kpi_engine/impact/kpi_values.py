"""Any KPI of the registry, per rep and span, for impact analytics.

A rep's value of a KPI over a span is the KPI's own formula (kpi_engine.kpis.registry) over that
rep's frames for that span, sliced from the rows read once for the whole study. A KPI that needs a
manager's inputs (a quota, costs, a forecast) or that means nothing for one rep comes back with
the reason instead of numbers.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from kpi_engine.impact.panel import KpiCells, Span, StudyRows
from kpi_engine.kpis.registry import REGISTRY, KpiDefinition, Measure
from kpi_engine.periods import Period
from kpi_engine.sales.dataframes import Frames, Scope
from kpi_engine.words import N_, Said, said

# Inputs are entered per scope and period (a quarter's quota for a team), never per rep over a
# challenge's own windows, so a KPI that needs one has no per-rep value to compare.
_INPUTS = said(
    N_("which a manager enters per scope and period, not per rep over a challenge's windows")
)
NOT_PER_REP: dict[str, Said] = {
    "quota_attainment": said(N_("it needs a quota, %(inputs)s"), inputs=_INPUTS),
    "cac": said(N_("it needs marketing and sales costs, %(inputs)s"), inputs=_INPUTS),
    "ltv": said(N_("it needs the churned customers, %(inputs)s"), inputs=_INPUTS),
    "ltv_to_cac": said(N_("it needs costs and churned customers, %(inputs)s"), inputs=_INPUTS),
    "churn_rate": said(N_("it needs the churned customers, %(inputs)s"), inputs=_INPUTS),
    "forecast_accuracy": said(N_("it needs a forecast, %(inputs)s"), inputs=_INPUTS),
    "tool_adoption": said(N_("it is the share of a group's reps who logged an activity, which "
                             "for one rep is only ever all or nothing")),
}  # fmt: skip
# The impact vocabulary calls a rate a fraction (0.12 is twelve points).
UNITS = {"percent": "fraction"}


@dataclass(frozen=True)
class _SpanPeriod(Period):
    """A study span in the shape KPI formulas read: its exact bounds, not whole days."""

    exact_start: datetime
    exact_end: datetime

    @property
    def start(self) -> datetime:
        return self.exact_start

    @property
    def end(self) -> datetime:
        return self.exact_end


def _period(span: Span) -> Period:
    last = (span.end - timedelta(microseconds=1)).date()
    return _SpanPeriod(span.label, span.start.date(), last, "UTC", span.start, span.end)


def _alive(deals: pd.DataFrame, span: Span) -> pd.Series:
    """Deals alive at some point of the span, as sales.dataframes.load_deals reads them."""
    closed = deals["closed_at"]
    return (deals["created_at"] < span.end) & (closed.isna() | (closed >= span.start))


def _within(column: str) -> Callable[[pd.DataFrame, Span], pd.Series]:
    def inside(frame: pd.DataFrame, span: Span) -> pd.Series:
        return (frame[column] >= span.start) & (frame[column] < span.end)

    return inside


class _ByRep:
    """A frame sorted by rep, so that one rep's rows in one span are a numpy mask over a
    contiguous range: a few microseconds per cell where pandas filters take a millisecond."""

    def __init__(
        self, frame: pd.DataFrame, rep_column: str, in_span: Callable[[pd.DataFrame, Span], Any]
    ) -> None:
        self.frame = frame.sort_values(rep_column, kind="stable")
        self.reps = self.frame[rep_column].to_numpy()
        self.in_span = in_span
        self.masks: dict[str, NDArray[np.bool_]] = {}

    def rows(self, rep: int, span: Span) -> pd.DataFrame:
        if span.label not in self.masks:
            self.masks[span.label] = np.asarray(self.in_span(self.frame, span), dtype=bool)
        first, last = (
            np.searchsorted(self.reps, rep, "left"),
            np.searchsorted(self.reps, rep, "right"),
        )
        return self.frame.take(first + np.flatnonzero(self.masks[span.label][first:last]))


class _Slices:
    """The study's rows, each kind sorted by rep on first use."""

    def __init__(self, rows: StudyRows) -> None:
        self.rows = rows

    @cached_property
    def deals(self) -> _ByRep:
        return _ByRep(self.rows.deals, "owner_id", _alive)

    @cached_property
    def activities(self) -> _ByRep:
        return _ByRep(self.rows.activities, "rep_id", _within("occurred_at"))

    @cached_property
    def stages_reached(self) -> _ByRep:
        return _ByRep(self.rows.stages_reached, "owner_id", _within("created_at"))


class _RepFrames(Frames):
    """One rep's frames for one span, cut from the study's rows on first use."""

    def __init__(self, slices: _Slices, rep: int, span: Span) -> None:
        super().__init__(slices.rows.session, Scope("rep", str(rep)), _period(span), {}, span.end)
        self.slices, self.rep, self.span = slices, rep, span

    @cached_property
    def deals(self) -> pd.DataFrame:
        return self.slices.deals.rows(self.rep, self.span)

    @cached_property
    def activities(self) -> pd.DataFrame:
        return self.slices.activities.rows(self.rep, self.span)

    @cached_property
    def stages_reached(self) -> pd.DataFrame:
        return self.slices.stages_reached.rows(self.rep, self.span)

    def within(self, deals: pd.DataFrame, fact: str) -> pd.Series:
        """By the fact's instant, as the study places deals in its spans (panel.StudyRows)."""
        return _within(f"{fact}_at")(deals, self.span)

    def after(self, deals: pd.DataFrame, fact: str) -> pd.Series:
        return deals[f"{fact}_at"] >= self.span.end

    def records(self, measure: Measure) -> tuple[str, int]:
        """What the formula read, and how many of them: its activities, or its deals (as many
        as the measure says it rests on, when it says so)."""
        read = self.__dict__
        if "activities" in read:
            return "activities", len(read["activities"])
        if "n" in measure.extra:
            return "deals", int(measure.extra["n"])
        if "stages_reached" in read:
            return "deals", int(read["stages_reached"]["deal_id"].nunique())
        return "deals", len(read.get("deals", ()))


def _value(kpi: KpiDefinition, measure: Measure) -> float:
    """The measure as a number, NaN for no data; a sum over nothing is 0 for a rep known to be
    in the study (as revenue won per rep is), so a rep who logged no call counts 0 calls."""
    if measure.value is not None:
        return measure.value
    return 0.0 if kpi.additive else np.nan


def impact_name(kpi: KpiDefinition) -> str:
    """The KPI's name in an impact table: a sum is compared per rep."""
    return said(N_("%(kpi)s per rep"), kpi=said(kpi.name)) if kpi.additive else kpi.name


def registry_cells(rows: StudyRows, key: str) -> KpiCells:
    """The registry KPI `key` per rep and span: its formula over each rep's frames."""
    kpi = REGISTRY[key]
    shape = (len(rows.rep_ids), len(rows.spans))
    unit = UNITS.get(kpi.unit, kpi.unit)
    blank = KpiCells(key, impact_name(kpi), unit, kpi.direction, np.full(shape, np.nan),
                     np.zeros(shape))  # fmt: skip
    if key in NOT_PER_REP:
        why = said(N_("%(kpi)s is not measurable per rep: %(why)s"), kpi=kpi.name,
                   why=NOT_PER_REP[key])  # fmt: skip
        return replace(blank, unmeasurable=why)
    cells, reasons = _measured(kpi, rows, blank)
    if np.isnan(cells.value).all():
        reason = reasons.most_common(1)[0][0] if reasons else N_("no rep has data")
        why = said(N_("%(kpi)s has no data for any rep: %(why)s"), kpi=kpi.name, why=reason)
        return replace(blank, unmeasurable=why)
    return cells


def _measured(
    kpi: KpiDefinition, rows: StudyRows, blank: KpiCells
) -> tuple[KpiCells, Counter[str]]:
    """The formula over every rep and span, and how often each reason for no data came up."""
    slices, reasons = _Slices(rows), Counter[str]()
    value, records, kinds = blank.value.copy(), blank.records.copy(), set()
    for i, rep in enumerate(rows.rep_ids):
        for j, span in enumerate(rows.spans):
            frames = _RepFrames(slices, rep, span)
            measure = kpi.formula(frames)
            value[i, j] = _value(kpi, measure)
            kind, records[i, j] = frames.records(measure)
            kinds.add(kind)
            if measure.value is None and measure.reason:
                reasons[measure.reason] += 1
    records_are = "activities" if kinds == {"activities"} else "deals"
    return replace(blank, value=value, records=records, records_are=records_are), reasons
