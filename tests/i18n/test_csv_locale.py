"""CSV exports in the reader's language, and in their spreadsheet's dialect when asked."""

from __future__ import annotations

import csv
import io

from flask import Flask

from tests.api.test_csv_exports import _org
from tests.conftest import log_in

FRENCH = {"Accept-Language": "fr-FR,fr;q=0.9"}


def test_a_french_reader_gets_french_headers_and_the_machine_dialect_by_default(
    app: Flask,
) -> None:
    people = _org(app, segment="retail")
    client = app.test_client()
    log_in(client, people["manager"])
    body = client.get("/dashboards/export.csv", headers=FRENCH).get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[0][:5] == ["Indicateur", "Unité", "Valeur", "Statut", "Objectif"]
    by_name = {r[0]: r for r in rows[1:]}
    assert by_name["Chiffre d'affaires gagné"][1:3] == ["devise", "1200.46"]


def test_french_excel_reads_semicolons_and_decimal_commas_and_numbers_stay_numbers(
    app: Flask,
) -> None:
    people = _org(app, segment="retail")
    client = app.test_client()
    log_in(client, people["manager"])
    answer = client.get("/dashboards/export.csv?dialect=locale", headers=FRENCH)
    body = answer.get_data(as_text=True)
    assert body.startswith("\ufeff")  # Excel reads the file as UTF-8
    rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff")), delimiter=";"))
    by_name = {r[0]: r for r in rows[1:]}
    assert by_name["Chiffre d'affaires gagné"][2] == "1200,46"  # bare: no quote, no grouping
    assert by_name["Taux de réussite"][2] == "50,0"
    assert "1200,46;" in body and '"1200,46"' not in body


def test_the_english_dialect_keeps_commas_between_cells(app: Flask) -> None:
    people = _org(app, segment="retail")
    client = app.test_client()
    log_in(client, people["manager"])
    body = client.get("/dashboards/export.csv?dialect=locale").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[0][:2] == ["KPI", "Unit"]
    assert {r[0]: r for r in rows[1:]}["Revenue won"][2] == "1200.46"
