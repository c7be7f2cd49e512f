"""The People and Teams pages: admins add, move, re-role and deactivate people and keep teams;
managers see their teams' people; refused forms come back with what was typed and the problem
beside the field, never a raw error or an internal name; every change reads on the pages.

The org: admin Ada; manager Mia runs East (Ann); manager Ben runs West (Bob)."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from kpi_engine.org.models import Team, User
from tests.conftest import PASSWORD, log_in
from tests.factories import make_team, make_user
from web.auth import hash_password
from web.extensions import db

DATA = Path(__file__).resolve().parent.parent / "data"
INTERNAL = ("team_id", "app_role", "crm_user_id", "manager_id", "sales_role", '{"error"')


@pytest.fixture
def ids(app: Flask) -> dict[str, int]:
    with app.app_context():
        s = db.session()
        hashed = hash_password(PASSWORD)
        admin = make_user(s, name="Ada", email="admin@acme.test", app_role="admin",
                          password_hash=hashed)  # fmt: skip
        mia = make_user(s, name="Mia", email="mia@acme.test", app_role="manager",
                        password_hash=hashed)  # fmt: skip
        ben = make_user(s, name="Ben", email="ben@acme.test", app_role="manager")
        east, west = make_team(s, "East", manager=mia), make_team(s, "West", manager=ben)
        ann = make_user(s, name="Ann", email="ann@acme.test", team=east, password_hash=hashed)
        bob = make_user(s, name="Bob", email="bob@acme.test", team=west)
        s.commit()
        return {"admin": admin.id, "mia": mia.id, "ann": ann.id, "bob": bob.id,
                "east": east.id, "west": west.id}  # fmt: skip


def text_of(html: str) -> str:
    """What a person reads: the page without its tags, attributes and scripts."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def follow(client: FlaskClient, response) -> str:  # type: ignore[no-untyped-def]
    assert response.status_code == 303, response.get_data(as_text=True)
    return client.get(response.headers["Location"]).get_data(as_text=True)


def test_a_manager_sees_the_people_of_their_teams_and_cannot_change_them(
    client: FlaskClient, ids: dict[str, int]
) -> None:
    csrf = log_in(client, "mia@acme.test")
    page = client.get("/people").get_data(as_text=True)
    assert "Ann" in page and "Bob" not in page and "Add a person" not in page
    assert client.get(f"/people/{ids['ann']}").status_code == 200
    assert client.get(f"/people/{ids['bob']}").status_code == 403
    moved = client.post(f"/people/{ids['ann']}", data={"csrf_token": csrf, "team_id": ids["west"]})
    assert moved.status_code == 403
    assert client.get("/people/changes").status_code == 403


def test_a_rep_has_no_people_page(client: FlaskClient, ids: dict[str, int]) -> None:
    log_in(client, "ann@acme.test")
    assert client.get("/people").status_code == 403
    assert client.get("/teams").status_code == 403


def test_an_admin_adds_a_person_with_their_crm_user_id(
    app: Flask, client: FlaskClient, ids: dict[str, int]
) -> None:
    csrf = log_in(client, "admin@acme.test")
    form = {"csrf_token": csrf, "name": "Moses Frase", "email": "moses@acme.test",
            "app_role": "rep", "sales_role": "AE", "team_id": str(ids["east"]),
            "crm_user_id": "Moses Frase", "password": ""}  # fmt: skip
    page = follow(client, client.post("/people", data=form))
    assert "Moses Frase added." in page and "“Moses Frase”" in page and "East" in page
    listed = client.get("/people?q=moses").get_data(as_text=True)
    assert "Moses Frase" in listed and "Ann" not in text_of(listed)


def test_a_refused_new_person_comes_back_with_what_was_typed_and_why(
    app: Flask, client: FlaskClient, ids: dict[str, int]
) -> None:
    csrf = log_in(client, "admin@acme.test")
    form = {"csrf_token": csrf, "name": "", "email": "ann@acme.test",
            "app_role": "rep", "sales_role": "", "team_id": "", "crm_user_id": "Ann Again",
            "password": "secret-password"}  # fmt: skip
    page = follow(client, client.post("/people", data=form))
    assert 'value="Ann Again"' in page and "secret-password" not in page
    assert 'id="new-email-error"' in page and "Already Ann&#39;s." in page
    assert 'id="new-name-error">Give their full name.' in page
    assert 'aria-invalid="true" aria-describedby="new-email-error"' in page
    assert not any(name in text_of(page) for name in INTERNAL)
    with app.app_context():
        assert db.session.scalar(select(func.count(User.id))) == 5


