"""Periods in the organisation's time zone: `2025-Q3`, `2025-09`, `2025-W36`, `2025-09-03`,
or an inclusive range `2025-09-01..2025-09-30`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from kpi_engine.errors import Invalid
from kpi_engine.words import N_, said


@dataclass(frozen=True)
class Period:
    """A half-open span [start, end) of aware UTC datetimes, with the label it was asked as."""

    label: str
    first_day: date
    last_day: date
    tz: str

    @property
    def start(self) -> datetime:
        return _midnight(self.first_day, self.tz)

    @property
    def end(self) -> datetime:
        return _midnight(self.last_day + timedelta(days=1), self.tz)

    @property
    def days(self) -> int:
        return (self.last_day - self.first_day).days + 1

    def shifted(self, days: int) -> Period:
        """The same span moved by a number of days (keeps the label's kind for display)."""
        delta = timedelta(days=days)
        first, last = self.first_day + delta, self.last_day + delta
        return Period(f"{first.isoformat()}..{last.isoformat()}", first, last, self.tz)

    def previous(self) -> Period:
        """The period of the same kind just before this one."""
        kind = period_kind(self.label)
        if kind == "quarter":
            y, q = self.first_day.year, (self.first_day.month - 1) // 3 + 1
            y, q = (y - 1, 4) if q == 1 else (y, q - 1)
            return parse_period(f"{y}-Q{q}", self.tz)
        if kind == "month":
            d = self.first_day - timedelta(days=1)
            return parse_period(f"{d.year}-{d.month:02d}", self.tz)
        return self.shifted(-self.days)

    def same_last_year(self) -> Period:
        """This period one year earlier."""
        kind = period_kind(self.label)
        if kind == "quarter":
            q = (self.first_day.month - 1) // 3 + 1
            return parse_period(f"{self.first_day.year - 1}-Q{q}", self.tz)
        if kind == "month":
            return parse_period(f"{self.first_day.year - 1}-{self.first_day.month:02d}", self.tz)
        return self.shifted(-364 if kind == "week" else -365)

    def contains(self, moment: datetime) -> bool:
        return self.start <= moment < self.end


def zone(tz: str) -> ZoneInfo:
    """The ZoneInfo for a name, or Invalid naming it."""
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise Invalid(
            N_("unknown time zone %(tz)r"), {"timezone": [N_("unknown time zone")]}, tz=tz
        ) from exc


def _midnight(day: date, tz: str) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone(tz)).astimezone(UTC)


_PATTERNS = {
    "quarter": re.compile(r"^(\d{4})-Q([1-4])$"),
    "month": re.compile(r"^(\d{4})-(\d{2})$"),
    "week": re.compile(r"^(\d{4})-W(\d{2})$"),
    "day": re.compile(r"^(\d{4})-(\d{2})-(\d{2})$"),
    "range": re.compile(r"^(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})$"),
}


# Sales data starts in 1970 at the earliest; a period past 2100 is a typo, and staying far from
# year 1 and 9999 keeps `previous()` and `same_last_year()` from overflowing a date.
FIRST_YEAR, LAST_YEAR = 1970, 2100


def period_kind(label: str) -> str | None:
    return next((k for k, p in _PATTERNS.items() if p.match(label)), None)


def parse_period(label: str, tz: str = "UTC") -> Period:
    """Parse a period string; raise Invalid naming the accepted forms when it is none of them."""
    label = label.strip()
    years = [int(y) for y in re.findall(r"(?:^|\.\.)(\d{4})", label)]
    if any(not FIRST_YEAR <= y <= LAST_YEAR for y in years):
        raise _outside(label)
    try:
        first, last = _bounds(label)
    except (ValueError, OverflowError) as exc:
        raise Invalid(
            N_("period %(label)r is not valid: %(why)s"),
            {
                "period": [
                    N_("use 2025-Q3, 2025-09, 2025-W36, 2025-09-03 or 2025-09-01..2025-09-30")
                ]
            },
            label=label,
            why=said(str(exc)),
        ) from exc
    if last < first:
        raise Invalid(
            N_("period %(label)r ends before it starts"),
            {"period": [N_("empty range")]},
            label=label,
        )
    if first.year < FIRST_YEAR or last.year > LAST_YEAR:
        raise _outside(label)
    zone(tz)
    return Period(label, first, last, tz)


def _outside(label: str) -> Invalid:
    years = {"first": str(FIRST_YEAR), "last": str(LAST_YEAR)}
    return Invalid(
        N_("period %(label)r is outside %(first)s..%(last)s"),
        {"period": [said(N_("must lie between %(first)s-01-01 and %(last)s-12-31"), **years)]},
        label=label,
        **years,
    )


def _bounds(label: str) -> tuple[date, date]:
    kind = period_kind(label)
    match = _PATTERNS[kind].match(label) if kind else None
    if match is None:
        raise ValueError(N_("unrecognised form"))
    g = match.groups()
    if kind == "quarter":
        first = date(int(g[0]), 3 * int(g[1]) - 2, 1)
        return first, _month_end(date(first.year, first.month + 2, 1))
    if kind == "month":
        first = date(int(g[0]), int(g[1]), 1)
        return first, _month_end(first)
    if kind == "week":
        first = date.fromisocalendar(int(g[0]), int(g[1]), 1)
        return first, first + timedelta(days=6)
    if kind == "day":
        day = date(int(g[0]), int(g[1]), int(g[2]))
        return day, day
    return date.fromisoformat(g[0]), date.fromisoformat(g[1])


def _month_end(first: date) -> date:
    following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return following - timedelta(days=1)


def quarter_of(moment: datetime, tz: str) -> Period:
    """The quarter containing a moment, in the organisation's time zone."""
    local = moment.astimezone(zone(tz))
    return parse_period(f"{local.year}-Q{(local.month - 1) // 3 + 1}", tz)
