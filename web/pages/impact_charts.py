"""The impact pages' charts as data (web.pages.charts.Chart): drawn by Chart.js in the browser
from the table each chart keeps for screen readers. Values are written by format_value."""

from __future__ import annotations

from collections.abc import Sequence

from kpi_engine.impact.bootstrap import Interval
from kpi_engine.impact.estimates import GroupMeans
from web.csv_export import unit_label
from web.pages.charts import Chart, chart


def format_value(value: float | None, unit: str, *, signed: bool = False) -> str:
    """A KPI value for people: fractions as percent (points when signed), money, days, counts
    (averages of them, so one decimal) and ratios."""
    if value is None:
        return "no data"
    sign = "+" if signed and value > 0 else ""
    if unit == "fraction":
        return f"{sign}{value * 100:.1f}{' pts' if signed else ' %'}"
    if unit == "days":
        return f"{sign}{value:.1f} d"
    if unit == "count":
        return f"{sign}{value:,.1f}"
    if unit == "ratio":
        return f"{sign}{value:.2f}"
    return f"{sign}{value:,.0f}"


def _per_unit(name: str, unit: str, *, points: bool = False) -> str:
    return f"{name} ({unit_label(unit, points=points)})"


def before_during_chart(series: Sequence[GroupMeans], unit: str, title: str) -> Chart:
    """Each group's mean per period, as two lines: parallel before, apart during = an effect."""
    name = title.removesuffix(" before and during")
    return chart(
        "line", name, ("Period", _per_unit("Mean per rep", unit)), unit,
        ("Period", "Participants", "Comparison group"),
        [(g.period, (g.participants, g.control)) for g in series],
        lambda v: format_value(v, unit),
    )  # fmt: skip


def forest_plot(rows: Sequence[tuple[str, Interval]], title: str, unit: str = "count") -> Chart:
    """One row per challenge: the estimate as a dot, its 95 % interval as a bar, zero marked."""
    name = title.removesuffix(" uplift per challenge")
    return chart(
        "forest", name, ("Challenge", _per_unit("Uplift", unit, points=True)),
        unit, ("Challenge", "Estimate", "95 % low", "95 % high"),
        [(label, (i.estimate, i.low, i.high)) for label, i in rows],
        lambda v: "not measurable" if v is None else format_value(v, unit, signed=True),
    )  # fmt: skip


def scatter_chart(
    points: Sequence[tuple[float, float]], x_label: str, y_label: str, unit: str = "count"
) -> Chart:
    """Participation (x) against the change in a KPI (y), one dot per participant."""
    return chart(
        "scatter", f"{y_label} against {x_label}".capitalize(),
        (x_label.capitalize(), _per_unit("Change", unit, points=True)), unit,
        ("Participant", x_label.capitalize(), y_label.capitalize()),
        [(f"#{n}", (x, y)) for n, (x, y) in enumerate(points, start=1)],
        (lambda v: format_value(v, "count"), lambda v: format_value(v, unit, signed=True)),
    )  # fmt: skip
