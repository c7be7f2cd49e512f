"""Calendar days through the product's doors: a file imported by `import-crm` or the Import
page, read back by the scorecard API of a server whose ORG_TIMEZONE has changed since, and
undated rows reported by the dry run and named by the KPIs that leave them out."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import PASSWORD, finished_import, log_in, make_app
from tests.factories import make_user
from web.auth import hash_password
from web.extensions import db

DATA = Path(__file__).resolve().parent.parent / "data"
UNDATED = "3 rows have no creation date (Create Date empty; lines 3, 4, 5)"


@pytest.fixture
def people(app: Flask) -> None:
    with app.app_context():
        s = db.session()
        make_user(
            s, app_role="admin", email="admin@example.test", password_hash=hash_password(PASSWORD)
        )
        make_user(s, email="ann@example.test")
        make_user(s, email="bob@example.test")
        s.commit()


def card(client: FlaskClient, period: str, kpis: str) -> dict[str, dict[str, object]]:
    query = {"scope": "org", "period": period, "kpis": kpis}
    response = client.get("/api/v1/kpis/scorecard", query_string=query)
    assert response.status_code == 200, response.get_json()
    return {row["key"]: row for row in response.get_json()["kpis"]}


def test_deals_imported_in_utc_stay_on_their_days_when_the_org_moves_to_auckland(
    app: Flask, database_url: str, people: None
) -> None:
    imported = app.test_cli_runner().invoke(
        args=["import-crm", str(DATA / "hubspot_eu_calendar.csv")]
    )
    assert imported.exit_code == 0, imported.output
    auckland = make_app(database_url, ORG_TIMEZONE="Pacific/Auckland")
    client = auckland.test_client()
    log_in(client, "admin@example.test")
    q4 = card(client, "2017-Q4", "revenue_won,sales_cycle_days")
    # Closed on 2 November and on New Year's Eve: both still in 2017-Q4, whole days each.
    assert q4["revenue_won"]["value"] == 5000.5
    assert q4["sales_cycle_days"]["value"] == (13 + 30) / 2
    assert q4["sales_cycle_days"]["note"] is None
    q1 = card(client, "2018-Q1", "revenue_won")["revenue_won"]
    assert q1["value"] is None and q1["reason"] == "no deal closed in the period"


def test_the_dry_run_and_the_import_report_undated_rows_and_the_card_names_them(
    app: Flask, client: FlaskClient, people: None
) -> None:
    path = str(DATA / "hubspot_undated.csv")
    dry = app.test_cli_runner().invoke(args=["import-crm", "--dry-run", path])
    assert dry.exit_code == 0 and f"  undated: {UNDATED}:" in dry.output
    csrf = log_in(client, "admin@example.test")
    body = {
        "csrf_token": csrf,
        "action": "import",
        "files": [(io.BytesIO(Path(path).read_bytes()), "hubspot_undated.csv")],
    }
    page = finished_import(client, client.post("/imports", data=body))
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "Imported: " in text and UNDATED in text
    q2 = card(client, "2026-Q2", "pipeline_conversion,sales_cycle_days")
    assert q2["pipeline_conversion"]["value"] == 0.5
    assert q2["pipeline_conversion"]["note"] == "3 deals without a creation date left out"
    assert q2["sales_cycle_days"]["note"] == "1 deal without a creation date left out"
    query = {"scope": "org", "period": "2026-Q2"}
    dashboard = client.get("/dashboards", query_string=query)
    assert "1 deal without a creation date left out" in dashboard.get_data(as_text=True)
    export = client.get("/dashboards/export.csv", query_string=query).get_data(as_text=True)
    header, *rows = csv.reader(io.StringIO(export))
    cycle = next(r for r in rows if r[0] == "Sales cycle (days)")
    assert cycle[header.index("Left out")] == "1 deal without a creation date left out"
