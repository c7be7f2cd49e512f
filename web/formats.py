"""Numbers, amounts, percentages, dates, times and time left, written the reader's way.

Each helper formats for the current locale (web/i18n.py chooses it) and is a Jinja filter of
the same name: `{{ deal.amount | amount(deal.currency) }}`, `{{ rate | percent }}`,
`{{ at | datetime }}`. Dates and times are shown in the organisation's time zone.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import flask_babel
from babel import Locale
from babel.numbers import format_currency as _babel_currency
from babel.numbers import format_decimal as _babel_decimal
from flask import Flask
from flask_babel import gettext, ngettext

Number = int | float | Decimal

NO_DATA = "—"


def locale() -> Locale:
    return flask_babel.get_locale() or Locale.parse("en")


def number(value: Number | None, digits: int = 0) -> str:
    """1 234,5 in French, 1,234.5 in English, to `digits` decimals."""
    if value is None:
        return NO_DATA
    pattern = "#,##0" + ("." + "0" * digits if digits else "")
    return _babel_decimal(value, format=pattern, locale=locale())


def amount(value: Number | None, currency: str | None = None, digits: int | None = None) -> str:
    """An amount in its currency with the symbol where the locale puts it: 1 234,56 €,
    €1,234.56; `digits=0` rounds to whole units. With no currency, a plain number."""
    if value is None:
        return NO_DATA
    if not currency:
        return number(value, 2 if digits is None else digits)
    if digits is None:
        return _babel_currency(value, currency, locale=locale())
    pattern = locale().currency_formats["standard"].pattern.split(";")[0]
    pattern = pattern.replace(".00", "." + "0" * digits if digits else "")
    return _babel_currency(value, currency, format=pattern, locale=locale(), currency_digits=False)


def percent(value: Number | None, digits: int = 1) -> str:
    """A fraction as a percentage: 0.125 → 12,5 % in French, 12.5% in English."""
    if value is None:
        return NO_DATA
    pattern = locale().percent_formats[None].pattern.split(";")[0]
    if digits:
        pattern = pattern.replace("0", "0." + "0" * digits, 1)
    return _babel_decimal(float(value), format=pattern, locale=locale())


def day(value: date | datetime | None, style: str = "medium") -> str:
    """A date: 7 déc. 2026 / Dec 7, 2026 (medium), 07/12/2026 / 12/7/26 (short)."""
    if value is None:
        return NO_DATA
    return flask_babel.format_date(value, style)


def moment(value: datetime | None, style: str = "short") -> str:
    """A date and time in the organisation's time zone: 07/12/2026 14:05 / 12/7/26, 2:05 PM."""
    if value is None:
        return NO_DATA
    return flask_babel.format_datetime(value, style)


def clock(value: datetime | None) -> str:
    """A time of day in the organisation's time zone: 14:05 / 2:05 PM."""
    if value is None:
        return NO_DATA
    return flask_babel.format_time(value, "short")


def span(delta: timedelta) -> str:
    """A length of time in its two largest units: 2 j 3 h / 2 d 3 h, 3 h 5 min, 4 min."""
    minutes = max(0, int(delta.total_seconds() // 60))
    days, hours, mins = minutes // 1440, minutes // 60 % 24, minutes % 60
    if days:
        return gettext("%(days)d d %(hours)d h", days=days, hours=hours)
    if hours:
        return gettext("%(hours)d h %(minutes)d min", hours=hours, minutes=mins)
    return gettext("%(minutes)d min", minutes=mins)


def time_left(delta: timedelta) -> str:
    """'2 d 3 h left' / 'il reste 2 j 3 h'."""
    return gettext("%(span)s left", span=span(delta))


def week(value: date | datetime) -> str:
    """The ISO week: W49 2026 / S49 2026."""
    year, number_, _ = value.isocalendar()
    return gettext("W%(week)d %(year)d", week=number_, year=year)


def first_weekday() -> int:
    """0 for Monday, 6 for Sunday, as the locale starts its calendar weeks."""
    return int(locale().first_week_day)


def points(count: int) -> str:
    """'1 point', '1 234 points', by the catalogue's plural rules."""
    return ngettext("%(count)s point", "%(count)s points", count, count=number(count))


FILTERS: dict[str, Any] = {
    "number": number,
    "amount": amount,
    "percent": percent,
    "day": day,
    "moment": moment,
    "clock": clock,
    "time_left": time_left,
    "week": week,
    "points": points,
}


def init_app(app: Flask) -> None:
    app.jinja_env.filters.update(FILTERS)
    app.jinja_env.globals["current_locale"] = lambda: str(locale())
