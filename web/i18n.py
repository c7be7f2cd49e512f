"""The product in the reader's language and formats (Flask-Babel).

Which language: the person's choice on their profile (User.locale), else the organisation's
default (ORG_LOCALE), else the browser's Accept-Language, else English. Catalogues live in
web/translations/<lang>/LC_MESSAGES/messages.po; adding a language is adding that one file
(and its code to SUPPORTED_LOCALES). The .mo files are compiled from the .po at app start
when missing or older (they are build products, not committed).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask, current_app, has_request_context, request
from flask_babel import Babel, force_locale, ngettext
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import Session

from gameplay.channels.pushes import TITLES
from gameplay.core.changes import Notification
from kpi_engine.org.models import User
from kpi_engine.words import Said
from web import formats, labels

TRANSLATIONS = Path(__file__).resolve().parent / "translations"
SUPPORTED_LOCALES = ("en", "fr")
LANGUAGE_NAMES = {"en": "English", "fr": "Français"}

babel = Babel()


def init_app(app: Flask) -> None:
    compile_catalogues()
    app.config.setdefault("BABEL_DEFAULT_LOCALE", "en")
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(TRANSLATIONS))
    app.config["BABEL_DEFAULT_TIMEZONE"] = app.config.get("ORG_TIMEZONE") or "UTC"
    babel.init_app(app, locale_selector=select_locale)
    formats.init_app(app)
    labels.init_app(app)


def languages() -> list[tuple[str, str]]:
    """Each supported language by its own name, for a language picker."""
    return [(code, LANGUAGE_NAMES[code]) for code in SUPPORTED_LOCALES]


def supported(code: str | None) -> str | None:
    """The supported language a code names ('fr_CA' → 'fr'), or None."""
    if not code:
        return None
    base = code.replace("-", "_").split("_")[0].lower()
    return base if base in SUPPORTED_LOCALES else None


def negotiate(chosen: str | None, org_default: str | None, accept: Callable[[], str | None]) -> str:
    """Profile, then organisation, then browser, then English."""
    return supported(chosen) or supported(org_default) or supported(accept()) or "en"


def select_locale() -> str:
    """Flask-Babel's locale selector for the current request."""
    return locale_for(current_user if has_request_context() else None)


def locale_for(user: object) -> str:
    """The language of a page shown on `user`'s behalf to whoever opens it (a wall screen
    opened by their link): theirs, else the organisation's, else the browser's."""
    return negotiate(getattr(user, "locale", None), current_app.config.get("ORG_LOCALE"),
                     _browser_choice)  # fmt: skip


def _browser_choice() -> str | None:
    if not has_request_context():
        return None
    return request.accept_languages.best_match(SUPPORTED_LOCALES)


def locale_of(user: object) -> str:
    """The language to write to this user in outside a request (notifications, pushes): their
    choice, else the organisation's, else their browser's when they last logged in."""
    return _remembered(getattr(user, "locale", None), getattr(user, "browser_locale", None),
                       current_app.config.get("ORG_LOCALE"))  # fmt: skip


def remember_browser_locale(user: User) -> None:
    """Keep the language the request's browser asks for on `user` (at login), for what is
    written to them outside a request."""
    user.browser_locale = _browser_choice()


def org_locale() -> str:
    """The organisation's language (ORG_LOCALE, else English): what its team channels read."""
    return supported(current_app.config.get("ORG_LOCALE")) or "en"


def locales_of(session: Session, user_ids: set[int]) -> dict[int, str]:
    """The language to write to each of these users in (one query)."""
    if not user_ids:
        return {}
    query = select(User.id, User.locale, User.browser_locale).where(User.id.in_(user_ids))
    org_default = current_app.config.get("ORG_LOCALE")
    found: dict[int, tuple[str | None, str | None]] = {
        user_id: (locale, browser) for user_id, locale, browser in session.execute(query)
    }
    return {u: _remembered(*found.get(u, (None, None)), org_default) for u in user_ids}


def _remembered(chosen: str | None, browser: str | None, org_default: str | None) -> str:
    """The language of someone not in this request: their choice, the organisation's, then
    their browser's as last seen."""
    return negotiate(chosen, org_default, lambda: browser)


def note_text(note: Notification, code: str) -> str:
    """A notification's message in a language (its English message when it has no template)."""
    if not note.template:
        return note.message
    with force_locale(code):
        values = {k: _value_words(v) for k, v in note.values}
        return str(formats.translated(note.template)) % values


def push_words(note: Notification, more: int, code: str) -> tuple[str, str]:
    """A pushed note's title and text in the recipient's language."""
    text = note_text(note, code)
    with force_locale(code):
        title = formats.translated(TITLES.get(note.kind, "SalesQuest")) or "SalesQuest"
        if more:
            text += ngettext(" (and %(num)s more)", " (and %(num)s more)", more)
    return title, text


def _value_words(value: object) -> object:
    if isinstance(value, Said):  # a sentence the domain built (a points note's reason)
        return formats.written(value)
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return value
    return formats.translated(value) if isinstance(value, str) else formats.number(value)


def in_locale(code: str) -> force_locale:
    """A `with` block rendering in another person's language (a recipient's, not the reader's)."""
    return force_locale(code)


def compile_catalogues(root: Path = TRANSLATIONS) -> None:
    """Write each catalogue's .mo beside its .po when missing or older."""
    for po_path in root.glob("*/LC_MESSAGES/messages.po"):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        with po_path.open("rb") as po_file:
            catalogue = read_po(po_file)
        # Written aside and moved in: processes starting together (a test's servers, gunicorn's
        # workers) never read a half-written catalogue.
        with tempfile.NamedTemporaryFile("wb", dir=mo_path.parent, delete=False) as mo_file:
            write_mo(mo_file, catalogue)
        os.replace(mo_file.name, mo_path)
