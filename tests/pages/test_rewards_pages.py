"""The manager's rewards pages (catalogue, requests) and the rep's store, through the forms."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from gameplay.core.models import PlayerProfile, Redemption, Reward
from kpi_engine.org.models import User
from tests.conftest import log_in
from tests.live.conftest import Org
from web.extensions import db


def _give_points(app: Flask, user_id: int, points: int) -> None:
    with app.app_context():
        db.session.add(PlayerProfile(user_id=user_id, lifetime_points=points, spent_points=0))
        db.session.commit()


def _rewards(app: Flask) -> list[tuple[str, int, bool]]:
    with app.app_context():
        return [(r.name, r.cost, r.active) for r in db.session.scalars(select(Reward))]


def test_a_manager_adds_edits_and_retires_a_reward_from_the_page(
    app: Flask, client: FlaskClient, org: Org
) -> None:
    token = log_in(client, "boss@example.test")
    html = client.get("/manage/rewards").get_data(as_text=True)
    assert "The catalogue is empty" in html and 'href="/manage/rewards"' in html
    form = {"csrf_token": token, "name": "Team lunch", "cost": "300", "cash_value": ""}
    assert client.post("/manage/rewards", data=form).status_code == 303
    [(name, cost, active)] = _rewards(app)
    assert (name, cost, active) == ("Team lunch", 300, True)
    with app.app_context():
        reward_id = db.session.scalars(select(Reward.id)).one()
    edit = {"csrf_token": token, "name": "Team lunch for two", "cost": "350", "cash_value": "40"}
    assert client.post(f"/manage/rewards/{reward_id}", data=edit).status_code == 303
    assert client.post(f"/manage/rewards/{reward_id}/retire", data=form).status_code == 303
    assert _rewards(app) == [("Team lunch for two", 350, False)]
    html = client.get("/manage/rewards").get_data(as_text=True)
    assert "retired" in html and "Put Team lunch for two back on sale" in html


def test_a_bad_reward_form_says_what_is_wrong_beside_each_field_and_keeps_the_input(
    app: Flask, client: FlaskClient, org: Org
) -> None:
    token = log_in(client, "boss@example.test")
    form = {"csrf_token": token, "name": "Mug", "cost": "lots", "cash_value": "-3"}
    answer = client.post("/manage/rewards", data=form, follow_redirects=True)
    html = answer.get_data(as_text=True)
    assert answer.status_code == 200 and answer.mimetype == "text/html"
    assert 'id="new-cost-error">Write a whole number of points, such as 500.' in html
    assert 'id="new-cash_value-error">A cash value cannot be negative.' in html
    assert 'value="Mug"' in html and 'value="lots"' in html
    assert _rewards(app) == []


def test_a_rep_cannot_open_the_catalogue_pages(client: FlaskClient, org: Org) -> None:
    log_in(client, "ann@example.test")
    assert client.get("/manage/rewards").status_code == 403
    assert client.get("/manage/redemptions").status_code == 403


def _store_with_a_request(app: Flask, client: FlaskClient, org: Org) -> int:
    _give_points(app, org.ann, 500)
    token = log_in(client, "ann@example.test")
    with app.app_context():
        mug = Reward(name="Mug", cost=200, bonus_points=0, active=True)
        trip = Reward(name="Trip", cost=5000, bonus_points=0, active=True)
        db.session.add_all([mug, trip])
        db.session.commit()
        mug_id, trip_id = mug.id, trip.id
    html = client.get("/play/profile").get_data(as_text=True)
    assert "You can afford it." in html and "4,500 points more needed." in html
    refused = client.post(
        f"/play/rewards/{trip_id}/redeem", data={"csrf_token": token}, follow_redirects=True
    )
    html = refused.get_data(as_text=True)
    assert refused.status_code == 200
    assert f'id="redeem-{trip_id}-error">Not enough points: Trip costs 5,000 points' in html
    assert (
        client.post(f"/play/rewards/{mug_id}/redeem", data={"csrf_token": token}).status_code == 303
    )
    html = client.get("/play/profile").get_data(as_text=True)
    assert "300 points to spend" in html and "waiting for your manager" in html
    client.post("/logout", data={"csrf_token": token})
    return mug_id


def test_the_manager_refuses_a_request_and_the_rep_gets_the_points_back(
    app: Flask, client: FlaskClient, org: Org
) -> None:
    _store_with_a_request(app, client, org)
    token = log_in(client, "boss@example.test")
    html = client.get("/manage/redemptions").get_data(as_text=True)
    assert "Ann · Mug" in html
    with app.app_context():
        request_id = db.session.scalars(select(Redemption.id)).one()
    form = {"csrf_token": token, "decision": "refuse"}
    answer = client.post(f"/manage/redemptions/{request_id}", data=form, follow_redirects=True)
    assert "Mug refused: 200 points went back to the rep." in answer.get_data(as_text=True)
    assert "Nothing to hand over" in answer.get_data(as_text=True)
    with app.app_context():
        profile = db.session.get(PlayerProfile, org.ann)
        assert profile is not None and profile.balance == 500
    again = client.post(f"/manage/redemptions/{request_id}", data=form, follow_redirects=True)
    assert "This redemption is already cancelled." in again.get_data(as_text=True)


def test_the_manager_hands_a_request_over(app: Flask, client: FlaskClient, org: Org) -> None:
    _store_with_a_request(app, client, org)
    token = log_in(client, "boss@example.test")
    with app.app_context():
        request_id = db.session.scalars(select(Redemption.id)).one()
    form = {"csrf_token": token, "decision": "fulfil"}
    assert client.post(f"/manage/redemptions/{request_id}", data=form).status_code == 303
    with app.app_context():
        assert db.session.get(Redemption, request_id).status == "fulfilled"


def test_the_api_changes_retires_and_refuses_like_the_pages(
    app: Flask, client: FlaskClient, org: Org
) -> None:
    from web.auth import issue_token

    _give_points(app, org.ann, 100)
    with app.app_context():
        ann = db.session.get(User, org.ann)
        assert ann is not None
        rep = {"Authorization": f"Bearer {issue_token(ann)}"}
        db.session.commit()
    boss = {"Authorization": f"Bearer {org.token}"}
    made = client.post("/api/v1/rewards", json={"name": "Mug", "cost": 60}, headers=boss)
    reward_id = made.get_json()["id"]
    changed = client.put(
        f"/api/v1/rewards/{reward_id}", json={"name": "Mug", "cost": 80}, headers=boss
    )
    assert changed.status_code == 200 and changed.get_json()["cost"] == 80
    bought = client.post("/api/v1/me/redemptions", json={"reward_id": reward_id}, headers=rep)
    assert bought.status_code == 201
    pending = client.get("/api/v1/redemptions", headers=boss).get_json()["redemptions"]
    assert [r["reward"]["name"] for r in pending] == ["Mug"]
    refused = client.post(f"/api/v1/redemptions/{pending[0]['id']}/refuse", headers=boss)
    assert refused.get_json()["status"] == "cancelled"
    assert client.get("/api/v1/me/points", headers=rep).get_json()["balance"] == 100
    assert client.delete(f"/api/v1/rewards/{reward_id}", headers=boss).status_code == 200
    assert client.get("/api/v1/me/rewards", headers=rep).get_json()["rewards"] == []
    assert client.delete(f"/api/v1/rewards/{reward_id}", headers=rep).status_code == 403