def test_an_admin_moves_a_rep_and_the_pages_tell_the_history(
    client: FlaskClient, ids: dict[str, int]
) -> None:
    csrf = log_in(client, "admin@acme.test")
    form = {"csrf_token": csrf, "name": "Ann", "email": "ann@acme.test", "app_role": "rep",
            "sales_role": "AE", "team_id": str(ids["west"]), "crm_user_id": ""}  # fmt: skip
    page = text_of(follow(client, client.post(f"/people/{ids['ann']}", data=form)))
    assert "Ann saved." in page
    assert re.search(r"West since \d", page) and re.search(r"East from the start until", page)
    assert "Team: East → West" in page and "by Ada" in page
    changes = text_of(client.get("/people/changes").get_data(as_text=True))
    assert re.search(r"Ann: changed .* by Ada Team: East → West", changes)


def test_deactivating_someone_ends_their_session(
    app: Flask, client: FlaskClient, ids: dict[str, int]
) -> None:
    ann = app.test_client()
    log_in(ann, "ann@acme.test")
    csrf = log_in(client, "admin@acme.test")
    page = follow(client, client.post(f"/people/{ids['ann']}/access",
                                      data={"csrf_token": csrf, "active": "false"}))  # fmt: skip
    assert "Ann is deactivated: their sessions and API tokens ended." in page
    assert "Reactivate Ann" in page
    assert ann.get("/").status_code == 302  # back to the login page


def test_an_admin_cannot_deactivate_themself_and_is_told_beside_the_button(
    client: FlaskClient, ids: dict[str, int]
) -> None:
    csrf = log_in(client, "admin@acme.test")
    response = client.post(f"/people/{ids['admin']}/access",
                           data={"csrf_token": csrf, "active": "false"})  # fmt: skip
    page = follow(client, response)
    assert "Nobody changes their own role or access: ask another admin." in page
    assert page.count("Nobody changes") == 1 and "Deactivate Ada" not in page
    assert "This is you: another admin can deactivate you" in page


def test_an_admin_creates_and_renames_teams_and_a_clash_is_said_beside_the_name(
    app: Flask, client: FlaskClient, ids: dict[str, int]
) -> None:
    csrf = log_in(client, "admin@acme.test")
    created = {"csrf_token": csrf, "name": "North", "region": "Nordics",
               "manager_id": str(ids["mia"])}  # fmt: skip
    page = follow(client, client.post("/teams", data=created))
    assert "North saved." in page and "managed by" in page
    clash = {"csrf_token": csrf, "name": "north", "region": "", "manager_id": ""}
    page = follow(client, client.post(f"/teams/{ids['west']}", data=clash))
    assert 'value="north"' in page and "Already taken." in page
    tampered = {"csrf_token": csrf, "name": "West", "manager_id": str(ids["ann"])}
    page = follow(client, client.post(f"/teams/{ids['west']}", data=tampered))
    assert "Ann is a rep; make them a manager first." in page
    assert not any(name in text_of(page) for name in INTERNAL)
    with app.app_context():
        assert sorted(db.session.scalars(select(Team.name))) == ["East", "North", "West"]


def test_the_import_page_sends_an_admin_to_add_the_missing_owners(
    client: FlaskClient, ids: dict[str, int]
) -> None:
    csrf = log_in(client, "admin@acme.test")
    name = "hubspot_deals_by_owner_name.csv"
    data = {"csrf_token": csrf, "action": "dry_run",
            "files": [(io.BytesIO((DATA / name).read_bytes()), name)]}  # fmt: skip
    page = client.post("/imports", data=data, content_type="multipart/form-data")
    html = page.get_data(as_text=True)
    assert "Add the missing owners on the People page" in html and 'href="/people#add"' in html


def test_the_empty_states_say_what_to_do_next(client: FlaskClient, app: Flask) -> None:
    with app.app_context():
        s = db.session()
        make_user(s, name="Solo", email="solo@acme.test", app_role="admin",
                  password_hash=hash_password(PASSWORD))  # fmt: skip
        s.commit()
    log_in(client, "solo@acme.test")
    people = text_of(client.get("/people").get_data(as_text=True))
    assert "No team yet: create the first team" in people
    teams = text_of(client.get("/teams").get_data(as_text=True))
    assert "No team yet: create the first one below." in teams
    changes = text_of(client.get("/people/changes").get_data(as_text=True))
    assert "No change recorded yet." in changes
