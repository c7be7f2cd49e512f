"""The parts of the visual system that work without a browser: the icon helper, the icon sprite
builder, and the chart macro that writes every chart's numbers as a table."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import Flask, render_template_string

from kpi_engine.impact.bootstrap import Interval
from web import icon_sprite
from web.pages.charts import revenue_trend
from web.pages.impact_charts import forest_plot

CHART = '{% from "_chart.html" import chart %}{{ chart(c) }}'


def test_an_icon_is_a_use_of_the_vendored_sprite_hidden_from_screen_readers(app: Flask) -> None:
    with app.test_request_context():
        html = render_template_string("{{ icon('trophy') }}{{ icon('flag', label='Live <now>') }}")
    assert '<use href="/static/vendor/icons.svg#trophy"/>' in html
    assert 'aria-hidden="true"' in html
    assert 'role="img" aria-label="Live &lt;now&gt;"' in html


def test_an_icon_name_that_could_break_out_of_the_markup_is_refused(app: Flask) -> None:
    with app.test_request_context(), pytest.raises(ValueError, match="not an icon name"):
        render_template_string("""{{ icon('x" onload="alert(1)') }}""")


def test_the_sprite_holds_every_icon_the_templates_name(tmp_path: Path, monkeypatch) -> None:
    names = icon_sprite.used_icons()
    assert {"trophy", "users", "log-out", "table"} <= set(names)
    monkeypatch.setattr(icon_sprite, "TARGET", tmp_path / "icons.svg")
    sprite = icon_sprite.build().read_text(encoding="utf-8")
    assert set(re.findall(r'<symbol id="([^"]+)"', sprite)) == set(names)
    assert "<path" in sprite and 'stroke="currentColor"' in sprite


def test_a_template_asking_for_an_icon_lucide_lacks_stops_the_build(monkeypatch) -> None:
    monkeypatch.setattr(icon_sprite, "used_icons", lambda: ["trophy", "no-such-icon"])
    with pytest.raises(SystemExit, match="no-such-icon"):
        icon_sprite.build()


def test_a_chart_keeps_its_numbers_as_a_table_with_titled_axes(app: Flask) -> None:
    trend = [("2026-Q3", 1500.0), ("2026-Q4", None)]
    with app.test_request_context():
        html = render_template_string(CHART, c=revenue_trend(trend, lambda v: f"{v or 0:,.0f}"))
    assert 'data-kind="bar"' in html and 'data-x-title="Period"' in html
    assert 'data-y-title="Revenue won (currency)"' in html and "<canvas" in html
    assert '<th scope="row">2026-Q3</th><td class="num" data-value="1500.0">1,500</td>' in html
    assert '<td class="num" data-value="">0</td>' in html  # no value: nothing drawn


def test_the_forest_plot_writes_each_interval_and_says_when_one_is_not_measurable(
    app: Flask,
) -> None:
    rows = [("Blitz <b>", Interval(0.1, -0.02, 0.2)), ("Quiet", Interval(None, None, None))]
    chart = forest_plot(rows, "Win rate", "fraction")
    with app.test_request_context():
        html = render_template_string(CHART, c=chart)
    assert chart.caption == "Win rate" and chart.kind == "forest"
    assert "Blitz &lt;b&gt;" in html and "<b>" not in html
    assert ">+10.0 pts<" in html and ">-2.0 pts<" in html and ">+20.0 pts<" in html
    assert html.count(">not measurable<") == 3
    assert 'data-y-title="Uplift (percentage points)"' in html
