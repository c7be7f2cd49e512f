"""Impact figures and the domain's impact sentences, written each supported locale's way: an
effect with its interval, a percentage, a warning built with its values."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask, render_template_string
from flask_babel import force_locale

from kpi_engine.impact.bootstrap import Interval
from kpi_engine.impact.estimates import REMEDY
from kpi_engine.words import N_, Lowered, said
from tests.conftest import make_app
from web.formats import kpi_value, written
from web.pages.impact_charts import forest_plot, format_value

NNBSP, NBSP = "\u202f", "\xa0"
INTERVAL = '{{ _("%(low)s to %(high)s", low=fmt(-0.0123, "fraction", signed=True), high=fmt(0.0567, "fraction", signed=True)) }}'  # noqa: E501


@pytest.fixture
def plain_app(tmp_path) -> Iterator[Flask]:
    application = make_app(f"sqlite:///{tmp_path / 'impact.db'}")
    with application.test_request_context():
        yield application


def test_an_effect_with_its_interval_in_french_and_english(plain_app: Flask) -> None:
    with force_locale("fr"):
        assert format_value(0.0346, "fraction", signed=True) == "+3,5 pts"
        assert format_value(1234.5, "currency", signed=True) == f"+1{NNBSP}234{NBSP}$US"
        assert format_value(-2.25, "days", signed=True) == "-2,2 j"
        assert render_template_string(INTERVAL, fmt=format_value) == "-1,2 pts à +5,7 pts"
    with force_locale("en"):
        assert format_value(0.0346, "fraction", signed=True) == "+3.5 pts"
        assert format_value(1234.5, "currency", signed=True) == "+$1,234"
        assert render_template_string(INTERVAL, fmt=format_value) == "-1.2 pts to +5.7 pts"


def test_money_is_in_the_organisations_currency_where_the_locale_puts_it(plain_app: Flask) -> None:
    plain_app.config["ORG_CURRENCY"] = "EUR"
    with force_locale("fr"):
        assert format_value(-8721.4, "currency", signed=True) == f"-8{NNBSP}721{NBSP}€"
        assert kpi_value(8721.4, "currency") == f"8{NNBSP}721{NBSP}€"
    with force_locale("en"):
        assert kpi_value(8721.4, "currency") == "€8,721"
        assert kpi_value(120, "currency_per_day") == "€120/d"


def test_a_share_of_the_audience_is_a_percentage_the_locale_way(plain_app: Flask) -> None:
    with force_locale("fr"):
        assert format_value(0.125, "fraction") == f"12,5{NBSP}%"
        assert render_template_string('{{ _("%(level)s interval", level=0.95 | percent(0)) }}') == (
            f"intervalle à 95{NBSP}%"
        )
    with force_locale("en"):
        assert format_value(0.125, "fraction") == "12.5%"
        assert render_template_string('{{ _("%(level)s interval", level=0.95 | percent(0)) }}') == (
            "95% interval"
        )


def test_a_domain_warning_is_written_with_its_numbers_in_the_readers_language(
    plain_app: Flask,
) -> None:
    warning = said(
        N_("too few reps to tell an effect on %(kpi)s from chance (the interval spans zero); "
           "%(remedy)s"),
        kpi=Lowered(N_("Win rate")), remedy=REMEDY,
    )  # fmt: skip
    placebo = said(
        N_("participants' %(kpi)s was already moving differently from the comparison group's "
           "before the challenge (placebo difference %(estimate)s, 99%% interval %(low)s to "
           "%(high)s), so no effect is claimed"),
        kpi=Lowered(N_("Days to close")), estimate=-1.2345, low=-2.5, high=-0.0123,
    )  # fmt: skip
    assert str(warning).startswith("too few reps to tell an effect on win rate from chance")
    with force_locale("fr"):
        assert written(warning).startswith("trop peu de commerciaux pour distinguer un effet sur "
                                           "taux de réussite du hasard")  # fmt: skip
        assert "une période plus longue" in written(warning)
        french = f"différence placebo -1,23, intervalle à 99{NBSP}% de -2,50 à -0,0123"
        assert french in written(placebo)
    with force_locale("en"):
        assert "placebo difference -1.23, 99% interval -2.50 to -0.0123" in written(placebo)


def test_a_forest_plot_writes_its_rows_and_titles_in_french(plain_app: Flask) -> None:
    with force_locale("fr"):
        chart = forest_plot([("Blitz", Interval(0.1, -0.02, 0.2))], "Taux de réussite", "fraction")
    assert chart.y_title == "Gain (points de pourcentage)"
    assert chart.columns == ("Challenge", "Estimation", f"borne basse à 95{NBSP}%",
                             f"borne haute à 95{NBSP}%")  # fmt: skip
    assert [cell.shown for cell in chart.rows[0][1]] == ["+10,0 pts", "-2,0 pts", "+20,0 pts"]
