"""The KPI dashboards: scorecards by perspective, splits, per person, CSV exports that cannot
run formulas, freshness flags, and the manager's forms behind CSRF."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from kpi_engine.db import utcnow
from kpi_engine.events import ingest_events
from kpi_engine.kpi_models import KpiInput, KpiTarget
from kpi_engine.models import Team
from kpi_engine.periods import quarter_of
from tests.conftest import PASSWORD, log_in
from tests.factories import event, make_team, make_user
from web.auth import hash_password
from web.extensions import db

HASH = hash_password(PASSWORD)


def _org(app: Flask, *, segment: str = "retail", received_days_ago: int = 0) -> dict[str, str]:
    """A manager, their team with one rep who won and lost a deal this quarter, and an admin."""
    with app.app_context():
        session = db.session()
        manager = make_user(session, app_role="manager", password_hash=HASH)
        team = make_team(session, manager=manager)
        rep = make_user(session, team=team, password_hash=HASH)
        admin = make_user(session, app_role="admin", password_hash=HASH)
        now = utcnow()
        at = max(quarter_of(now, "UTC").start, now - timedelta(days=received_days_ago + 1))
        events = [
            event("deal.created", rep, at, deal_id="d1", stage="Prospecting", segment=segment,
                  account="Acme", product="GTX"),
            event("deal.won", rep, at, deal_id="d1", amount="1200"),
            event("deal.created", rep, at, deal_id="d2", stage="Prospecting", segment=segment),
            event("deal.lost", rep, at, deal_id="d2", amount="0"),
        ]  # fmt: skip
        ingest_events(session, events, now=now - timedelta(days=received_days_ago))
        people = {"manager": manager.email, "rep": rep.email, "admin": admin.email,
                  "rep_name": rep.name}  # fmt: skip
        session.commit()
        return people


def _page(client: FlaskClient, **query: str) -> str:
    response = client.get("/dashboards", query_string=query)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return response.get_data(as_text=True)


def test_a_rep_sees_their_own_scorecard_with_freshness_and_no_manager_forms(app: Flask) -> None:
    people = _org(app)
    client = app.test_client()
    log_in(client, people["rep"])
    html = _page(client)
    assert "Closing scorecard" in html and "Win rate" in html and "50.0%" in html
    assert "needs a quota for this scope and period" in html
    assert "Data last updated" in html and "gone silent" not in html
    assert "Record decision" not in html and "Save target" not in html


def test_a_manager_sees_level_one_by_perspective_splits_people_alerts_and_decisions(
    app: Flask,
) -> None:
    people = _org(app)
    client = app.test_client()
    log_in(client, people["manager"])
    html = _page(client)
    headings = ("Financial", "Customer", "Internal process", "Learning and growth", "By segment",
                "Per person", "Stage funnel", "Alerts", "Decision log")  # fmt: skip
    for heading in headings:
        assert heading in html, heading
    assert "<svg" in html and people["rep_name"] in html
    assert "<script src=" not in html and "cdn" not in html.lower()


def test_a_source_gone_silent_is_flagged(app: Flask) -> None:
    people = _org(app, received_days_ago=5)
    client = app.test_client()
    log_in(client, people["manager"])
    assert "Source “api” has gone silent." in _page(client)


def test_a_rep_cannot_open_another_scope(app: Flask) -> None:
    people = _org(app)
    client = app.test_client()
    log_in(client, people["rep"])
    assert client.get("/dashboards", query_string={"scope": "org"}).status_code == 403


def test_csv_exports_neutralise_cells_a_spreadsheet_would_run(app: Flask) -> None:
    people = _org(app, segment='=HYPERLINK("http://evil")')
    client = app.test_client()
    log_in(client, people["admin"])
    response = client.get("/dashboards/export.csv", query_string={"table": "segment"})
    assert response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0][:3] == ["segment", "revenue_won", "win_rate"]
    assert rows[1][0] == '\'=HYPERLINK("http://evil")'
    assert rows[1][1:3] == ["1200.0", "0.5"]


def test_every_table_exports(app: Flask) -> None:
    people = _org(app)
    client = app.test_client()
    log_in(client, people["admin"])
    for table in ("scorecard", "level1", "segment", "product", "team", "rep"):
        response = client.get("/dashboards/export.csv", query_string={"table": table})
        assert response.status_code == 200, table
        assert len(list(csv.reader(io.StringIO(response.get_data(as_text=True))))) >= 2


def test_the_target_form_needs_the_csrf_token_and_saves_with_it(app: Flask) -> None:
    people = _org(app)
    client = app.test_client()
    csrf = log_in(client, people["manager"])
    with app.app_context():
        team_id = db.session.scalar(select(Team.id))
    form = {"kpi_key": "win_rate", "scope": f"team:{team_id}", "period": "2026-Q1",
            "target": "0.6", "red_at": ""}  # fmt: skip
    assert client.post("/dashboards/targets", data=form).status_code == 400
    saved = client.post("/dashboards/targets", data=form | {"csrf_token": csrf})
    assert saved.status_code == 302
    with app.app_context():
        target = db.session.scalar(select(KpiTarget))
        assert target is not None and float(target.target) == 0.6 and target.red_at is None


def test_a_bad_input_form_is_flashed_and_nothing_is_stored(app: Flask) -> None:
    people = _org(app)
    client = app.test_client()
    csrf = log_in(client, people["manager"])
    with app.app_context():
        team_id = db.session.scalar(select(Team.id))
    form = {"kind": "quota", "scope": f"team:{team_id}", "period": "2026-13", "amount": "5",
            "csrf_token": csrf}  # fmt: skip
    response = client.post("/dashboards/inputs", data=form, follow_redirects=True)
    assert "Not saved" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(KpiInput)) is None
