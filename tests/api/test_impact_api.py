"""GET /api/v1/challenges/<id>/impact, /api/v1/impact/compare, and the impact pages."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import log_in
from tests.impact_org import START
from tests.impact_world import World, build_world

CONTRACT = {"estimate", "ci_low", "ci_high", "naive_difference", "n_participants", "n_control",
            "n_deals", "method", "warnings"}  # fmt: skip


@pytest.fixture
def world(app: Flask) -> World:
    return build_world(app)


def test_a_manager_reads_the_impact_contract_of_their_challenge(
    client: FlaskClient, world: World
) -> None:
    log_in(client, world.manager)
    response = client.get(f"/api/v1/challenges/{world.campaigns[0]}/impact")
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["challenge_id"] == world.campaigns[0]
    assert set(body["window"]) == {"start", "end"} and set(body["pre_window"]) == {"start", "end"}
    for key in ("win_rate", "avg_deal_size", "days_to_close"):
        assert set(body["kpis"][key]) >= CONTRACT
    days = body["kpis"]["days_to_close"]
    assert days["verdict"] == "effect"
    assert days["ci_high"] < 0
    assert body["participants"] == 15 and body["audience_size"] == 30
    assert body["reward_cost"] == "300.00"
    assert {i["kpi"] for i in body["intensity"]} >= {"win_rate", "days_to_close"}


def test_a_manager_picks_registry_kpis_by_key(client: FlaskClient, world: World) -> None:
    log_in(client, world.manager)
    response = client.get(
        f"/api/v1/challenges/{world.campaigns[0]}/impact",
        query_string={"kpis": "sales_cycle_days,quota_attainment"},
    )
    assert response.status_code == 200, response.get_json()
    kpis = response.get_json()["kpis"]
    assert set(kpis) == {"sales_cycle_days", "quota_attainment"}
    assert all(set(k) >= CONTRACT for k in kpis.values())
    cycle = kpis["sales_cycle_days"]
    assert cycle["verdict"] == "effect" and cycle["ci_high"] < 0 and cycle["n_deals"] > 0
    quota = kpis["quota_attainment"]
    assert quota["estimate"] is None and quota["naive_difference"] is None
    assert "not measurable per rep" in quota["warnings"][0]


def test_a_comparison_reads_the_kpis_asked_for(client: FlaskClient, world: World) -> None:
    log_in(client, world.manager)
    ids = ",".join(str(c) for c in world.campaigns)
    query = {"challenges": ids, "kpis": "sales_cycle_days"}
    rows = client.get("/api/v1/impact/compare", query_string=query).get_json()["challenges"]
    assert [list(r["kpis"]) for r in rows] == [["sales_cycle_days"]] * 2


@pytest.mark.parametrize("path", ["/api/v1/challenges/{id}/impact", "/api/v1/impact/compare"])
def test_an_unknown_kpi_key_is_refused_naming_it(
    client: FlaskClient, world: World, path: str
) -> None:
    log_in(client, world.manager)
    query = {"challenges": str(world.campaigns[0]), "kpis": "win_rate,happiness"}
    if "{id}" in path:
        query.pop("challenges")
    response = client.get(path.format(id=world.campaigns[0]), query_string=query)
    assert response.status_code == 422
    assert "'happiness'" in response.get_json()["error"]["fields"]["kpis"][0]


def test_a_rep_is_refused_the_impact_with_403(client: FlaskClient, world: World) -> None:
    log_in(client, world.rep)
    assert client.get(f"/api/v1/challenges/{world.campaigns[0]}/impact").status_code == 403
    compare = client.get("/api/v1/impact/compare", query_string={"challenges": "1"})
    assert compare.status_code == 403


def test_a_manager_of_other_teams_does_not_see_the_challenge(
    client: FlaskClient, world: World
) -> None:
    log_in(client, world.other_manager)
    response = client.get(f"/api/v1/challenges/{world.campaigns[0]}/impact")
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


def test_an_admin_compares_challenges_in_the_order_asked(client: FlaskClient, world: World) -> None:
    log_in(client, world.admin)
    ids = f"{world.campaigns[1]},{world.campaigns[0]}"
    response = client.get("/api/v1/impact/compare", query_string={"challenges": ids})
    assert response.status_code == 200, response.get_json()
    rows = response.get_json()["challenges"]
    assert [r["challenge_id"] for r in rows] == [world.campaigns[1], world.campaigns[0]]
    assert all(set(r["kpis"]["win_rate"]) >= CONTRACT for r in rows)
    assert all(r["intensity"] == [] for r in rows)  # a comparison reads the effects only


@pytest.mark.parametrize(
    "query", [{}, {"challenges": "a,b"}, {"challenges": "1", "extra": "x"}, {"challenges": "0"}]
)
def test_a_bad_compare_query_is_refused_naming_the_field(
    client: FlaskClient, world: World, query: dict[str, str]
) -> None:
    log_in(client, world.manager)
    response = client.get("/api/v1/impact/compare", query_string=query)
    assert response.status_code == 422
    assert response.get_json()["error"]["fields"]


def test_a_challenge_that_has_not_run_has_no_impact_yet(client: FlaskClient, world: World) -> None:
    log_in(client, world.manager)
    response = client.get(f"/api/v1/challenges/{world.draft}/impact")
    assert response.status_code == 422
    assert "draft" in response.get_json()["error"]["message"]


def test_the_manager_page_shows_the_funnel_the_table_and_the_charts(
    client: FlaskClient, world: World
) -> None:
    log_in(client, world.manager)
    html = client.get(f"/impact/challenges/{world.campaigns[0]}").get_data(as_text=True)
    assert "50%" in html and "Win a deal" in html
    assert "Naive difference" in html and "not an effect" in html
    # four before/during charts and four scatters, each with its numbers as a table
    assert html.count('data-kind="line"') == 4 and html.count('data-kind="scatter"') == 4
    assert html.count('data-kind="hbar"') == 1  # mission completion
    assert "&lt;script" not in html and "=SUM(A1)" in html


def test_a_manager_picks_more_kpis_on_the_page(client: FlaskClient, world: World) -> None:
    log_in(client, world.manager)
    page = f"/impact/challenges/{world.campaigns[0]}"
    default = client.get(page).get_data(as_text=True)
    assert 'value="sales_cycle_days">' in default and 'value="win_rate" checked' in default
    query = {"kpis": ["days_to_close", "sales_cycle_days", "cac"]}
    html = client.get(page, query_string=query).get_data(as_text=True)
    assert 'value="sales_cycle_days" checked' in html and 'value="win_rate">' in html
    assert "Sales cycle (days)" in html and "not measurable per rep" in html
    # a before/during chart and a scatter for each KPI
    assert html.count('data-kind="line"') == 3 and html.count('data-kind="scatter"') == 3


def test_the_leadership_page_filters_by_kind_and_draws_a_forest_plot(
    client: FlaskClient, world: World
) -> None:
    log_in(client, world.manager)
    html = client.get("/impact", query_string={"kind": "prospecting"}).get_data(as_text=True)
    assert "Blitz" in html and "=SUM(A1)" not in html
    assert html.count('class="chart"') == 4
    empty = client.get("/impact", query_string={"period": "2020-Q1"}).get_data(as_text=True)
    assert "No ended challenge matches" in empty
    assert client.get("/impact", query_string={"period": "soon"}).status_code == 422


def test_the_csv_export_neutralises_formula_cells(client: FlaskClient, world: World) -> None:
    log_in(client, world.manager)
    response = client.get("/impact.csv")
    assert response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    names = {row[0] for row in rows[1:]}
    assert names == {"'=SUM(A1)", "Blitz"}
    assert "Win rate: effect (percentage points)" in rows[0]


def test_leadership_compares_challenges_on_the_kpis_it_picks(
    client: FlaskClient, world: World
) -> None:
    log_in(client, world.manager)
    # As the page's form sends it: every field, the empty ones too.
    query = {"kpis": ["activities", "sales_cycle_days"], "kind": "prospecting", "period": ""}
    html = client.get("/impact", query_string=query).get_data(as_text=True)
    assert 'value="activities" checked' in html and 'value="win_rate">' in html
    assert html.count('class="chart"') == 2 and "Win rate effect" not in html
    assert "kpis=activities,sales_cycle_days" in html.replace("%2C", ",")  # the CSV link keeps them
    response = client.get("/impact.csv", query_string={"kpis": "activities,cac"})
    header = next(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert "Activities per rep: effect (count)" in header
    assert "Customer acquisition cost: verdict" in header
    assert not [h for h in header if h.startswith("Win rate")]
    unknown = client.get("/impact", query_string={"kpis": "activities,vibes"})
    assert unknown.status_code == 422 and "vibes" in unknown.get_data(as_text=True)


def _past_body(world: World, **changes: object) -> dict[str, object]:
    body = {
        "name": "Autumn 2025 push (before SalesQuest)",
        "kind": "upsell",
        "starts_at": START.isoformat(),
        "ends_at": (START + timedelta(days=30)).isoformat(),
        "audience": {"team_ids": [world.team_id]},
        "rules": [{"fact": "deal_won", "points": 10}],
        "participant_ids": list(world.participant_ids[:10]),
    }
    return body | changes


def test_a_manager_records_a_past_campaign_and_measures_it(
    client: FlaskClient, world: World
) -> None:
    csrf = log_in(client, world.manager)
    response = client.post(
        "/api/v1/past-campaigns", json=_past_body(world), headers={"X-CSRFToken": csrf}
    )
    assert response.status_code == 201, response.get_json()
    created = response.get_json()
    assert created["status"] == "ended"
    board = client.get(f"/api/v1/challenges/{created['id']}/leaderboard").get_json()
    assert {row["points"] for row in board["rows"]} == {0}
    impact = client.get(f"/api/v1/challenges/{created['id']}/impact").get_json()
    assert impact["participants"] == 10


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"ends_at": "2999-01-01T00:00:00+00:00"}, "ends_at"),
        ({"participant_ids": []}, "participant_ids"),
        ({"points": 5}, "points"),
    ],
)
def test_a_past_campaign_that_cannot_be_recorded_is_refused_naming_the_field(
    client: FlaskClient, world: World, changes: dict[str, object], field: str
) -> None:
    csrf = log_in(client, world.manager)
    response = client.post(
        "/api/v1/past-campaigns", json=_past_body(world, **changes), headers={"X-CSRFToken": csrf}
    )
    assert response.status_code == 422
    assert field in response.get_json()["error"]["fields"]


def test_a_rep_cannot_record_a_past_campaign(client: FlaskClient, world: World) -> None:
    csrf = log_in(client, world.rep)
    response = client.post(
        "/api/v1/past-campaigns", json=_past_body(world), headers={"X-CSRFToken": csrf}
    )
    assert response.status_code == 403


def test_a_manager_records_a_past_campaign_from_the_page(client: FlaskClient, world: World) -> None:
    csrf = log_in(client, world.manager)
    page = client.get("/impact/past-campaigns/new").get_data(as_text=True)
    assert f'value="{world.participant_ids[0]}"' in page
    form = {
        "csrf_token": csrf,
        "name": "Summer push 2026",
        "kind": "upsell",
        "team_id": str(world.team_id),
        "starts_on": "2026-06-01",
        "ends_on": "2026-06-30",
        "participant_ids": [str(i) for i in world.participant_ids],
    }
    response = client.post("/impact/past-campaigns", data=form, follow_redirects=True)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Campaign recorded" in html and "Summer push 2026" in html
    assert "50%" in html


def test_a_past_campaign_form_without_participants_is_refused(
    client: FlaskClient, world: World
) -> None:
    csrf = log_in(client, world.manager)
    form = {"csrf_token": csrf, "name": "Nobody", "team_id": str(world.team_id),
            "starts_on": "2026-06-01", "ends_on": "2026-06-30"}  # fmt: skip
    response = client.post("/impact/past-campaigns", data=form)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    # Said beside the field, in words, with what was typed kept.
    assert 'id="participant_ids-error"' in html and "Tick who took part" in html
    assert 'value="Nobody"' in html and 'value="2026-06-30"' in html


def test_a_past_campaign_refused_by_the_domain_is_said_in_french_beside_its_field(
    client: FlaskClient, world: World
) -> None:
    csrf = log_in(client, world.manager)
    form = {"csrf_token": csrf, "name": "Personne", "team_id": str(world.team_id),
            "starts_on": "2026-06-01", "ends_on": "2026-06-30",
            "participant_ids": ["999999"]}  # fmt: skip
    response = client.post("/impact/past-campaigns", data=form, headers={"Accept-Language": "fr"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="participant_ids-error"' in html and "utilisateur inconnu 999999" in html
    assert "unknown user" not in html
