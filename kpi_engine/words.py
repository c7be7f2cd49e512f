"""How the domain writes words for people without knowing their language.

Functions that describe things in words (rules, formats, KPI names) take a `Words`; the
default writes English. web/ passes one built on Flask-Babel, so the same call writes French
to a French reader. `N_` marks an English word kept in a table so the catalogue extractor
finds it; web/ translates it when it shows it. A sentence built with values (an error, an
importer's cause) is a `Said`: English text that keeps its template and values, so web/ can
write it again in the reader's language.
"""

from __future__ import annotations

import math
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
    """English text filled from a template marked with `N_` (or a singular and plural pair
    from `said_n`, by `count`), which keeps the template and its values, so `write` (and web/) can
    write it again in a reader's language. Among the values, numbers are quantities, grouped
    and rounded as the reader writes them (pass an identifier as text); other text stays as
    it is (a person's or a file's name); a `Said` is written in turn (so `said(N_("a word"))`
    is a word translated where shown); a `Lowered` word is translated, then lower-cased."""

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
        english = _filled(template, plural, count, values, ENGLISH)
        said = super().__new__(cls, english)
        said.template, said.plural, said.quantity, said.values = template, plural, count, values
        return said

    def __reduce__(self) -> tuple[Any, ...]:
        return (_said, (self.template, self.values, self.plural, self.quantity))


def _said(template: str, values: Mapping[str, Any], plural: str, count: int | None) -> Said:
    return Said(template, values, plural=plural, count=count)


def said(template: str, /, **values: Any) -> Said:
    """`template` (marked with `N_`) filled with `values`: English, and writable again (a
    `Said` given alone is itself)."""
    if isinstance(template, Said) and not values:
        return template
    return Said(template, values)


def said_n(singular: str, plural: str, count: int, /, **values: Any) -> Said:
    """The singular or plural template by `count`, which fills `%(count)s`, with the other
    `values`. The pair is one catalogue entry (the extractor knows `said_n` as ngettext), so
    each language picks its own form by the count; no `N_` around them."""
    return Said(singular, {"count": count, **values}, plural=plural, count=count)


@dataclass(frozen=True)
class Lowered:
    """A name written inside a sentence (a KPI's): translated, then lower-cased."""

    name: str


def write(text: str, words: Words = ENGLISH) -> str:
    """`text` in the words of `words`: a `Said` from its template, translated, with its values
    written that way; other text (an `N_`-marked word) translated where the catalogue has it."""
    if isinstance(text, Said):
        return _filled(text.template, text.plural, text.quantity, text.values, words)
    return words.gettext(text) if text else text


def _filled(
    template: str, plural: str, count: int | None, values: Mapping[str, Any], words: Words
) -> str:
    if plural and count is not None:
        # One catalogue entry with its plural forms (`said_n` is an extraction keyword): the
        # reader's language picks the form by the count (French says "0 ligne").
        chosen = words.ngettext(template, plural, count)
    else:
        chosen = words.gettext(template)
    if not values:
        return chosen
    return chosen % {key: _word(value, words) for key, value in values.items()}


def _word(value: object, words: Words) -> str:
    if isinstance(value, Lowered):
        return write(value.name, words).lower()
    if isinstance(value, Said):
        return write(value, words)
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return str(value)
    if isinstance(value, int):
        return words.number(value)
    return words.number(value, _significant(float(value)))


def _significant(value: float, digits: int = 3) -> int:
    """Decimals that show `digits` significant figures of `value` (none for large values)."""
    if value == 0 or not math.isfinite(value):
        return 0
    return max(0, digits - 1 - math.floor(math.log10(abs(value))))
