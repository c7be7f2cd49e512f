"""How the domain writes words for people without knowing their language.

Functions that describe things in words (rules, formats, KPI names) take a `Words`; the
default writes English. web/ passes one built on Flask-Babel, so the same call writes French
to a French reader. `N_` marks an English word kept in a table so the catalogue extractor
finds it; web/ translates it when it shows it.
"""

from __future__ import annotations

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
