"""Every CSV the product hands out goes through here: labels for people, numbers as numbers,
and text a spreadsheet would run as a formula neutralised (OWASP "CSV injection").

Headers are in the reader's language. By default the file is the machine's (`,` between cells,
`.` in numbers); with `?dialect=locale` it follows the reader's locale as their spreadsheet
reads it: for French Excel `;` between cells and decimal commas, numbers still bare numbers
(no thousands separator), and a BOM so Excel reads UTF-8."""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Sequence
from numbers import Number
from typing import Any

from babel.numbers import get_decimal_symbol
from flask import Response, request
from flask_babel import lazy_gettext as _l

from web.formats import locale

# A spreadsheet treats a text cell starting with any of these as a formula (OWASP list).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# How a KPI unit reads in a CSV header, and the decimals its numbers keep.
UNIT_LABELS = {
    "percent": "%",
    "fraction": "%",
    "currency": _l("currency"),
    "days": _l("days"),
    "count": _l("count"),
    "ratio": _l("ratio"),
    "currency_per_day": _l("currency per day"),
}
DECIMALS = {"percent": 1, "fraction": 2, "currency": 2, "days": 1, "count": 1, "ratio": 2,
            "currency_per_day": 2}  # fmt: skip


def neutralise(cell: Any) -> Any:
    """A number stays a number (written as such); a text cell that a spreadsheet would run as a
    formula gets a leading quote; None and NaN are empty."""
    if cell is None or isinstance(cell, bool):
        return "" if cell is None else ("yes" if cell else "no")
    if isinstance(cell, Number):
        return "" if isinstance(cell, float) and not math.isfinite(cell) else cell
    text = str(cell)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def kpi_number(value: float | None, unit: str) -> float | int | None:
    """A KPI value as a spreadsheet should hold it: percent KPIs (fractions) as percent, or as
    percentage points for a difference, rounded to what the unit means; whole counts as ints."""
    if value is None or not math.isfinite(value):
        return None
    if unit in ("percent", "fraction"):
        value = value * 100
    rounded = round(float(value), DECIMALS.get(unit, 2))
    return int(rounded) if unit == "count" and rounded.is_integer() else rounded


def unit_label(unit: str, *, points: bool = False) -> str:
    if points and unit in ("percent", "fraction"):
        return str(_l("percentage points"))
    return str(UNIT_LABELS.get(unit, unit))


def csv_response(header: Sequence[str], rows: Sequence[Sequence[Any]], name: str) -> Response:
    """A CSV download: the header, then the rows, every cell through `neutralise`; in the
    reader's spreadsheet dialect when the request asks for it (`?dialect=locale`)."""
    buffer = io.StringIO()
    decimal = get_decimal_symbol(locale()) if request.args.get("dialect") == "locale" else "."
    writer = csv.writer(buffer, delimiter=";" if decimal == "," else ",")
    writer.writerow([neutralise(str(c)) for c in header])
    writer.writerows([_in_dialect(neutralise(c), decimal) for c in row] for row in rows)
    body = ("\ufeff" if decimal != "." else "") + buffer.getvalue()
    disposition = f'attachment; filename="{name}.csv"'
    return Response(body, mimetype="text/csv",
                    headers={"Content-Disposition": disposition})  # fmt: skip


def _in_dialect(cell: Any, decimal: str) -> Any:
    """A decimal number written with the locale's decimal sign; everything else as it is."""
    if decimal == "." or isinstance(cell, bool | int) or not isinstance(cell, Number):
        return cell
    return f"{cell}".replace(".", decimal)
