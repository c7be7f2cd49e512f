"""Amounts, percentages, dates, times and time left, written each supported locale's way."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from flask import Flask
from flask_babel import force_locale

from tests.conftest import make_app
from web import formats

NNBSP, NBSP = "\u202f", "\xa0"  # French groups thousands with a narrow no-break space


@pytest.fixture
def plain_app(tmp_path) -> Iterator[Flask]:
    application = make_app(f"sqlite:///{tmp_path / 'formats.db'}", ORG_TIMEZONE="Europe/Paris")
    with application.test_request_context():
        yield application


def in_locale(code: str, write, *args, **kwargs) -> str:
    with force_locale(code):
        return write(*args, **kwargs)


@pytest.mark.usefixtures("plain_app")
def test_an_amount_in_the_deals_currency() -> None:
    assert in_locale("fr", formats.amount, Decimal("1234.56"), "EUR") == f"1{NNBSP}234,56{NBSP}€"
    assert in_locale("en", formats.amount, Decimal("1234.56"), "EUR") == "€1,234.56"
    assert in_locale("fr", formats.amount, 1234.4, "USD", digits=0) == f"1{NNBSP}234{NBSP}$US"
    assert in_locale("en", formats.amount, 1234.4, "GBP", digits=0) == "£1,234"


@pytest.mark.usefixtures("plain_app")
def test_a_percentage() -> None:
    assert in_locale("fr", formats.percent, 0.125) == f"12,5{NBSP}%"
    assert in_locale("en", formats.percent, 0.125) == "12.5%"
    assert in_locale("en", formats.percent, None) == "—"


@pytest.mark.usefixtures("plain_app")
def test_a_date_and_a_moment_in_the_organisations_time_zone() -> None:
    assert in_locale("fr", formats.day, date(2026, 12, 7), "short") == "07/12/2026"
    assert in_locale("en", formats.day, date(2026, 12, 7), "short") == "12/7/26"
    assert in_locale("fr", formats.day, date(2026, 12, 7)) == "7 déc. 2026"
    late = datetime(2026, 12, 7, 23, 30, tzinfo=UTC)  # already the 8th in Paris
    assert in_locale("fr", formats.moment, late) == "08/12/2026 00:30"
    assert in_locale("en", formats.clock, late).replace(NNBSP, " ") == "12:30 AM"


@pytest.mark.usefixtures("plain_app")
def test_time_left_and_iso_weeks() -> None:
    left = timedelta(days=2, hours=3, minutes=10)
    assert in_locale("fr", formats.time_left, left) == "il reste 2 j 3 h"
    assert in_locale("en", formats.time_left, left) == "2 d 3 h left"
    assert in_locale("fr", formats.week, date(2026, 12, 7)) == "S50 2026"
    assert in_locale("fr", formats.first_weekday) == 0  # Monday first


@pytest.mark.usefixtures("plain_app")
def test_plurals_come_from_the_catalogue() -> None:
    assert in_locale("en", formats.points, 1) == "1 point"
    assert in_locale("en", formats.points, 0) == "0 points"
    assert in_locale("en", formats.points, 1234) == "1,234 points"
    assert in_locale("fr", formats.points, 0) == "0 point"  # French counts zero as singular
    assert in_locale("fr", formats.points, 2) == "2 points"
