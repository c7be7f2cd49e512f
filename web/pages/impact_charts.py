"""The impact pages' charts as data (web.pages.charts.Chart): drawn by Chart.js in the browser
from the table each chart keeps for screen readers. Values are written by format_value, in the
reader's language and number formats."""

from __future__ import annotations

from collections.abc import Sequence

from flask_babel import gettext as _

from kpi_engine.impact.bootstrap import Interval
from kpi_engine.impact.estimates import GroupMeans
from web.csv_export import unit_label
from web.formats import number, org_amount, percent, translated
from web.pages.charts import Chart, chart


def format_value(value: float | None, unit: str, *, signed: bool = False) -> str:
    """A KPI value for people: fractions as percent (percentage points when signed), money,
    days, counts (averages of them, so one decimal) and ratios."""
    if value is None:
        return _("no data")
    sign = "+" if signed and value > 0 else ""
    if unit == "fraction":
        if signed:
            return _("%(value)s pts", value=sign + number(value * 100, 1))
        return percent(value)
    if unit == "days":
        return _("%(value)s d", value=sign + number(value, 1))
    if unit == "currency":
        return sign + org_amount(value)
    digits = {"count": 1, "ratio": 2}.get(unit, 0)
    return sign + number(value, digits)


def _per_unit(name: str, unit: str, *, points: bool = False) -> str:
    return _("%(name)s (%(unit)s)", name=name, unit=unit_label(unit, points=points))


def before_during_chart(series: Sequence[GroupMeans], unit: str, name: str) -> Chart:
    """Each group's mean per period, as two lines: parallel before, apart during = an effect."""
    return chart(
        "line", name, (_("Period"), _per_unit(_("Mean per rep"), unit)), unit,
        (_("Period"), _("Participants"), _("Comparison group")),
        [(translated(g.period) or "", (g.participants, g.control)) for g in series],
        lambda v: format_value(v, unit),
    )  # fmt: skip


def forest_plot(rows: Sequence[tuple[str, Interval]], name: str, unit: str = "count") -> Chart:
    """One row per challenge: the estimate as a dot, its 95 % interval as a bar, zero marked."""
    return chart(
        "forest", name, (_("Challenge"), _per_unit(_("Uplift"), unit, points=True)),
        unit, (_("Challenge"), _("Estimate"), _("%(level)s low", level=percent(0.95, 0)),
               _("%(level)s high", level=percent(0.95, 0))),
        [(label, (i.estimate, i.low, i.high)) for label, i in rows],
        lambda v: _("not measurable") if v is None else format_value(v, unit, signed=True),
    )  # fmt: skip


def scatter_chart(points: Sequence[tuple[float, float]], kpi: str, unit: str = "count") -> Chart:
    """Missions completed (x) against the change in a KPI (y), one dot per participant."""
    missions, change = _("Missions completed"), _("Change in %(kpi)s", kpi=kpi.lower())
    return chart(
        "scatter", _("%(y)s against %(x)s", y=change, x=missions.lower()),
        (missions, _per_unit(_("Change"), unit, points=True)), unit,
        (_("Participant"), missions, change),
        [(f"#{n}", (x, y)) for n, (x, y) in enumerate(points, start=1)],
        (lambda v: format_value(v, "count"), lambda v: format_value(v, unit, signed=True)),
    )  # fmt: skip
