"""How the domain writes words for people without knowing their language.

Functions that describe things in words (rules, formats, KPI names) take a `Words`; the
default writes English. web/ passes one built on Flask-Babel, so the same call writes French
to a French reader. `N_` marks an English word kept in a table so the catalogue extractor
finds it; web/ translates it when it shows it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

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


@dataclass(frozen=True)
class Words:
    """gettext, ngettext (untranslated formats, filled with %) and a number writer."""

    gettext: Callable[[str], str] = _identity
    ngettext: Callable[[str, str, int], str] = _english_plural
    number: Callable[..., str] = _english_number


ENGLISH = Words()


@dataclass(frozen=True)
class Sentence:
    """A sentence the domain writes with values in it (a count, a KPI's name): its English
    template, marked with N_ where it is written, and the values. `write` puts it in a
    reader's words; str() is the English."""

    template: str
    values: tuple[tuple[str, object], ...] = ()

    def __str__(self) -> str:
        return write(self)


Text = str | Sentence
"""What the domain shows people: an N_-marked word, or a Sentence."""


def said(template: str, **values: object) -> Sentence:
    """The sentence `template` (an N_-marked English format with %(name)s fields) with `values`."""
    return Sentence(template, tuple(values.items()))


@dataclass(frozen=True)
class Lowered:
    """A name written inside a sentence (a KPI's): translated, then lower-cased."""

    name: Text


def write(text: Text, words: Words = ENGLISH) -> str:
    """`text` in the words of `words`: its template translated, numbers written its way, names
    translated where the catalogue has them."""
    if isinstance(text, str):
        return words.gettext(text) if text else text
    values = {key: _word(value, words) for key, value in text.values}
    return words.gettext(text.template) % values


def _word(value: object, words: Words) -> str:
    if isinstance(value, Lowered):
        return write(value.name, words).lower()
    if isinstance(value, str | Sentence):
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
