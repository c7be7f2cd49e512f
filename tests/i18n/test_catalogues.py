"""CI check: every message in the code is in each supported language's catalogue, translated,
not fuzzy and not empty (pybabel extracts the code's messages to a temporary .pot)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

from web.i18n import SUPPORTED_LOCALES, TRANSLATIONS

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def code_messages(tmp_path_factory: pytest.TempPathFactory) -> Catalog:
    pot = tmp_path_factory.mktemp("pot") / "messages.pot"
    command = [sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg"]
    command += ["-k", "_l", "-k", "N_", "-k", "said_n:1,2", "--no-location", "-o", str(pot), "."]
    subprocess.run(command, cwd=ROOT, check=True, capture_output=True)
    with pot.open("rb") as file:
        return read_po(file)


def catalogue(code: str) -> Catalog:
    with (TRANSLATIONS / code / "LC_MESSAGES" / "messages.po").open("rb") as file:
        return read_po(file, locale=code)


def test_the_code_has_messages_to_translate(code_messages: Catalog) -> None:
    assert len(code_messages) > 500


@pytest.mark.parametrize("code", SUPPORTED_LOCALES)
def test_every_message_is_translated_in(code: str, code_messages: Catalog) -> None:
    translated = catalogue(code)
    missing = [m.id for m in code_messages if m.id and translated.get(m.id) is None]
    assert not missing, f"{code}: not in the catalogue (run `make translations`): {missing}"
    fuzzy = [m.id for m in translated if m.id and m.fuzzy]
    assert not fuzzy, f"{code}: fuzzy entries: {fuzzy}"
    empty = [m.id for m in translated if m.id and not all(_forms(m.string))]
    assert not empty, f"{code}: untranslated entries: {empty}"


def _forms(string: str | tuple[str, ...]) -> tuple[str, ...]:
    return string if isinstance(string, tuple) else (string,)
