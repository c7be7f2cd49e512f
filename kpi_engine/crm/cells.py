"""Reading CRM export files cell by cell: encodings, separators, dates and amounts.

Exports from the same CRM differ by the locale of whoever clicked "export": a European one
writes `03.04.2024` and `1.234,50` separated by `;`, an American one `04/03/2024` and `1,234.50`
separated by `,`. A date such as 03/04/2024 means two different days, so a file whose dates
never tell the two forms apart must name its format instead of being guessed.
"""

from __future__ import annotations

import calendar
import csv
import re
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from kpi_engine.errors import Invalid
from kpi_engine.words import N_, Said, said

DATE_FORMATS = ("iso", "us", "eu")
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})")
_DMY = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2,4})")
_TIME = re.compile(r"(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([AaPp][Mm])?")
# A date without a time of day is placed at noon in the organisation's time zone, so it stays
# on the same calendar day in every report whatever the zone.
NOON = time(12, 0)
# How each named form is written, with an example a person can copy (translated where shown:
# the letters too, JJ/MM/AAAA in French).
DATE_SHAPES = {
    "iso": N_("YYYY-MM-DD, e.g. 2017-01-31"),
    "us": N_("MM/DD/YYYY, e.g. 01/31/2017"),
    "eu": N_("DD/MM/YYYY, e.g. 31/01/2017"),
}
_EXAMPLE = datetime(2017, 1, 31, 9, 30)
# The months by number (1 is January), translated where a sentence names one.
MONTHS = (
    N_("January"),
    N_("February"),
    N_("March"),
    N_("April"),
    N_("May"),
    N_("June"),
    N_("July"),
    N_("August"),
    N_("September"),
    N_("October"),
    N_("November"),
    N_("December"),
)


class UnreadableDate(ValueError):
    """A cell that is not written as a date of the file's format; says which form was expected."""


class ImpossibleDate(ValueError):
    """A cell written as a date the calendar does not have; says why (no 31 February)."""


@dataclass(frozen=True)
class Table:
    header: list[str]
    rows: list[dict[str, str]]
    delimiter: str


def decode(data: bytes, name: str) -> str:
    """The text of an uploaded file: UTF-8, with or without a byte-order mark, and no NUL
    (a binary file, or UTF-16 text; no database column holds it)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        message = said(
            N_("%(name)s is not UTF-8 text (byte %(byte)s); export it as UTF-8 CSV"),
            name=name,
            byte=str(exc.start),
        )
        raise Invalid(message, {"file": [message]}) from exc
    if "\x00" in text:
        message = said(
            N_(
                "%(name)s holds a NUL character (byte %(byte)s): it is not plain text;"
                " export it as UTF-8 CSV"
            ),
            name=name,
            byte=str(data.index(0)),
        )
        raise Invalid(message, {"file": [message]})
    return text


def read_table(text: str) -> Table:
    """Rows of a CSV text whose separator (`;`, `,` or tab) is read from the header line."""
    first = text.lstrip("\ufeff").split("\n", 1)[0]
    delimiter = max((";", ",", "\t"), key=first.count)
    reader = csv.reader(text.lstrip("\ufeff").splitlines(), delimiter=delimiter)
    header = [h.strip() for h in next(reader, [])]
    rows = [
        {h: (cells[i].strip() if i < len(cells) else "") for i, h in enumerate(header)}
        for cells in reader
        if any(c.strip() for c in cells)
    ]
    return Table(header, rows, delimiter)


def settle_date_format(cells: list[str], named: str | None) -> str:
    """The file's date form: the named one, or the only one its day/month cells allow."""
    if named:
        return named
    pairs = [(int(m[1]), int(m[2])) for c in cells if (m := _DMY.match(c))]
    if not pairs:
        return "iso"
    day_first = any(a > 12 for a, _ in pairs)
    month_first = any(b > 12 for _, b in pairs)
    if day_first and month_first:
        raise Invalid(
            N_("the file mixes day-first and month-first dates"),
            {"date_format": [N_("dates such as 25/03 and 03/25 both occur; fix the export")]},
        )
    if day_first or month_first:
        return "eu" if day_first else "us"
    sample = next(c for c in cells if _DMY.match(c))
    raise Invalid(
        N_("dates such as %(sample)r could be day-first or month-first"),
        {
            "date_format": [
                N_("name the file's date format: iso, us (MM/DD/YYYY) or eu (DD/MM/YYYY)")
            ]
        },
        sample=sample,
    )


def parse_moment(cell: str, date_format: str, zone: ZoneInfo) -> datetime:
    """A CRM date (and optional time) cell as an aware UTC datetime.

    Raises UnreadableDate or ImpossibleDate (both ValueError) with a sentence saying why.
    """
    if _ISO.match(cell) and ("T" in cell or "+" in cell[10:] or cell.endswith("Z")):
        try:
            moment = datetime.fromisoformat(cell.replace("Z", "+00:00"))
        except ValueError:
            _parse_day(cell, "iso")  # a day the calendar lacks is the likelier mistake: name it
            example = _EXAMPLE.replace(tzinfo=ZoneInfo("Europe/Berlin")).isoformat()
            raise UnreadableDate(
                said(
                    N_("%(cell)r is not an ISO date and time (e.g. %(example)s)"),
                    cell=cell,
                    example=example,
                )
            ) from None
        if moment.tzinfo is not None:
            return moment.astimezone(ZoneInfo("UTC"))
    day = _parse_day(cell, date_format)
    clock = _TIME.search(cell[8:]) if cell else None
    at = _clock(cell, clock) if clock else NOON
    return datetime.combine(day, at, tzinfo=zone).astimezone(ZoneInfo("UTC"))


