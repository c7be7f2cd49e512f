"""The API's description speaks the reader's language: openapi.json and the API docs page give
their summaries, who may call, answers', fields' and tags' descriptions in French to a French
reader, while paths, field and schema names, codes and enums (the contract) stay as they are."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from typing import Any

from babel.messages.pofile import read_po
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import log_in
from tests.i18n.test_negotiation import choose
from tests.live.conftest import Org
from web.i18n import TRANSLATIONS

FRENCH = {"Accept-Language": "fr-FR,fr;q=0.9"}
ENGLISH = {"Accept-Language": "en-GB,en;q=0.9"}
WORDS = ("summary", "description", "x-displayName")  # the document's human text


def spec(client: FlaskClient, headers: dict[str, str]) -> dict[str, Any]:
    answer = client.get("/api/v1/openapi.json", headers=headers)
    assert answer.status_code == 200
    return dict(answer.get_json())


def words(node: Any, where: str = "") -> Iterator[tuple[str, str]]:
    """Each human text of a document, by where it is."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in WORDS and isinstance(value, str):
                yield f"{where}/{key}", value
            else:
                yield from words(value, f"{where}/{key}")
    elif isinstance(node, list):
        for i, item in enumerate(node):
            yield from words(item, f"{where}[{i}]")


def contract(node: Any) -> Any:
    """The document without its human text."""
    if isinstance(node, dict):
        return {k: contract(v) for k, v in node.items() if not (k in WORDS and isinstance(v, str))}
    if isinstance(node, list):
        return [contract(item) for item in node]
    return node


def french_as_english() -> set[str]:
    """Words the French catalogue writes the same in both languages ("OK", "Impact")."""
    with (TRANSLATIONS / "fr" / "LC_MESSAGES" / "messages.po").open("rb") as file:
        catalogue = read_po(file, locale="fr")
    return {m.id for m in catalogue if isinstance(m.id, str) and m.id and m.string == m.id}


def test_a_french_reader_gets_the_document_in_french_with_the_same_contract(
    client: FlaskClient,
) -> None:
    french, english = spec(client, FRENCH), spec(client, ENGLISH)
    challenges = french["paths"]["/challenges"]
    assert challenges["get"]["summary"] == "Les challenges que l'appelant peut voir"
    assert challenges["get"]["description"] == "Qui : toute personne connectée."
    assert challenges["post"]["description"] == (
        "Qui : les managers (pour leurs équipes) et les administrateurs."
    )
    assert challenges["post"]["responses"]["4XX"]["description"].startswith("Requête refusée")
    assert french["info"]["description"].startswith("Des challenges commerciaux")
    job = french["components"]["schemas"]["ImportJob"]["properties"]
    assert job["url"]["description"] == "où lire l'état de l'import (GET)"
    tags = {tag["name"]: tag for tag in french["tags"]}
    assert tags["sales data"]["x-displayName"] == "Données de vente"
    # The contract is the same: paths, methods, schemas and their names, codes, tags and enums.
    assert contract(french) == contract(english)
    assert english["paths"]["/challenges"]["get"]["summary"] == "Challenges the caller may see"


def test_every_human_text_of_the_document_is_translated(client: FlaskClient) -> None:
    french, english = dict(words(spec(client, FRENCH))), dict(words(spec(client, ENGLISH)))
    assert french.keys() == english.keys() and len(english) > 150
    same = french_as_english()
    # A description left English (say a new field's metadata in web/schemas, not marked with N_
    # in web/api/openapi.py) reads the same in French.
    untranslated = {w: t for w, t in english.items() if french[w] == t and t not in same}
    assert not untranslated


def test_the_persons_choice_picks_the_documents_language_and_each_language_is_kept_apart(
    app: Flask, client: FlaskClient, org: Org
) -> None:
    anonymous = app.test_client()
    assert spec(anonymous, ENGLISH)["paths"]["/me"]["get"]["summary"] == "The caller"
    choose(app, org.ann, "fr")
    log_in(client, "ann@example.test")
    assert spec(client, ENGLISH)["paths"]["/me"]["get"]["summary"] == "L'appelant"
    # Built once per locale: the English one built first is not served to the French reader,
    # nor the French one to the next English reader.
    assert spec(anonymous, ENGLISH)["paths"]["/me"]["get"]["summary"] == "The caller"
    answer = anonymous.get("/api/v1/openapi.json")
    assert "Accept-Language" in answer.headers.get("Vary", "")


def page_text(client: FlaskClient, headers: dict[str, str]) -> str:
    answer = client.get("/api/v1/docs", headers=headers)
    assert answer.status_code == 200
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", answer.get_data(as_text=True), flags=re.S)
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))


def test_the_api_docs_page_in_french_shows_no_english_summary(client: FlaskClient) -> None:
    english = spec(client, ENGLISH)
    text = page_text(client, FRENCH)
    summaries = {op["summary"] for item in english["paths"].values() for op in item.values()}
    assert not {s for s in summaries if s in text}
    assert "Données de vente" in text and "Personnes et équipes" in text
    assert "Qui : les managers (pour leurs équipes) et les administrateurs." in text
    for words_ in ("Sales data", "People and teams", "Who:", "the caller", "Gamified"):
        assert words_ not in text
    assert "Sales data" in page_text(client, ENGLISH)
