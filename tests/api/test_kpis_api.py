"""GET /api/v1/kpis/scorecard and the definitions, targets, inputs and decisions endpoints."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from gameplay.manage.challenges import create_challenge
from kpi_engine.db import utcnow
from kpi_engine.demo.org import ADMIN_EMAIL
from kpi_engine.kpis.alerts import evaluate_alerts
from kpi_engine.kpis.models import KpiInput
from kpi_engine.kpis.registry import REGISTRY
from kpi_engine.kpis.scorecards import DEFAULT_ROLE_KPIS
from kpi_engine.kpis.targets import set_target
from kpi_engine.org.models import Team, User
from kpi_engine.periods import quarter_of
from kpi_engine.sales.ingest import ingest_events
from tests.conftest import log_in
from tests.domain.game_setup import BEFORE, spec
from tests.factories import event, make_team, make_user
from web.cli_kpis import alert_changes
from web.extensions import db

QUARTER = "2026-Q1"
COLOURS = {"green", "amber", "red"}
CONTRACT = {"key", "name", "value", "unit", "status", "target", "previous", "projection"}
INPUTS = {"quota": 900000, "marketing_cost": 40000, "sales_cost": 60000, "forecast": 800000,
          "churned_customers": 2}  # fmt: skip


def _people(app: Flask) -> tuple[User, User, Team]:
    with app.app_context():
        rep = db.session.scalars(
            select(User).where(User.app_role == "rep", User.sales_role == "AE").order_by(User.id)
        ).first()
        assert rep is not None and rep.team is not None
        team, manager = rep.team, rep.team.manager
        assert manager is not None
        db.session.expunge_all()
        return rep, manager, team


def _card(client: FlaskClient, scope: str, period: str = QUARTER, **extra: str):  # type: ignore[no-untyped-def]
    query = {"scope": scope, "period": period, **extra}
    return client.get("/api/v1/kpis/scorecard", query_string=query)


def _put(client: FlaskClient, csrf: str, path: str, body: dict) -> None:  # type: ignore[type-arg]
    response = client.put(path, json=body, headers={"X-CSRFToken": csrf})
    assert response.status_code == 200, response.get_json()


def _enter_targets_and_inputs(client: FlaskClient, csrf: str, scope: str, period: str) -> None:
    for kind, amount in INPUTS.items():
        body = {"kind": kind, "scope": scope, "period": period, "amount": amount}
        _put(client, csrf, "/api/v1/kpis/inputs", body)
    for keys in DEFAULT_ROLE_KPIS.values():
        for key in keys:
            body = {"kpi_key": key, "scope": scope, "period": period, "target": 0.5}
            _put(client, csrf, "/api/v1/kpis/targets", body)


def test_a_rep_scorecard_has_every_ae_kpi_and_says_which_input_is_missing(
    demo_app: Flask,
) -> None:
    rep, _, _ = _people(demo_app)
    client = demo_app.test_client()
    log_in(client, rep.email)
    body = _card(client, f"rep:{rep.id}").get_json()
    assert (body["scope"], body["period"]) == (f"rep:{rep.id}", QUARTER)
    assert [k["key"] for k in body["kpis"]] == list(DEFAULT_ROLE_KPIS["AE"])
    assert all(set(k) >= CONTRACT for k in body["kpis"])
    quota = next(k for k in body["kpis"] if k["key"] == "quota_attainment")
    assert quota["value"] is None and "quota" in quota["reason"]
    size = next(k for k in body["kpis"] if k["key"] == "avg_deal_size")
    assert size["value"] > 0 and size["median"] > 0


def test_rep_team_and_org_scorecards_colour_every_default_kpi_once_targets_and_inputs_exist(
    demo_app: Flask,
) -> None:
    rep, _manager, team = _people(demo_app)
    client = demo_app.test_client()
    csrf = log_in(client, ADMIN_EMAIL)
    # Demo activities cover the last six weeks only, so the SDR card is read in October.
    # The demo's activities cover recent weeks only; the manager card counts them too.
    with demo_app.app_context():
        calls = [event("activity.logged", rep.email, f"2026-02-0{n}T10:00:00+00:00",
                       activity_id=f"q1-{n}", kind="call", outcome="connected")
                 for n in range(1, 4)]  # fmt: skip
        ingest_events(db.session(), calls, now=utcnow())
        db.session.commit()
    cards = [(f"rep:{rep.id}", QUARTER, "AE"), (f"team:{team.id}", QUARTER, "manager"),
             ("org", QUARTER, "manager"), ("org", "2026-10", "SDR")]  # fmt: skip
    for scope, period, role in cards:
        _enter_targets_and_inputs(client, csrf, scope, period)
        kpis = _card(client, scope, period, role=role).get_json()["kpis"]
        assert [k["key"] for k in kpis] == list(DEFAULT_ROLE_KPIS[role])
        uncoloured = {
            k["key"]: (k["status"], k["reason"]) for k in kpis if k["status"] not in COLOURS
        }
        assert uncoloured == {}, scope


def test_the_manager_card_leads_with_sales_kpis_and_names_the_inputs_the_others_need(
    demo_app: Flask,
) -> None:
    _, manager, team = _people(demo_app)
    client = demo_app.test_client()
    log_in(client, manager.email)
    body = _card(client, f"team:{team.id}").get_json()
    kpis = {k["key"]: k for k in body["kpis"]}
    assert list(kpis)[:4] == ["revenue_won", "win_rate", "avg_deal_size", "sales_cycle_days"]
    assert all(kpis[k]["value"] is not None for k in ("revenue_won", "win_rate", "avg_deal_size"))
    needing = ("quota_attainment", "cac", "ltv_to_cac", "forecast_accuracy")
    assert {k: kpis[k]["value"] for k in needing} == dict.fromkeys(needing)
    assert "marketing_cost and sales_cost" in kpis["cac"]["reason"]
    assert "forecast" in kpis["forecast_accuracy"]["reason"]
    assert "quota" in kpis["quota_attainment"]["reason"]
    assert body["awaiting_inputs"]["cac"] == ["marketing_cost", "sales_cost"]
    assert set(body["awaiting_inputs"]) == set(needing)


def test_an_integration_reads_any_registry_kpis_of_the_org_or_a_team(demo_app: Flask) -> None:
    _, _, team = _people(demo_app)
    client = demo_app.test_client()
    log_in(client, ADMIN_EMAIL)
    wanted = "revenue_won,win_rate,avg_deal_size"
    for scope in ("org", f"team:{team.id}"):
        response = _card(client, scope, kpis=wanted)
        assert response.status_code == 200, response.get_json()
        kpis = response.get_json()["kpis"]
        assert [k["key"] for k in kpis] == wanted.split(",")
        assert all(k["value"] is not None and set(k) >= CONTRACT for k in kpis)
    org = {k["key"]: k["value"] for k in _card(client, "org", kpis=wanted).get_json()["kpis"]}
    team_card = _card(client, f"team:{team.id}", kpis=wanted).get_json()
    one = {k["key"]: k["value"] for k in team_card["kpis"]}
    assert org["revenue_won"] > one["revenue_won"] > 0


def test_an_unknown_kpi_is_a_422_naming_it_and_at_most_ten_are_asked(demo_app: Flask) -> None:
    client = demo_app.test_client()
    log_in(client, ADMIN_EMAIL)
    unknown = _card(client, "org", kpis="win_rate,vibes")
    assert unknown.status_code == 422
    assert "vibes" in unknown.get_json()["error"]["fields"]["kpis"][0]
    eleven = ",".join(list(REGISTRY)[:11])
    too_many = _card(client, "org", kpis=eleven)
    assert too_many.status_code == 422 and "at most 10" in str(too_many.get_json()["error"])
    assert _card(client, "org", kpis=" , ").status_code == 422


def test_a_rep_may_see_only_their_own_scorecard(demo_app: Flask) -> None:
    rep, _, team = _people(demo_app)
    client = demo_app.test_client()
    log_in(client, rep.email)
    for scope in (f"team:{team.id}", "org", f"rep:{rep.id + 1}"):
        response = _card(client, scope)
        assert response.status_code == 403
        assert response.get_json()["error"]["fields"] == {"scope": ["not yours"]}


def test_a_manager_sees_their_teams_but_not_another_team_nor_the_org(demo_app: Flask) -> None:
    _, manager, team = _people(demo_app)
    with demo_app.app_context():
        other = db.session.scalar(select(Team.id).where(Team.id != team.id))
    client = demo_app.test_client()
    log_in(client, manager.email)
    assert _card(client, f"team:{team.id}").status_code == 200
    assert _card(client, f"team:{other}").status_code == 403
    assert _card(client, "org").status_code == 403


def test_bad_scope_or_period_is_a_422_naming_the_field(demo_app: Flask) -> None:
    rep, _, _ = _people(demo_app)
    client = demo_app.test_client()
    log_in(client, rep.email)
    bad_scope = client.get("/api/v1/kpis/scorecard?scope=planet:3&period=2026-Q1")
    bad_period = client.get(f"/api/v1/kpis/scorecard?scope=rep:{rep.id}&period=Q1-2026")
    assert bad_scope.status_code == 422 and "scope" in bad_scope.get_json()["error"]["fields"]
    assert bad_period.status_code == 422 and "period" in bad_period.get_json()["error"]["fields"]


def test_definitions_list_every_kpi_with_its_metadata(demo_app: Flask) -> None:
    rep, _, _ = _people(demo_app)
    client = demo_app.test_client()
    log_in(client, rep.email)
    definitions = client.get("/api/v1/kpis/definitions").get_json()["definitions"]
    keys = {d["key"] for d in definitions}
    assert {"win_rate", "cac", "ltv_to_cac", "forecast_accuracy", "pipeline_velocity"} <= keys
    assert all(d["perspective"] and d["indicator"] in ("leading", "lagging") for d in definitions)


def test_targets_are_read_back_and_a_red_threshold_on_the_wrong_side_is_refused(
    demo_app: Flask,
) -> None:
    _, manager, team = _people(demo_app)
    client = demo_app.test_client()
    csrf = log_in(client, manager.email)
    scope = f"team:{team.id}"
    body = {"kpi_key": "sales_cycle_days", "scope": scope, "period": QUARTER, "target": 60,
            "red_at": 50}  # fmt: skip
    refused = client.put("/api/v1/kpis/targets", json=body, headers={"X-CSRFToken": csrf})
    assert refused.status_code == 422 and "red_at" in refused.get_json()["error"]["fields"]
    _put(client, csrf, "/api/v1/kpis/targets", body | {"red_at": 75})
    listed = client.get("/api/v1/kpis/targets", query_string={"scope": scope, "period": QUARTER})
    assert listed.get_json()["targets"] == [
        {"kpi_key": "sales_cycle_days", "scope": scope, "period": QUARTER, "target": 60.0,
         "red_at": 75.0}
    ]  # fmt: skip


def test_unknown_fields_are_rejected(demo_app: Flask) -> None:
    _, manager, team = _people(demo_app)
    client = demo_app.test_client()
    csrf = log_in(client, manager.email)
    body = {"kind": "quota", "scope": f"team:{team.id}", "period": QUARTER, "amount": 5,
            "owner_id": 1}  # fmt: skip
    response = client.put("/api/v1/kpis/inputs", json=body, headers={"X-CSRFToken": csrf})
    assert response.status_code == 422
    assert "owner_id" in response.get_json()["error"]["fields"]


def test_a_manager_records_a_decision_linked_to_a_challenge(demo_app: Flask) -> None:
    _, manager, team = _people(demo_app)
    with demo_app.app_context():  # a challenge of the manager's team (decisions name only those)
        sprint = create_challenge(db.session(), spec([team.id]), manager, now=BEFORE)
        db.session.commit()
        sprint_id = sprint.id
    client = demo_app.test_client()
    csrf = log_in(client, manager.email)
    body = {"kpi_key": "win_rate", "scope": f"team:{team.id}", "period": QUARTER,
            "action": "Closing sprint", "challenge_id": sprint_id}  # fmt: skip
    response = client.post("/api/v1/kpis/decisions", json=body, headers={"X-CSRFToken": csrf})
    assert response.status_code == 201
    assert response.get_json()["challenge_id"] == sprint_id
    incomplete = client.post("/api/v1/kpis/decisions", json=body | {"challenge_id": None},
                             headers={"X-CSRFToken": csrf})  # fmt: skip
    assert incomplete.status_code == 422
    assert set(incomplete.get_json()["error"]["fields"]) == {"owner_id", "due_on",
                                                             "success_criterion"}  # fmt: skip


def test_import_inputs_cli_stores_a_good_file_and_refuses_a_bad_one_whole(
    app: Flask, tmp_path: Path
) -> None:
    with app.app_context():
        rep = make_user(db.session())
        db.session.commit()
        scope = f"rep:{rep.id}"
    good, bad = tmp_path / "good.csv", tmp_path / "bad.csv"
    good.write_text(f"kind,scope,period,amount\nquota,{scope},2026-Q1,1000\n")
    bad.write_text(
        f"kind,scope,period,amount\nforecast,{scope},2026-Q1,5\nquota,{scope},2026-Q9,1\n"
    )
    runner = app.test_cli_runner()
    refused = runner.invoke(args=["import-inputs", str(bad)])
    assert refused.exit_code != 0 and "line 3" in refused.output
    assert runner.invoke(args=["import-inputs", str(good)]).output.strip() == "imported 1 input(s)"
    with app.app_context():
        assert [i.kind for i in db.session.scalars(select(KpiInput))] == ["quota"]


def test_kpi_alerts_cli_raises_one_alert_per_crossing_and_notifies_the_owner(app: Flask) -> None:
    quarter = quarter_of(utcnow(), "UTC").label
    with app.app_context():
        session = db.session()
        manager = make_user(session, app_role="manager")
        team = make_team(session, manager=manager)
        rep = make_user(session, team=team)
        at = max(utcnow() - timedelta(hours=1), quarter_of(utcnow(), "UTC").start)
        ingest_events(session, [
            event("deal.created", rep, at, deal_id="x1", stage="Prospecting"),
            event("deal.lost", rep, at, deal_id="x1", amount="0"),
        ])  # fmt: skip
        set_target(session, kpi_key="win_rate", scope=f"team:{team.id}", period=quarter,
                   target=Decimal("0.5"))  # fmt: skip
        session.commit()
        owner = manager.id
        changes = alert_changes(evaluate_alerts(session, utcnow()))
        session.rollback()
    assert [(n.user_id, n.kind) for n in changes.notifications] == [(owner, "kpi_alert")]
    runner = app.test_cli_runner()
    assert runner.invoke(args=["kpi-alerts"]).output.strip() == "1 alert(s) raised"
    assert runner.invoke(args=["kpi-alerts"]).output.strip() == "0 alert(s) raised"
