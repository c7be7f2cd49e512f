"""Server-rendered inline SVG for the impact pages: no chart library, no script, no CDN.

Every label goes through markupsafe.escape; coordinates are numbers we computed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

from kpi_engine.impact.bootstrap import Interval
from kpi_engine.impact.estimates import GroupMeans

WIDTH, HEIGHT, PAD = 320, 180, 36
GROUP_COLOURS = {"participants": "#1f6feb", "comparison": "#8b949e"}


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


@dataclass(frozen=True)
class _Scale:
    """Maps the data range [low, high] onto pixels [start, end] (end may be below start)."""

    low: float
    high: float
    start: float
    end: float

    @classmethod
    def over(cls, values: Sequence[float], start: float, end: float) -> _Scale:
        low, high = (min(values), max(values)) if values else (0.0, 1.0)
        margin = (high - low) * 0.08 or abs(high) * 0.1 or 1.0
        return cls(low - margin, high + margin, start, end)

    def __call__(self, value: float) -> float:
        share = (value - self.low) / (self.high - self.low)
        return round(self.start + share * (self.end - self.start), 1)


def _svg(body: str, label: str, height: int = HEIGHT) -> Markup:
    # Safe: every text in `body` went through _text (escaped); the rest are our own numbers.
    return Markup(  # noqa: S704
        f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" role="img" '
        f'aria-label="{escape(label)}" xmlns="http://www.w3.org/2000/svg">{body}</svg>'
    )


def _text(x: float, y: float, words: str, anchor: str = "middle", cls: str = "") -> str:
    return (
        f'<text x="{x}" y="{y}" text-anchor="{anchor}" class="{cls}" '
        f'font-size="10">{escape(words)}</text>'
    )


def before_during_chart(series: Sequence[GroupMeans], unit: str, title: str) -> Markup:
    """Each group's mean per period, as two lines: parallel before, apart during = an effect."""
    values = [v for g in series for v in (g.participants, g.control) if v is not None]
    y = _Scale.over(values, HEIGHT - PAD, 12)
    step = (WIDTH - 2 * PAD) / max(len(series) - 1, 1)
    xs = [round(PAD + i * step, 1) for i in range(len(series))]
    body = [_text(x, HEIGHT - 8, g.period) for x, g in zip(xs, series, strict=True)]
    for name, attr in (("participants", "participants"), ("comparison", "control")):
        points = [
            (x, y(v))
            for x, g in zip(xs, series, strict=True)
            if (v := getattr(g, attr)) is not None
        ]
        colour = GROUP_COLOURS[name]
        path = " ".join(f"{px},{py}" for px, py in points)
        body.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>')
        body += [f'<circle cx="{px}" cy="{py}" r="3" fill="{colour}"/>' for px, py in points]
    body.append(_text(4, 10, f"{y.high:.3g} .. {y.low:.3g} ({unit})", "start", "axis"))
    return _svg("".join(body), title)


def forest_plot(rows: Sequence[tuple[str, Interval]], title: str) -> Markup:
    """One row per challenge: the estimate as a dot, its 95 % interval as a bar, zero marked."""
    height = 24 * len(rows) + 30
    values = [v for _, i in rows for v in (i.low, i.high, i.estimate) if v is not None] + [0.0]
    x = _Scale.over(values, 130, WIDTH - 12)
    body = [f'<line x1="{x(0)}" y1="6" x2="{x(0)}" y2="{height - 18}" class="zero" stroke="#444"/>']
    for n, (label, interval) in enumerate(rows):
        cy = 20 + 24 * n
        body.append(_text(4, cy + 3, label[:22], "start"))
        if interval.estimate is None or interval.low is None or interval.high is None:
            body.append(_text(x(0) + 6, cy + 3, "not measurable", "start", "muted"))
            continue
        body.append(
            f'<line x1="{x(interval.low)}" y1="{cy}" x2="{x(interval.high)}" y2="{cy}" '
            'stroke="#1f6feb" stroke-width="2"/>'
            f'<circle cx="{x(interval.estimate)}" cy="{cy}" r="4" fill="#1f6feb"/>'
        )
    body.append(_text(x(0), height - 4, "0"))
    return _svg("".join(body), title, height)


def scatter_chart(points: Sequence[tuple[float, float]], x_label: str, y_label: str) -> Markup:
    """Participation (x) against the change in a KPI (y), one dot per participant."""
    x = _Scale.over([p[0] for p in points], PAD, WIDTH - 12)
    y = _Scale.over([p[1] for p in points], HEIGHT - PAD, 12)
    body = [
        f'<circle cx="{x(px)}" cy="{y(py)}" r="3" fill="#1f6feb" opacity="0.7"/>'
        for px, py in points
    ]
    body.append(_text(WIDTH / 2, HEIGHT - 6, x_label))
    body.append(_text(4, 10, y_label, "start", "axis"))
    return _svg("".join(body), f"{y_label} against {x_label}")