def _parse_day(cell: str, date_format: str) -> date:
    if date_format not in DATE_FORMATS:
        return _parse_pattern(cell, date_format)
    if (iso := _ISO.match(cell)) is not None:
        year, month, day = int(iso[1]), int(iso[2]), int(iso[3])
        if date_format == "iso" or _calendar_problem(year, month, day) is None:
            return _day(cell, year, month, day)
        # An ISO cell is read in any file, but one that is no real day most likely belongs to
        # the file's own form, which is what the person should be told to write.
        raise _unreadable(cell, date_format)
    found = _DMY.match(cell)
    if found is None or date_format == "iso":
        raise _unreadable(cell, date_format)
    first, second, year = int(found[1]), int(found[2]), int(found[3])
    year += 2000 if year < 100 else 0
    day, month = (first, second) if date_format == "eu" else (second, first)
    return _day(cell, year, month, day)


def _unreadable(cell: str, date_format: str) -> UnreadableDate:
    shape = said(DATE_SHAPES[date_format])
    return UnreadableDate(
        said(
            N_("%(cell)r is not a date in the %(format)s format (%(shape)s)"),
            cell=cell,
            format=date_format,
            shape=shape,
        )
    )


def _parse_pattern(cell: str, pattern: str) -> date:
    try:
        return datetime.strptime(cell, pattern).date()
    except ValueError as exc:
        # strptime says "does not match" for a cell of another shape; anything else is a
        # value out of range once the shape matched.
        if "match" in str(exc) or "unconverted" in str(exc):
            example = _EXAMPLE.strftime(pattern)
            message = said(
                N_("%(cell)r is not a date in the format %(pattern)s (e.g. %(example)s)"),
                cell=cell,
                pattern=pattern,
                example=example,
            )
            raise UnreadableDate(message) from None
        raise ImpossibleDate(
            said(N_("%(cell)s: the calendar has no such day"), cell=cell)
        ) from None


def _day(cell: str, year: int, month: int, day: int) -> date:
    problem = _calendar_problem(year, month, day)
    if problem is not None:
        raise ImpossibleDate(said(N_("%(cell)s: %(problem)s"), cell=cell, problem=problem))
    return date(year, month, day)


def _calendar_problem(year: int, month: int, day: int) -> Said | None:
    """Why year-month-day is no day of the calendar, in words; None when it is one."""
    if year < 1:
        return said(N_("there is no year %(year)s"), year=str(year))
    if not 1 <= month <= 12:
        return said(N_("there is no month %(month)s"), month=str(month))
    if day < 1:
        return said(N_("there is no day %(day)s"), day=str(day))
    if day > calendar.monthrange(year, month)[1]:
        # The day before the month's name, as French writes it too ("le 31 février"): an
        # English ordinal ("31st") has no translation. Only 29 February depends on the year,
        # so only then is the year worth naming.
        name = said(MONTHS[month - 1])
        if (month, day) == (2, 29):
            return said(
                N_("there is no %(day)s %(month)s %(year)s"),
                day=str(day),
                month=name,
                year=str(year),
            )
        return said(N_("there is no %(day)s %(month)s"), day=str(day), month=name)
    return None


def _clock(cell: str, found: re.Match[str]) -> time:
    hour, minute, second = int(found[1]), int(found[2]), int(found[3] or 0)
    meridiem = (found[4] or "").lower()
    if meridiem == "pm" and hour < 12:
        hour += 12
    if meridiem == "am" and hour == 12:
        hour = 0
    if hour > 23 or minute > 59 or second > 59:
        raise ImpossibleDate(
            said(N_("%(cell)s: %(time)s is not a time of day"), cell=cell, time=found[0].strip())
        )

    return time(hour, minute, second)


def parse_amount(cell: str, delimiter: str) -> Decimal:
    """An amount as exports write it: `1,234.50`, `1.234,50`, `1 234,5`, `€ 12`; ValueError else."""
    text = re.sub(r"[^\d,.\-]", "", cell)
    if not re.search(r"\d", text):
        raise ValueError(f"{cell!r} is not an amount")
    decimal_mark = _decimal_mark(text, delimiter)
    thousands = "," if decimal_mark == "." else "."
    normal = text.replace(thousands, "").replace(decimal_mark, ".")
    try:
        return Decimal(normal)
    except InvalidOperation as exc:
        raise ValueError(f"{cell!r} is not an amount") from exc


def _decimal_mark(text: str, delimiter: str) -> str:
    """Which of `,` and `.` separates decimals: the last one when both occur, else by shape."""
    if "," in text and "." in text:
        return "," if text.rfind(",") > text.rfind(".") else "."
    mark = "," if "," in text else "."
    if text.count(mark) > 1:
        return "." if mark == "," else ","
    digits_after = len(text) - text.rfind(mark) - 1 if mark in text else 0
    if digits_after != 3:
        return mark
    # `1,234` or `1.234`: a `;`-separated file is European, where `.` groups thousands.
    european = delimiter == ";"
    return "," if european else "."
