"""Every CSV export: labels a person reads, numbers a spreadsheet can add up (negative ones
included), and no text cell a spreadsheet would run as a formula (the OWASP list)."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta
from decimal import Decimal

import numpy as np
import pytest
from flask import Flask
from flask.testing import FlaskClient

from kpi_engine.db import utcnow
from kpi_engine.periods import quarter_of
from kpi_engine.sales.ingest import ingest_events
from tests.conftest import PASSWORD, log_in
from tests.factories import event, make_team, make_user
from tests.impact_world import World, build_world
from web.auth import hash_password
from web.csv_export import kpi_number, neutralise
from web.extensions import db

HASH = hash_password(PASSWORD)
CODES = re.compile(r"^(team|rep|region):|_(rate|won|size|days|cost)\b|^[a-z]+_[a-z_]+$")


def _rows(response) -> list[list[str]]:  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.mimetype == "text/csv"
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


def _org(app: Flask, segment: str) -> dict[str, str]:
    with app.app_context():
        session = db.session()
        manager = make_user(session, app_role="manager", password_hash=HASH)
        team = make_team(session, manager=manager)
        rep = make_user(session, team=team, password_hash=HASH)
        admin = make_user(session, app_role="admin", password_hash=HASH)
        now = utcnow()
        at = max(quarter_of(now, "UTC").start, now - timedelta(days=1))
        ingest_events(session, [
            event("deal.created", rep, at, deal_id="d1", stage="Prospecting", segment=segment,
                  account="Acme", product="\r=1+1"),
            event("deal.won", rep, at, deal_id="d1", amount="1200.456"),
            event("deal.created", rep, at, deal_id="d2", stage="Prospecting", segment=segment),
            event("deal.lost", rep, at, deal_id="d2", amount="0"),
        ], now=now)  # fmt: skip
        people = {"admin": admin.email, "manager": manager.email, "rep_name": rep.name,
                  "team_name": team.name}  # fmt: skip
        session.commit()
        return people


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1+A1", "@SUM(A1)", "\t=1+1", "\r=1+1"])
def test_a_text_cell_a_spreadsheet_would_run_gets_a_leading_quote(text: str) -> None:
    assert neutralise(text) == "'" + text


@pytest.mark.parametrize("number", [-0.03, -12, 0, 1200.5, Decimal("-4.20"), np.float64(-0.5),
                                    np.int64(-3)])  # fmt: skip
def test_numbers_stay_numbers_negative_ones_too(number: object) -> None:
    assert neutralise(number) is number


def test_empty_and_non_finite_cells_are_blank_and_plain_text_is_kept() -> None:
    assert [neutralise(None), neutralise(float("nan")), neutralise("Acme")] == ["", "", "Acme"]
    assert neutralise("-0.03") == "'-0.03"  # text that looks like a number is still text


def test_kpi_numbers_are_rounded_to_their_unit_and_percent_reads_as_percent() -> None:
    assert kpi_number(0.123456, "percent") == 12.3
    assert kpi_number(1200.456, "currency") == 1200.46
    assert kpi_number(12.0, "count") == 12 and isinstance(kpi_number(12.0, "count"), int)
    assert kpi_number(-0.0312, "fraction") == -3.12
    assert kpi_number(None, "days") is None and kpi_number(float("inf"), "days") is None


def test_the_segment_and_product_exports_neutralise_tab_cr_and_formula_cells(app: Flask) -> None:
    people = _org(app, segment="\t=HYPERLINK(\"http://evil\")")
    client = app.test_client()
    log_in(client, people["admin"])
    segment = _rows(client.get("/dashboards/export.csv", query_string={"table": "segment"}))
    assert segment[0][:4] == ["Segment", "Revenue won (currency)", "Win rate (%)",
                              "Average deal size (currency)"]  # fmt: skip
    assert segment[1][0] == "'\t=HYPERLINK(\"http://evil\")"
    assert segment[1][1:4] == ["1200.46", "50.0", "1200.46"]
    product = _rows(client.get("/dashboards/export.csv", query_string={"table": "product"}))
    assert product[0][0] == "Product" and "'\r=1+1" in {r[0] for r in product[1:]}


def test_the_scorecard_export_names_kpis_units_and_statuses_in_words(app: Flask) -> None:
    people = _org(app, segment="retail")
    client = app.test_client()
    log_in(client, people["manager"])
    response = client.get("/dashboards/export.csv")
    assert people["team_name"].lower().replace(" ", "-") in response.headers["Content-Disposition"]
    rows = _rows(response)
    assert rows[0][:5] == ["KPI", "Unit", "Value", "Status", "Target"]
    by_name = {r[0]: r for r in rows[1:]}
    assert by_name["Revenue won"][1:3] == ["currency", "1200.46"]
    assert by_name["Win rate"][1:3] == ["%", "50.0"]
    assert by_name["Quota attainment"][2] == "" and "quota" in by_name["Quota attainment"][-1]
    cells = [c for r in rows for c in r[:9]]
    assert not [c for c in cells if CODES.search(c)], [c for c in cells if CODES.search(c)]


def test_the_per_person_export_names_reps(app: Flask) -> None:
    people = _org(app, segment="retail")
    client = app.test_client()
    log_in(client, people["manager"])
    rows = _rows(client.get("/dashboards/export.csv", query_string={"table": "rep"}))
    assert rows[0][0] == "Rep" and rows[1][0] == people["rep_name"]
    assert "Activities (count)" in rows[0]


def test_an_unknown_table_is_a_4xx_naming_the_field(app: Flask) -> None:
    people = _org(app, segment="retail")
    client = app.test_client()
    log_in(client, people["admin"])
    response = client.get("/dashboards/export.csv", query_string={"table": "vibes"})
    assert response.status_code == 422 and "table" in response.get_data(as_text=True)


@pytest.fixture
def world(app: Flask) -> World:
    return build_world(app)


def test_the_impact_export_keeps_negative_effects_as_numbers(
    client: FlaskClient, world: World
) -> None:
    log_in(client, world.manager)
    rows = _rows(client.get("/impact.csv", query_string={"kpis": "days_to_close,win_rate"}))
    header = rows[0]
    assert header[:5] == ["Challenge", "Kind", "Ended", "Audience (reps)", "Took part (reps)"]
    effect = header.index("Days to close: effect (days)")
    low = header.index("Days to close: 95% interval low (days)")
    # The planted campaign (participants close 12 days faster) is named "=SUM(A1)".
    planted = next(r for r in rows[1:] if r[0] == "'=SUM(A1)")
    assert float(planted[effect]) < 0 and float(planted[low]) < float(planted[effect])
    assert re.fullmatch(r"-\d+(\.\d)?", planted[effect]), planted[effect]
    assert planted[header.index("Days to close: verdict")] == "effect"
    assert planted[1] == "Upsell"
    assert "Win rate: effect (percentage points)" in header
