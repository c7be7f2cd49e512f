"""Bounded field types: every number, amount and date a schema accepts fits the database and a
sane business range, so a value too large or too far away is a 422 naming the field and the
bound instead of an overflow deep in a view.

The bounds follow the columns: ids, points and costs are `Integer` (32-bit on PostgreSQL, the
tighter of the two databases), money is `Numeric(14, 2)`, multipliers `Numeric(6, 2)`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from marshmallow import ValidationError, fields, validate

from web.input_bounds import ID_MAX

INT_MAX = 2**31 - 1
AMOUNT_MAX = Decimal("999999999999.99")
MULTIPLIER_MAX = Decimal("9999.99")
RATE_MAX = Decimal("999999.999999")
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
# Plans are made ahead (next year's targets, a challenge announced early), but not further.
AHEAD = timedelta(days=366)

Validator = Callable[[Any], Any]


def _validators(bound: Validator, extra: Validator | Iterable[Validator] | None) -> list[Any]:
    if extra is None:
        return [bound]
    return [bound, *([extra] if callable(extra) else list(extra))]


class BoundedInt(fields.Integer):
    """A whole number within [minimum, maximum] (by default what an Integer column holds)."""

    def __init__(
        self, minimum: int = -INT_MAX, maximum: int = INT_MAX, *, validate: Any = None, **kw: Any
    ) -> None:
        bound = _range(minimum, maximum)
        super().__init__(validate=_validators(bound, validate), **kw)


def Id(**kw: Any) -> BoundedInt:  # noqa: N802  (reads as a field type, like fields.Integer)
    """A database id: 1 .. 2^31-1."""
    return BoundedInt(1, ID_MAX, **kw)


class Amount(fields.Decimal):
    """A finite decimal within [minimum, maximum] (by default money in a Numeric(14, 2))."""

    def __init__(
        self,
        minimum: Decimal | int = 0,
        maximum: Decimal = AMOUNT_MAX,
        *,
        min_inclusive: bool = True,
        validate: Any = None,
        **kw: Any,
    ) -> None:
        bound = _range(minimum, maximum, min_inclusive=min_inclusive)
        kw.setdefault("allow_nan", False)
        super().__init__(validate=_validators(bound, validate), **kw)


def _range(low: Any, high: Any, *, min_inclusive: bool = True) -> validate.Range:
    return validate.Range(
        low, high, min_inclusive=min_inclusive, error="must be between {min} and {max}"
    )


def _check_moment(value: datetime | date) -> None:
    """Reject a moment before 1970 or more than a year ahead; years are checked first, so the
    comparison itself never overflows at year 1 or 9999 with an offset."""
    today = datetime.now(UTC)
    latest = today + AHEAD
    message = f"must be between {EARLIEST.date()} and {latest.date()}"
    if not EARLIEST.year <= value.year <= latest.year:
        raise ValidationError(message)
    if isinstance(value, datetime):
        low, high = (EARLIEST, latest) if value.tzinfo else (_naive(EARLIEST), _naive(latest))
        inside = low <= value <= high
    else:
        inside = EARLIEST.date() <= value <= latest.date()
    if not inside:
        raise ValidationError(message)


def _naive(moment: datetime) -> datetime:
    return moment.replace(tzinfo=None)


class BusinessDateTime(fields.DateTime):
    """An ISO date-time from 1970 to a year ahead."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kw: Any) -> datetime:
        moment = super()._deserialize(value, attr, data, **kw)
        _check_moment(moment)
        return moment


class BusinessAwareDateTime(fields.AwareDateTime):
    """An ISO date-time with its offset, from 1970 to a year ahead."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kw: Any) -> datetime:
        moment = super()._deserialize(value, attr, data, **kw)
        _check_moment(moment)
        return moment


class BusinessNaiveDateTime(fields.NaiveDateTime):
    """A local date-time (a form's), from 1970 to a year ahead."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kw: Any) -> datetime:
        moment = super()._deserialize(value, attr, data, **kw)
        _check_moment(moment)
        return moment


class BusinessDate(fields.Date):
    """An ISO date from 1970 to a year ahead."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kw: Any) -> date:
        day = super()._deserialize(value, attr, data, **kw)
        _check_moment(day)
        return day
