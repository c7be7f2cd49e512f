"""The KPI dashboards: scorecards by perspective, splits, per person, CSV exports that cannot
run formulas, freshness flags, and the manager's forms behind CSRF."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from kpi_engine.db import utcnow
from kpi_engine.kpis.models import KpiInput, KpiTarget
from kpi_engine.org.models import Team
from kpi_engine.periods import quarter_of
from kpi_engine.sales.ingest import ingest_events
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
    # Quota attainment waits for a quota, and the rep is told who enters it.
    assert "Quota attainment needs quotas for " + people["rep_name"] in html
    assert "your manager enters them" in html and "kpi-name\">Quota attainment" not in html
    assert "Data last updated" in html and "gone silent" not in html
    assert "Record decision" not in html and "Save target" not in html
    # The business's balanced scorecard and team splits are not a rep's.
    assert "Balanced scorecard" not in html and "Customer acquisition cost" not in html
    assert ">Team</a>" not in html and "Per person" not in html


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
    assert 'data-kind="bar"' in html and "<canvas" in html and people["rep_name"] in html
    # Scripts only from our own /static (the chart library is vendored), never a CDN.
    scripts = re.findall(r'<script src="([^"]+)"', html)
    assert scripts and all(s.startswith("/static/") for s in scripts), scripts
    assert "cdn" not in html.lower()


def _text(html: str) -> str:
    """What a person reads: the page without its tags, attributes and head."""
    body = html.split("<body", 1)[-1]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body))


def test_the_manager_card_leads_with_revenue_win_rate_deal_size_cycle_pipeline_and_activity(
    app: Flask,
) -> None:
    people = _org(app)
    client = app.test_client()
    log_in(client, people["manager"])
    html = _page(client)
    card = html.split('id="scorecard"', 1)[1].split("</section>", 1)[0]
    names = re.findall(r'class="kpi-name">([^<]+?)\s*<', card)
    assert names == ["Revenue won", "Win rate", "Average deal size", "Sales cycle (days)",
                     "Pipeline velocity", "Activities"]  # fmt: skip
    values = re.findall(r'class="kpi-value">([^<]+?)\s*<', card)
    assert values[:3] == ["$1,200", "50.0%", "$1,200"]  # money in ORG_CURRENCY
    text = _text(card)
    assert ("Quota attainment, Customer acquisition cost, LTV / CAC, Forecast accuracy need "
            "quotas, marketing costs, sales costs, churned customers, forecasts") in text
    assert "flask import-inputs FILE" in text


def test_kpis_that_need_inputs_appear_once_the_inputs_exist(app: Flask) -> None:
    people = _org(app)
    client = app.test_client()
    csrf = log_in(client, people["manager"])
    with app.app_context():
        team_id = db.session.scalar(select(Team.id))
    period = quarter_of(utcnow(), "UTC").label
    form = {"kind": "quota", "scope": f"team:{team_id}", "period": period, "amount": "2400",
            "csrf_token": csrf}  # fmt: skip
    saved = client.post("/dashboards/inputs", data=form, follow_redirects=True)
    assert "Quota saved." in saved.get_data(as_text=True)
    card = _page(client).split('id="scorecard"', 1)[1].split("</section>", 1)[0]
    assert 'class="kpi-name">Quota attainment' in card and "50.0%" in card
    assert "Customer acquisition cost, LTV / CAC, Forecast accuracy need" in _text(card)


def test_red_kpis_are_named_as_off_track_and_no_page_says_no_alert(app: Flask) -> None:
    people = _org(app)
    client = app.test_client()
    csrf = log_in(client, people["manager"])
    with app.app_context():
        team_id = db.session.scalar(select(Team.id))
    period = quarter_of(utcnow(), "UTC").label
    form = {"kpi_key": "win_rate", "scope": f"team:{team_id}", "period": period,
            "target": "0.9", "csrf_token": csrf}  # fmt: skip
    saved = client.post("/dashboards/targets", data=form, follow_redirects=True)
    assert "Target for Win rate saved." in saved.get_data(as_text=True)
    text = _text(_page(client))
    assert "1 off track: Win rate." in text
    assert "Win rate is off track: 50.0% against 90.0%" in text
    assert "No alert" not in text and "Nothing is off track" not in text


def test_pages_name_people_teams_and_inputs_never_their_codes(app: Flask) -> None:
    people = _org(app)
    client = app.test_client()
    log_in(client, people["manager"])
    html = _page(client)
    with app.app_context():
        team = db.session.scalars(select(Team)).one()
        team_name = team.name
    text = _text(html)
    assert f"KPIs {team_name} · " in text
    assert not re.search(r"\b(team|rep|region):\d", text), text
    for code in ("marketing_cost", "sales_cost", "churned_customers", "user id", "kpi_key"):
        assert code not in text, code
    assert "Marketing cost" in text and "Owner" in text
    owner = html.split('id="d-owner"', 1)[1].split("</select>", 1)[0]
    assert people["rep_name"] in owner


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
    assert "Not saved: Period:" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(KpiInput)) is None
