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
from babel.dates import format_skeleton
from babel.numbers import format_currency as _babel_currency
from babel.numbers import format_decimal as _babel_decimal
from flask import Flask, current_app
from flask_babel import get_translations, gettext, ngettext, pgettext

from kpi_engine.errors import Invalid
from kpi_engine.periods import parse_period, period_kind
from kpi_engine.words import Words, write

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
    """A length of time at a glance: 2 j 3 h / 2 d 3 h from two days, else 5 h, else 4 min."""
    hours = int(delta.total_seconds() // 3600)
    if hours >= 48:
        return gettext("%(days)d d %(hours)d h", days=hours // 24, hours=hours % 24)
    if hours:
        return gettext("%(hours)d h", hours=hours)
    return gettext("%(minutes)d min", minutes=max(1, int(delta.total_seconds() // 60)))


def countdown_words() -> dict[str, str]:
    """The time-left words for js/countdown.js, in the reader's language (%s: a number)."""
    return {
        "days": gettext("%(days)d d %(hours)d h")
        .replace("%(days)d", "{d}")
        .replace("%(hours)d", "{h}"),
        "hours": gettext("%(hours)d h").replace("%(hours)d", "{h}"),
        "minutes": gettext("%(minutes)d min").replace("%(minutes)d", "{m}"),
        "left": gettext("%(span)s left").replace("%(span)s", "{span}"),
        "starts": gettext("starts in %(span)s").replace("%(span)s", "{span}"),
        "finished": gettext("just finished: reload for the results"),
    }


def time_left(delta: timedelta) -> str:
    """'2 d 3 h left' / 'il reste 2 j 3 h'."""
    return gettext("%(span)s left", span=span(delta))


def week(value: date | datetime) -> str:
    """The ISO week: W49 2026 / S49 2026."""
    year, number_, _ = value.isocalendar()
    return gettext("W%(week)d %(year)d", week=number_, year=year)


def quarter(year: int, number: int) -> str:
    """A quarter as people write it: Q4 2026 / T4 2026 (its key stays 2026-Q4)."""
    return gettext("Q%(quarter)d %(year)d", quarter=number, year=year)


def period(label: str) -> str:
    """A period's key as people read it: Q4 2026 / T4 2026, September 2026 / septembre 2026,
    W36 2026 / S36 2026, a day, or a range of days; a label of no known form as it is."""
    kind = period_kind(label)
    try:
        found = parse_period(label)
    except Invalid:
        return label
    first = found.first_day
    if kind == "quarter":
        return quarter(first.year, (first.month - 1) // 3 + 1)
    if kind == "month":
        return format_skeleton("yMMMM", first, locale=locale())
    if kind == "week":
        return week(first)
    if kind == "day":
        return day(first)
    return f"{day(first)} \N{EN DASH} {day(found.last_day)}"


def first_weekday() -> int:
    """0 for Monday, 6 for Sunday, as the locale starts its calendar weeks."""
    return int(locale().first_week_day)


def points(count: int) -> str:
    """'1 point', '1 234 points', by the catalogue's plural rules."""
    return ngettext("%(count)s point", "%(count)s points", count, count=number(count))


def translated(text: str | None) -> str | None:
    """A word the domain keeps in English (a KPI or badge name, a demo challenge's name) in
    the reader's language when the catalogue has it; any other text as it is (never %-filled,
    so a name with a % in it is safe)."""
    return get_translations().ugettext(text) if text else text


def kpi_value(value: Number | None, unit: str) -> str:
    """A KPI's value by its unit: percent (a fraction), currency (the organisation's, whole
    units), days, count, ratio, per day."""
    if value is None:
        return gettext("no data")
    if unit == "percent":
        return percent(value)
    if unit == "days":
        return gettext("%(value)s d", value=number(value, 1))
    if unit == "ratio":
        return number(value, 2)
    if unit == "currency":
        return org_amount(value)
    if unit == "currency_per_day":
        return gettext("%(value)s/d", value=org_amount(value))
    return number(value)


def org_amount(value: Number) -> str:
    """Money in the organisation's currency (ORG_CURRENCY), in whole units: a KPI's."""
    return amount(value, current_app.config.get("ORG_CURRENCY") or "USD", digits=0)


def words() -> Words:
    """The domain's word writer in the reader's language (rules, formats, KPI names)."""
    return Words(
        gettext=lambda message: get_translations().ugettext(message),
        ngettext=lambda singular, plural, n: get_translations().ungettext(singular, plural, n),
        number=number,
        moment=moment,
    )


def written(text: str | None) -> str:
    """What the domain says (an N_-marked word, or a `Said` sentence with its values) in the
    reader's language and number formats."""
    return write(text, words()) if text is not None else ""


def live_words() -> dict[str, str]:
    """The live board's words for js/live.js, in the reader's language."""
    return {
        "live": pgettext("board status", "live"),
        "asOf": gettext("as of %(time)s").replace("%(time)s", "{time}"),
        "staleTitle": gettext("Not live: this board shows the standings as of %(time)s").replace(
            "%(time)s", "{time}"
        ),
        "reconnecting": gettext("reconnecting…"),
        "offline": gettext("offline"),
        "notLive": gettext("not live"),
        "you": gettext("%(name)s (you)").replace("%(name)s", "{name}"),
        "movedUp": gettext("moved up"),
        "movedDown": gettext("moved down"),
    }


def wall_words() -> dict[str, str]:
    """The wall screen's words for js/wall.js: its live status and its moments ({name}...)."""
    live = live_words()
    return {
        **{key: live[key] for key in ("live", "asOf", "reconnecting", "offline")},
        "lead": gettext("%(name)s takes the lead").replace("%(name)s", "{name}"),
        "pointsOne": ngettext("%(count)s point", "%(count)s points", 1, count="{count}"),
        "pointsOther": ngettext("%(count)s point", "%(count)s points", 2, count="{count}"),
        "won": gettext("%(name)s won %(deal)s")
        .replace("%(name)s", "{name}")
        .replace("%(deal)s", "{deal}"),
        "aDeal": gettext("a deal"),
    }


def chart_words() -> dict[str, str]:
    """The chart axes' words for js/charts.js ({value}: a number it writes the locale's way)."""
    return {
        "days": gettext("%(value)s d").replace("%(value)s", "{value}"),
        "pts": gettext("%(value)s pts").replace("%(value)s", "{value}"),
        "percent": percent(0.5, 0).replace(number(50), "{value}"),
        "range": gettext("%(low)s to %(high)s")
        .replace("%(low)s", "{low}")
        .replace("%(high)s", "{high}"),
    }


def moment_words() -> dict[str, str]:
    """The gap line's and the toasts' words for js/moments.js and js/toasts.js."""
    return {
        "pts": gettext("%(points)s pts").replace("%(points)s", "{points}"),
        "toPass": gettext(" to pass %(name)s").replace("%(name)s", "{name}"),
        "leadBy": gettext("You lead by "),
        "update": ngettext("%(count)s more update", "%(count)s more updates", 1, count="{count}"),
        "updates": ngettext("%(count)s more update", "%(count)s more updates", 2, count="{count}"),
        "more": gettext("+%(count)s more").replace("%(count)s", "{count}"),
    }


FILTERS: dict[str, Any] = {
    "number": number,
    "amount": amount,
    "percent": percent,
    "day": day,
    "moment": moment,
    "clock": clock,
    "time_left": time_left,
    "week": week,
    "period": period,
    "points": points,
    "translated": translated,
    "written": written,
}


def init_app(app: Flask) -> None:
    app.jinja_env.filters.update(FILTERS)
    app.jinja_env.globals["current_locale"] = lambda: str(locale())
    app.jinja_env.globals["countdown_words"] = countdown_words
    app.jinja_env.globals["live_words"] = live_words
    app.jinja_env.globals["moment_words"] = moment_words
    app.jinja_env.globals["wall_words"] = wall_words
    app.jinja_env.globals["chart_words"] = chart_words
