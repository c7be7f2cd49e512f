"""What a chart on a page shows, as data: the template macro `chart()` (templates/_chart.html)
writes it as a <figure> holding a table of the numbers, and js/charts.js draws that table with
Chart.js (vendored by `make assets`). The table stays in the page for screen readers and for
anyone who wants the figures, so a chart never holds a number the page does not say in words.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from flask_babel import gettext as _

from web.formats import number, translated

KINDS = ("bar", "hbar", "line", "scatter", "forest")


@dataclass(frozen=True)
class Cell:
    """One number: the raw value the script draws, and the words the table shows."""

    value: float | None
    shown: str

    @property
    def raw(self) -> str:
        return "" if self.value is None else repr(float(self.value))


@dataclass(frozen=True)
class Chart:
    """A chart's kind, caption, axis titles (with units), column headers and rows.

    kind: bar (columns per category), hbar (horizontal bars), line (series over periods),
    scatter (x, y per row), forest (estimate, low, high per row, zero marked).
    unit: how the value axis counts (currency, fraction, days, count, ratio), for its ticks.
    """

    kind: str
    caption: str
    x_title: str
    y_title: str
    unit: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, tuple[Cell, ...]], ...]

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown chart kind {self.kind!r}")


Formatter = Callable[[float | None], str]


def cells(
    values: Sequence[float | None], shown: Formatter | Sequence[Formatter]
) -> tuple[Cell, ...]:
    """Each value with its words; `shown` is one formatter for all, or one per column."""
    writers = [shown] * len(values) if callable(shown) else list(shown)
    return tuple(
        Cell(None if v is None else float(v), write(v))
        for v, write in zip(values, writers, strict=True)
    )


def chart(
    kind: str,
    caption: str,
    axes: tuple[str, str],
    unit: str,
    columns: Sequence[str],
    rows: Sequence[tuple[str, Sequence[float | None]]],
    shown: Formatter | Sequence[Formatter],
) -> Chart:
    """A chart from (label, values) rows, every value written for people by `shown`."""
    return Chart(
        kind=kind,
        caption=caption,
        x_title=axes[0],
        y_title=axes[1],
        unit=unit,
        columns=tuple(columns),
        rows=tuple((str(label), cells(values, shown)) for label, values in rows),
    )


def _count(value: float | None) -> str:
    return "" if value is None else number(round(value))


def revenue_trend(trend: Sequence[tuple[str, float | None]], shown: Formatter) -> Chart:
    """Revenue won per period (the KPI page's trend), as columns."""
    return chart(
        "bar", _("Revenue won per period"), (_("Period"), _("Revenue won (currency)")),
        "currency", (_("Period"), _("Revenue won")), [(label, (value,)) for label, value in trend],
        shown,
    )  # fmt: skip


def win_rate_trend(trend: Sequence[tuple[str, float | None]], shown: Formatter) -> Chart:
    """Win rate per period, as a line (a share, so the axis reads in percent)."""
    return chart(
        "line", _("Win rate per period"), (_("Period"), _("Win rate (%)")), "percent",
        (_("Period"), _("Win rate")), [(label, (value,)) for label, value in trend], shown,
    )  # fmt: skip


def stage_funnel(funnel: Sequence[tuple[str, int]]) -> Chart:
    """How many deals reached each stage, first stage on top (the stages the product names,
    such as "Prospecting", in the reader's language; a CRM's own as they are)."""
    rows = [(translated(stage) or stage, (count,)) for stage, count in funnel]
    return chart(
        "hbar", _("Stage funnel"), (_("Stage"), _("Deals (count)")), "count",
        (_("Stage"), _("Deals")), rows, _count,
    )  # fmt: skip


def mission_completion(steps: Sequence[tuple[str, int]], total: int) -> Chart:
    """How many of the `total` participants completed each mission, in the journey's order."""
    return chart(
        "hbar", _("Mission completion"),
        (_("Mission"), _("Participants who completed it (of %(total)s)", total=total)),
        "count", (_("Mission"), _("Completed")), [(name, (done,)) for name, done in steps], _count,
    )  # fmt: skip
