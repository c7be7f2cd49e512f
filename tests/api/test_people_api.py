"""/api/v1/users and /api/v1/teams: admins add and change people and teams, each change audited;
managers see their teams' people; every bad input is a 4xx naming the field, changing nothing.

The org: an admin; manager Mia runs East (Ann); manager Ben runs West (Bob)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from kpi_engine.org.models import OrgChange, Team, User
from tests.conftest import PASSWORD, log_in
from tests.factories import make_team, make_user
from web.auth import hash_password, issue_token
from web.extensions import db


@dataclass(frozen=True)
class Org:
    ids: dict[str, int]
    tokens: dict[str, str]


@pytest.fixture
def org(app: Flask) -> Org:
    with app.app_context():
        s = db.session()
        hashed = hash_password(PASSWORD)
        admin = make_user(s, name="Ada", email="admin@acme.test", app_role="admin",
                          password_hash=hashed)  # fmt: skip
        mia = make_user(s, name="Mia", email="mia@acme.test", app_role="manager")
        ben = make_user(s, name="Ben", email="ben@acme.test", app_role="manager")
        east, west = make_team(s, "East", manager=mia), make_team(s, "West", manager=ben)
        ann = make_user(s, name="Ann", email="ann@acme.test", team=east, password_hash=hashed)
        bob = make_user(s, name="Bob", email="bob@acme.test", team=west)
        people = {"admin": admin, "mia": mia, "ben": ben, "ann": ann, "bob": bob}
        tokens = {k: issue_token(u) for k, u in people.items()}
        ids = {k: u.id for k, u in people.items()} | {"east": east.id, "west": west.id}
        s.commit()
    return Org(ids, tokens)


def call(client: FlaskClient, org: Org, who: str, method: str, path: str, body: Any = None):
    headers = {"Authorization": f"Bearer {org.tokens[who]}"}
    return client.open(f"/api/v1{path}", method=method, json=body, headers=headers)


def changes_count(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(OrgChange.id))) or 0


def test_an_admin_adds_a_rep_with_a_crm_user_id_and_managers_see_it(
    client: FlaskClient, org: Org
) -> None:
    body = {"email": "Moses.Frase@acme.test", "name": "Moses Frase", "team_id": org.ids["east"],
            "sales_role": "AE", "crm_user_id": "Moses Frase"}  # fmt: skip
    added = call(client, org, "admin", "POST", "/users", body)
    assert added.status_code == 201, added.json
    moses = added.json
    assert (moses["email"], moses["team"], moses["crm_user_id"], moses["app_role"]) == (
        "moses.frase@acme.test", "East", "Moses Frase", "rep",
    )  # fmt: skip
    listed = call(client, org, "mia", "GET", "/users").json["users"]
    assert {u["name"]: u["crm_user_id"] for u in listed}["Moses Frase"] == "Moses Frase"
    found = call(client, org, "mia", "GET", "/users?crm_user_id=Moses%20Frase").json["users"]
    assert [u["email"] for u in found] == ["moses.frase@acme.test"]
    assert not call(client, org, "ben", "GET", "/users?crm_user_id=Moses%20Frase").json["users"]
    assert call(client, org, "mia", "GET", f"/users/{moses['id']}").status_code == 200
    assert call(client, org, "ben", "GET", f"/users/{moses['id']}").status_code == 403


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"email": "ann@acme.test", "name": "Dup"}, 409, "email"),
        ({"email": "x@acme.test", "name": "X", "team_id": 999_999}, 422, "team_id"),
        ({"email": "x@acme.test", "name": "X", "team_id": 2**40}, 422, "team_id"),
        ({"email": "x@acme.test", "name": "X", "app_role": "boss"}, 422, "app_role"),
        ({"email": "x@acme.test", "name": "X", "colour": "red"}, 422, "colour"),
        ({"email": "x@acme.test", "name": "X", "password": "short"}, 422, "password"),
        ({"email": "nope", "name": "X"}, 422, "email"),
        ({"email": "x@acme.test", "name": ""}, 422, "name"),
        ({"email": "x@acme.test", "name": "X" * 121}, 422, "name"),
    ],
)
def test_a_bad_new_person_is_refused_naming_the_field(
    app: Flask, client: FlaskClient, org: Org, body: dict[str, Any], status: int, field: str
) -> None:
    answer = call(client, org, "admin", "POST", "/users", body)
    assert answer.status_code == status, answer.json
    assert field in answer.json["error"]["fields"]
    assert changes_count(app) == 0


def test_only_an_admin_changes_people_and_teams(client: FlaskClient, org: Org) -> None:
    ann = org.ids["ann"]
    change = {"sales_role": "SDR"}
    assert call(client, org, "mia", "PATCH", f"/users/{ann}", change).status_code == 403
    assert call(client, org, "mia", "POST", "/teams", {"name": "Mine"}).status_code == 403
    west = org.ids["west"]
    assert call(client, org, "mia", "PATCH", f"/teams/{west}", {"name": "X"}).status_code == 403
    assert call(client, org, "ann", "GET", "/users").status_code == 403
    assert call(client, org, "ann", "GET", f"/users/{ann}").status_code == 200  # themself


def test_a_move_is_audited_and_readable_by_the_person_s_managers(
    client: FlaskClient, org: Org
) -> None:
    ann, west = org.ids["ann"], org.ids["west"]
    moved = call(client, org, "admin", "PATCH", f"/users/{ann}", {"team_id": west})
    assert moved.status_code == 200 and moved.json["team"] == "West"
    [change] = call(client, org, "ben", "GET", f"/users/{ann}/changes").json["changes"]
    assert (change["actor"], change["action"], change["before"], change["after"]) == (
        "Ada", "user.changed", {"team": "East"}, {"team": "West"},
    )  # fmt: skip
    assert call(client, org, "mia", "GET", f"/users/{ann}/changes").status_code == 403
    unteamed = call(client, org, "admin", "PATCH", f"/users/{ann}", {"team_id": None})
    assert unteamed.json["team"] is None


def test_deactivating_a_person_ends_their_session_and_their_tokens(
    app: Flask, client: FlaskClient, org: Org
) -> None:
    ann = org.ids["ann"]
    browser = app.test_client()
    log_in(browser, "ann@acme.test")
    assert browser.get("/api/v1/me").status_code == 200
    assert call(client, org, "ann", "GET", "/me").status_code == 200
    done = call(client, org, "admin", "PATCH", f"/users/{ann}", {"active": False})
    assert done.status_code == 200 and done.json["active"] is False
    assert browser.get("/api/v1/me").status_code == 401
    assert call(client, org, "ann", "GET", "/me").status_code == 401
    call(client, org, "admin", "PATCH", f"/users/{ann}", {"active": True})
    assert call(client, org, "ann", "GET", "/me").status_code == 401  # revoked for good


@pytest.mark.parametrize(
    ("who", "body", "status", "field"),
    [
        ("admin", {"app_role": "rep"}, 403, "app_role"),
        ("admin", {"active": False}, 403, "active"),
        ("mia", {"app_role": "rep"}, 409, "app_role"),
        ("ann", {"crm_user_id": "x" * 121}, 422, "crm_user_id"),
        ("ann", {"active": "maybe"}, 422, "active"),
        ("ann", {"email": "mia@acme.test"}, 409, "email"),
        ("ann", {"sales_role": "VP"}, 422, "sales_role"),
    ],
)
def test_a_refused_change_names_its_field_and_changes_nothing(
    app: Flask,
    client: FlaskClient,
    org: Org,
    who: str,
    body: dict[str, Any],
    status: int,
    field: str,
) -> None:
    answer = call(client, org, "admin", "PATCH", f"/users/{org.ids[who]}", body)
    assert answer.status_code == status, answer.json
    assert field in answer.json["error"]["fields"]
    assert changes_count(app) == 0


def test_an_unknown_person_or_team_is_a_404(client: FlaskClient, org: Org) -> None:
    renamed = call(client, org, "admin", "PATCH", "/users/999999", {"name": "X"})
    assert renamed.status_code == 404
    assert call(client, org, "admin", "GET", "/teams/999999").status_code == 404
    assert call(client, org, "admin", "GET", "/users/99999999999").status_code == 404


def test_an_admin_creates_renames_and_staffs_a_team(
    app: Flask, client: FlaskClient, org: Org
) -> None:
    body = {"name": "North", "region": "Nordics", "manager_id": org.ids["mia"]}
    created = call(client, org, "admin", "POST", "/teams", body)
    assert created.status_code == 201, created.json
    north = created.json
    assert (north["manager"]["name"], north["region"], north["members"]) == ("Mia", "Nordics", [])
    renamed = call(client, org, "admin", "PATCH", f"/teams/{north['id']}",
                   {"name": "North East", "manager_id": None, "region": ""})  # fmt: skip
    assert renamed.status_code == 200
    assert (renamed.json["name"], renamed.json["manager"], renamed.json["region"]) == (
        "North East", None, None,
    )  # fmt: skip
    trail = call(client, org, "admin", "GET", f"/teams/{north['id']}/changes").json["changes"]
    assert [c["action"] for c in trail] == ["team.changed", "team.created"]
    assert trail[0]["before"] == {"name": "North", "region": "Nordics", "manager": "Mia"}
    mine = call(client, org, "mia", "GET", "/teams").json["teams"]
    assert [t["name"] for t in mine] == ["East"] and mine[0]["members"][0]["name"] == "Ann"
    assert call(client, org, "mia", "GET", f"/teams/{org.ids['west']}").status_code == 403


@pytest.mark.parametrize(
    ("body", "status", "field", "message"),
    [
        ({"name": "east"}, 409, "name", "already taken"),
        ({"name": "South", "manager_id": "ann"}, 422, "manager_id",
         "Ann is a rep; make them a manager first"),
        ({"name": "South", "manager_id": 999_999}, 422, "manager_id", "no user 999999"),
        ({"name": "  "}, 422, "name", "must not be empty"),
        ({}, 422, "name", "give the team a name"),
        ({"name": "South", "region": "R" * 121}, 422, "region", None),
    ],
)  # fmt: skip
def test_a_bad_team_is_refused_naming_the_field(
    app: Flask,
    client: FlaskClient,
    org: Org,
    body: dict[str, Any],
    status: int,
    field: str,
    message: str | None,
) -> None:
    body = {k: org.ids[v] if v == "ann" else v for k, v in body.items()}
    answer = call(client, org, "admin", "POST", "/teams", body)
    assert answer.status_code == status, answer.json
    if message is not None:
        assert answer.json["error"]["fields"][field] == [message]
    assert field in answer.json["error"]["fields"]
    with app.app_context():
        assert db.session.scalar(select(func.count(Team.id))) == 2
        assert db.session.scalar(select(func.count(User.id))) == 5
