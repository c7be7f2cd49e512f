"""How the domain writes words for people without knowing their language.

Functions that describe things in words (rules, formats, KPI names) take a `Words`; the
default writes English. web/ passes one built on Flask-Babel, so the same call writes French
to a French reader. `N_` marks an English word kept in a table so the catalogue extractor
finds it; web/ translates it when it shows it. A sentence built with values (an error, an
importer's cause) is a `Said`: English text that keeps its template and values, so web/ can
write it again in the reader's language.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

Number = int | float | Decimal


def N_(message: str) -> str:  # noqa: N802  (gettext's conventional name for a no-op marker)
    """Mark `message` for translation where it is defined; it is translated where shown."""
    return message


def _english_plural(singular: str, plural: str, count: int) -> str:
    return singular if count == 1 else plural


def _english_number(value: Number, digits: int = 0) -> str:
    return f"{value:,.{digits}f}"


def _identity(message: str) -> str:
    return message


def _english_moment(at: datetime) -> str:
    return f"{at.astimezone(UTC):%a %d %b, %H:%M} UTC"


@dataclass(frozen=True)
class Words:
    """gettext, ngettext (untranslated formats, filled with %), a number writer and a date
    and time writer."""

    gettext: Callable[[str], str] = _identity
    ngettext: Callable[[str, str, int], str] = _english_plural
    number: Callable[..., str] = _english_number
    moment: Callable[[datetime], str] = _english_moment


ENGLISH = Words()


class Said(str):
    """English text filled from a template marked with `N_` (or one of a singular and plural
    pair, by `count`), which keeps the template and its values for web/ to write it again in
    the reader's language. Numbers among the values are quantities, grouped as the reader
    groups them (pass an identifier as text); a `Said` among them is written in turn."""

    template: str
    plural: str
    quantity: int | None
    values: Mapping[str, Any]

    def __new__(
        cls,
        template: str,
        values: Mapping[str, Any] | None = None,
        *,
        plural: str = "",
        count: int | None = None,
    ) -> Said:
        values = dict(values or {})
        chosen = plural if plural and count != 1 else template
        english = chosen % {k: _english(v) for k, v in values.items()} if values else chosen
        said = super().__new__(cls, english)
        said.template, said.plural, said.quantity, said.values = template, plural, count, values
        return said

    def __reduce__(self) -> tuple[Any, ...]:
        return (_said, (self.template, self.values, self.plural, self.quantity))


def _said(template: str, values: Mapping[str, Any], plural: str, count: int | None) -> Said:
    return Said(template, values, plural=plural, count=count)


def _english(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return value
    return f"{value:,}"


def said(template: str, /, **values: Any) -> Said:
    """`template` (marked with `N_`) filled with `values`: English, and writable again (a
    `Said` given alone is itself)."""
    if isinstance(template, Said) and not values:
        return template
    return Said(template, values)


def said_n(singular: str, plural: str, count: int, /, **values: Any) -> Said:
    """The singular or plural template (each marked with `N_`) by `count`, which fills
    `%(count)s`, with the other `values`."""
    return Said(singular, {"count": count, **values}, plural=plural, count=count)
