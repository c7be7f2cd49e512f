"""No request crashes a view: each class of out-of-bounds input gets a 4xx JSON error naming
the field and the bound, and leaves every table as it was (issue 16, item 13)."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from kpi_engine.db import Base, utcnow
from tests.conftest import PASSWORD, log_in
from tests.factories import make_team, make_user
from web.auth import hash_password, issue_token
from web.extensions import db, socketio

NOW = utcnow().replace(microsecond=0)
HUGE = 10**20
BOUND = "2147483647"


@pytest.fixture
def org(app: Flask) -> dict[str, Any]:
    """An admin, a manager of one team, a rep in it, and one draft challenge; with tokens."""
    with app.app_context():
        s = db.session()
        admin = make_user(s, app_role="admin", email="admin@example.test")
        manager = make_user(s, app_role="manager", email="boss@example.test")
        team = make_team(s, "East", manager=manager)
        rep = make_user(
            s, email="ann@example.test", team=team, password_hash=hash_password(PASSWORD)
        )
        people = {
            "team_id": team.id,
            "rep_id": rep.id,
            "tokens": {"admin": issue_token(admin), "manager": issue_token(manager),
                       "rep": issue_token(rep)},
        }  # fmt: skip
        s.commit()
    client = app.test_client()
    created = call(
        client, people, "manager", "POST", "/challenges",
        challenge(audience={"team_ids": [people["team_id"]]}),
    )  # fmt: skip
    assert created.status_code == 201, created.get_json()
    people["challenge_id"] = created.get_json()["id"]
    return people


def challenge(**extra: Any) -> dict[str, Any]:
    return {
        "name": "Blitz",
        "starts_at": (NOW + timedelta(days=1)).isoformat(),
        "ends_at": (NOW + timedelta(days=8)).isoformat(),
        "audience": {"team_ids": []},
        "rules": [{"fact": "activity", "points": 5}],
        **extra,
    }


def call(client: FlaskClient, org: dict[str, Any], who: str, method: str, url: str,
         body: Any = None, raw: str | None = None):  # fmt: skip
    headers = {"Authorization": f"Bearer {org['tokens'][who]}"}
    if raw is not None:
        headers["Content-Type"] = "application/json"
        return client.open(f"/api/v1{url}", method=method, data=raw, headers=headers)
    return client.open(f"/api/v1{url}", method=method, json=body, headers=headers)


def row_counts(app: Flask) -> dict[str, int]:
    with app.app_context():
        return {
            t.name: db.session.scalar(select(func.count()).select_from(t)) or 0
            for t in Base.metadata.sorted_tables
        }


def assert_refused(response: Any, status: int, field: str, bound: str) -> None:
    assert response.status_code == status, response.get_data(as_text=True)
    error = response.get_json()["error"]
    assert set(error) == {"code", "message", "fields"}
    named = json.dumps(error, ensure_ascii=False)
    assert field in named, error
    assert bound in named, error


@pytest.mark.parametrize(
    "who,method,url",
    [
        ("rep", "GET", f"/challenges/{HUGE}"),
        ("rep", "GET", f"/challenges/{HUGE}/leaderboard"),
        ("manager", "POST", f"/challenges/{HUGE}/launch"),
        ("rep", "POST", f"/challenges/1/missions/{HUGE}/proofs"),
        ("manager", "POST", f"/redemptions/{HUGE}/fulfil"),
        ("manager", "GET", f"/challenges/{HUGE}/impact"),
    ],
)
def test_an_id_too_large_for_the_database_in_a_path_is_a_404_naming_the_bound(
    app: Flask, client: FlaskClient, org: dict[str, Any], who: str, method: str, url: str
):
    before = row_counts(app)
    response = call(client, org, who, method, url, body={})
    assert_refused(response, 404, "ids", BOUND)
    assert row_counts(app) == before


@pytest.mark.parametrize(
    "who,url,field,bound",
    [
        ("manager", f"/impact/compare?challenges=1,{HUGE}", "challenges", BOUND),
        ("rep", f"/kpis/scorecard?scope=team:{HUGE}&period=2026-Q1", "scope", BOUND),
        ("rep", f"/kpis/targets?scope=rep:{HUGE}&period=2026-Q1", "scope", BOUND),
        ("rep", f"/challenges/1/leaderboard?limit={HUGE}", "limit", "500"),
    ],
)
def test_an_id_too_large_in_a_query_string_is_a_422_naming_the_field(
    app: Flask, client: FlaskClient, org: dict[str, Any], who: str, url: str, field: str,
    bound: str,
):  # fmt: skip
    response = call(client, org, who, "GET", url.replace("/1/", f"/{org['challenge_id']}/"))
    assert_refused(response, 422, field, bound)


BIG_BODIES = [
    ("manager", "POST", "/challenges/{c}/adjustments",
     {"user_id": HUGE, "points": 5, "reason": "x"}, "user_id"),
    ("rep", "POST", "/me/redemptions", {"reward_id": HUGE}, "reward_id"),
    ("manager", "POST", "/rewards", {"name": "Mug", "cost": HUGE}, "cost"),
    ("manager", "POST", "/challenges", challenge(top_n=HUGE), "top_n"),
    ("manager", "POST", "/challenges", challenge(format="race", target=HUGE), "target"),
    ("manager", "POST", "/challenges", challenge(audience={"user_ids": [HUGE]}), "user_ids"),
    ("manager", "POST", "/challenges", challenge(audience={"team_ids": [HUGE]}), "team_ids"),
    ("manager", "PUT", "/challenges/{c}", challenge(top_n=HUGE), "top_n"),
    ("manager", "POST", "/kpis/decisions",
     {"kpi_key": "win_rate", "scope": "org", "period": "2026-Q1", "action": "x",
      "owner_id": HUGE}, "owner_id"),
    ("manager", "POST", "/kpis/decisions",
     {"kpi_key": "win_rate", "scope": "org", "period": "2026-Q1", "action": "x",
      "challenge_id": HUGE}, "challenge_id"),
    ("manager", "POST", "/past-campaigns", {**challenge(), "participant_ids": [HUGE]},
     "participant_ids"),
    ("manager", "PUT", "/kpis/targets",
     {"kpi_key": "win_rate", "scope": f"team:{HUGE}", "period": "2026-Q1", "target": 1},
     "scope"),
]  # fmt: skip


@pytest.mark.parametrize("who,method,url,body,field", BIG_BODIES)
def test_an_integer_too_large_in_a_body_is_a_422_naming_the_field_and_bound(
    app: Flask, client: FlaskClient, org: dict[str, Any], who: str, method: str, url: str,
    body: dict[str, Any], field: str,
):  # fmt: skip
    before = row_counts(app)
    response = call(client, org, who, method, url.format(c=org["challenge_id"]), body)
    assert_refused(response, 422, field, BOUND)
    assert row_counts(app) == before


DEEP = "[" * 100_000 + "]" * 100_000


@pytest.mark.parametrize(
    "who,method,url",
    [
        ("manager", "POST", "/challenges"),
        ("admin", "POST", "/events"),
        ("rep", "PUT", "/me/preferences"),
        ("manager", "PUT", "/kpis/targets"),
    ],
)
def test_json_nested_100000_deep_is_a_422_naming_the_depth(
    app: Flask, client: FlaskClient, org: dict[str, Any], who: str, method: str, url: str
):
    before = row_counts(app)
    response = call(client, org, who, method, url, raw=DEEP)
    assert_refused(response, 422, "_body", "20 levels")
    assert row_counts(app) == before


def sale(amount_literal: str, **extra: str) -> str:
    occurred = extra.get("occurred_at", NOW.isoformat())
    return (
        '{"id": "e-1", "type": "deal.won", "occurred_at": "' + occurred + '", '
        '"rep": "ann@example.test", "data": {"deal_id": "D-1", "amount": ' + amount_literal + "}}"
    )


@pytest.mark.parametrize("literal", ["1e308", '"1e309"', "1e309", "1" + "0" * 400, "-1e309"])
def test_an_amount_beyond_any_sane_value_is_refused_naming_the_field(
    app: Flask, client: FlaskClient, org: dict[str, Any], literal: str
):
    before = row_counts(app)
    response = call(client, org, "admin", "POST", "/events", raw=sale(literal))
    assert response.status_code == 422, response.get_data(as_text=True)
    (rejected,) = response.get_json()["rejected"]
    assert "999999999999.99" in rejected["errors"]["data.amount"][0]
    reward = '{"name": "Mug", "cost": 10, "cash_value": ' + literal + "}"
    assert_refused(call(client, org, "manager", "POST", "/rewards", raw=reward), 422,
                   "cash_value", "999999999999.99")  # fmt: skip
    kpi_input = '{"kind": "quota", "scope": "org", "period": "2026-Q1", "amount": ' + literal + "}"
    assert_refused(call(client, org, "admin", "PUT", "/kpis/inputs", raw=kpi_input), 422,
                   "amount", "999999999999.99")  # fmt: skip
    assert row_counts(app) == before


FAR_DATES = [
    "0001-01-01T00:00:00+05:00",
    "9999-12-31T23:00:00-05:00",
    "1969-12-31T23:59:59+00:00",
    (NOW + timedelta(days=800)).isoformat(),
]


@pytest.mark.parametrize("moment", FAR_DATES)
def test_a_date_outside_the_business_range_is_refused_not_stored(
    app: Flask, client: FlaskClient, org: dict[str, Any], moment: str
):
    before = row_counts(app)
    made = call(client, org, "manager", "POST", "/challenges", challenge(starts_at=moment))
    assert_refused(made, 422, "starts_at", "1970-01-01")
    sent = call(client, org, "admin", "POST", "/events", raw=sale("10", occurred_at=moment))
    assert sent.status_code == 422, sent.get_data(as_text=True)
    assert "1970-01-01" in sent.get_json()["rejected"][0]["errors"]["occurred_at"][0]
    decision = {"kpi_key": "win_rate", "scope": "org", "period": "2026-Q1", "action": "x",
                "due_on": moment[:10]}  # fmt: skip
    assert_refused(call(client, org, "manager", "POST", "/kpis/decisions", decision), 422,
                   "due_on", "1970-01-01")  # fmt: skip
    assert row_counts(app) == before


@pytest.mark.parametrize("period", ["0001-01-01", "9999-12-31", "0001-01-01..2026-01-01",
                                    "9999-W52", "1969-Q4"])  # fmt: skip
def test_a_period_outside_the_business_range_is_a_422_naming_the_period(
    app: Flask, client: FlaskClient, org: dict[str, Any], period: str
):
    response = call(client, org, "rep", "GET", f"/kpis/scorecard?scope=org&period={period}")
    assert response.status_code in (403, 422)
    response = call(client, org, "admin", "GET", f"/kpis/scorecard?scope=org&period={period}")
    assert_refused(response, 422, "period", "1970")


@pytest.mark.parametrize(
    "who,method,url,body,field",
    [
        ("admin", "POST", "/events",
         '{"id": "e-2", "type": "activity.logged", "occurred_at": "' + NOW.isoformat() + '", '
         '"rep": "ann@example.test", "data": {"activity_id": "A-1", "kind": "call", '
         '"outcome": "connected", "note": "hi \\ud800"}}', "data.note"),
        ("manager", "POST", "/challenges", '{"name": "\\udfff"}', "name"),
        ("rep", "PUT", "/me/preferences", '{"muted_kinds": ["\\ud800"]}', "muted_kinds.0"),
    ],
)  # fmt: skip
def test_a_lone_surrogate_is_a_422_naming_the_field(
    app: Flask, client: FlaskClient, org: dict[str, Any], who: str, method: str, url: str,
    body: str, field: str,
):  # fmt: skip
    before = row_counts(app)
    response = call(client, org, who, method, url, raw=body)
    assert_refused(response, 422, field, "surrogate")
    assert row_counts(app) == before


@pytest.mark.parametrize("stamp", ["9" * 400, "9" * 13, "1e9"])
def test_a_webhook_timestamp_too_long_is_a_401_before_the_signature_check(
    app: Flask, client: FlaskClient, stamp: str
):
    app.config["WEBHOOK_SECRET"] = "shh"
    before = row_counts(app)
    response = client.post(
        "/api/v1/webhooks/crm",
        data=b"{}",
        headers={"X-SalesQuest-Timestamp": stamp, "X-SalesQuest-Signature": "sha256=00",
                 "Content-Type": "application/json"},
    )  # fmt: skip
    assert_refused(response, 401, "X-SalesQuest-Timestamp", "12 digits")
    assert row_counts(app) == before


SUBSCRIPTIONS = ["missing", None, {"challenge_id": HUGE}, {"challenge_id": True},
                 {"challenge_id": "1"}, [1]]  # fmt: skip


@pytest.mark.parametrize("payload", SUBSCRIPTIONS)
def test_a_socket_subscribe_without_a_usable_id_is_refused_naming_the_field(
    app: Flask, org: dict[str, Any], payload: Any
):
    browser = app.test_client()
    log_in(browser, "ann@example.test")
    live = socketio.test_client(app, flask_test_client=browser)
    assert live.is_connected()
    if payload == "missing":
        answer = live.emit("subscribe", callback=True)
    else:
        answer = live.emit("subscribe", payload, callback=True)
    assert answer["ok"] is False
    assert "challenge_id" in answer["reason"] and BOUND in answer["reason"]
    live.disconnect()


@pytest.mark.parametrize(
    "who,method,url,body,field",
    [
        ("manager", "GET", "/users?name=%00%00", None, "name"),
        ("admin", "GET", "/users?email=a%00b", None, "email"),
        ("manager", "POST", "/challenges", '{"name": "Blitz\\u0000"}', "name"),
        ("rep", "PUT", "/me/preferences", '{"muted_kinds": ["\\u0000"]}', "muted_kinds.0"),
    ],
)  # fmt: skip
def test_a_nul_character_is_a_422_naming_the_field_on_every_database(
    app: Flask, client: FlaskClient, org: dict[str, Any], who: str, method: str, url: str,
    body: str | None, field: str,
):  # fmt: skip
    # PostgreSQL refuses NUL in any text parameter; SQLite would store it. Both answer alike.
    before = row_counts(app)
    response = call(client, org, who, method, url, raw=body)
    assert_refused(response, 422, field, "NUL")
    assert row_counts(app) == before


def test_a_nul_character_in_a_page_form_is_refused_and_nothing_is_stored(
    app: Flask, client: FlaskClient, org: dict[str, Any]
):
    with app.app_context():
        s = db.session()
        make_user(s, app_role="admin", email="root@example.test",
                  password_hash=hash_password(PASSWORD))  # fmt: skip
        s.commit()
    token = log_in(client, "root@example.test")
    before = row_counts(app)
    response = client.post(
        "/people",
        data={"name": "Eve\x00", "email": "eve@example.test", "csrf_token": token},
    )
    assert response.status_code == 422, response.get_data(as_text=True)
    assert "NUL" in response.get_data(as_text=True)
    assert row_counts(app) == before
