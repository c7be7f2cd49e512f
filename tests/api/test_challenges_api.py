"""The three templates end to end through the API: create, launch, post sales events, read
the leaderboard, missions and winners after the end; plus permissions and draft-only edits."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import update

from gameplay.core.models import Participant
from kpi_engine.db import utcnow
from tests.factories import make_team, make_user
from web.auth import issue_token
from web.extensions import db

NOW = utcnow().replace(microsecond=0)


@pytest.fixture
def org(app: Flask) -> dict[str, Any]:
    """A manager of one team of three reps, an admin, and a rep of another team; with tokens."""
    with app.app_context():
        s = db.session()
        admin = make_user(s, app_role="admin", email="admin@example.test")
        manager = make_user(s, app_role="manager", email="boss@example.test")
        team = make_team(s, "East", manager=manager)
        reps = [
            make_user(s, email=f"{n}@example.test", name=n.title(), team=team)
            for n in ("ann", "bob", "cat")
        ]
        outsider = make_user(s, email="out@example.test", team=make_team(s, "West"))
        people = {
            "team_id": team.id,
            "ids": {u.email.split("@")[0]: u.id for u in [*reps, outsider]},
        }
        people["tokens"] = {
            u.email.split("@")[0]: issue_token(u) for u in [admin, manager, *reps, outsider]
        }
        s.commit()
        return people


def call(
    client: FlaskClient, org: dict[str, Any], who: str, method: str, url: str, body: Any = None
):
    headers = {"Authorization": f"Bearer {org['tokens'][who]}"}
    return client.open(f"/api/v1{url}", method=method, json=body, headers=headers)


def window(org: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "name": "Blitz",
        "starts_at": (NOW - timedelta(days=1)).isoformat(),
        "ends_at": (NOW + timedelta(days=6)).isoformat(),
        "timezone": "Europe/Paris",
        "audience": {"team_ids": [org["team_id"]]},
        **extra,
    }


def activity(
    n: int, rep: str, outcome: str = "connected", kind: str = "call", minutes: int = 0
) -> dict[str, Any]:
    at = NOW - timedelta(hours=12) + timedelta(minutes=10 * n + minutes)
    return {
        "id": f"a{n}",
        "type": "activity.logged",
        "occurred_at": at.isoformat(),
        "rep": f"{rep}@example.test",
        "data": {"kind": kind, "outcome": outcome},
    }


def won(n: int, rep: str, **data: Any) -> dict[str, Any]:
    at = NOW - timedelta(hours=6) + timedelta(minutes=n)
    return {
        "id": f"w{n}",
        "type": "deal.won",
        "occurred_at": at.isoformat(),
        "rep": f"{rep}@example.test",
        "data": {"deal_id": f"D{n}", **data},
    }


def launch_template(client: FlaskClient, org: dict[str, Any], template: str, **extra: Any) -> int:
    created = call(
        client, org, "boss", "POST", f"/challenges/templates/{template}", window(org, **extra)
    )
    assert created.status_code == 201, created.get_json()
    challenge_id = created.get_json()["id"]
    launched = call(client, org, "boss", "POST", f"/challenges/{challenge_id}/launch")
    assert launched.get_json()["status"] == "live"
    return challenge_id


def board(
    client: FlaskClient, org: dict[str, Any], challenge_id: int, who: str = "boss", query: str = ""
):
    answer = call(
        client, org, who, "GET", f"/challenges/{challenge_id}/leaderboard{query}"
    ).get_json()
    return answer, [(r["rank"], r["name"], r["points"]) for r in answer["rows"]]


def after_the_end(monkeypatch: pytest.MonkeyPatch) -> None:
    later = NOW + timedelta(days=8)
    for module in ("web.api.challenges", "web.schemas.challenges", "web.cli_scheduled"):
        monkeypatch.setattr(f"{module}.utcnow", lambda: later)


def test_prospecting_blitz_end_to_end(
    app: Flask, client: FlaskClient, org: dict[str, Any], monkeypatch
) -> None:
    challenge_id = launch_template(client, org, "prospecting")
    events = [
        activity(0, "ann", "meeting_booked"),
        activity(1, "ann"),
        activity(2, "bob"),
        activity(3, "bob", "no_answer"),
        activity(4, "cat", "no_answer", kind="email"),
    ]
    assert call(client, org, "admin", "POST", "/events", {"events": events}).status_code == 200
    answer, rows = board(client, org, challenge_id)
    assert answer["challenge_id"] == challenge_id and answer["version"] > 0
    # a booked meeting (+1 dial, +10 booked) outweighs connected dials (+1, +3 each)
    assert rows == [(1, "Ann", 15), (2, "Bob", 5), (3, "Cat", 1)]
    after_the_end(monkeypatch)
    with app.app_context():  # the scheduler finalises; a read never does
        assert "finalised 1" in app.test_cli_runner().invoke(args=["scheduled"]).output
    final = call(client, org, "boss", "GET", f"/challenges/{challenge_id}").get_json()
    assert final["status"] == "ended" and final["finalized_at"]
    badges = call(client, org, "ann", "GET", "/me/badges").get_json()["badges"]
    assert "challenge_winner" in [b["code"] for b in badges]


def test_upsell_end_to_end_with_product_filter(client: FlaskClient, org: dict[str, Any]) -> None:
    challenge_id = launch_template(client, org, "upsell", products=["GTX Pro"], min_amount="1000")
    events = [
        won(1, "ann", product="GTX Pro", amount="5000"),
        won(2, "bob", product="GTX Pro", amount="500"),
        won(3, "cat", product="MG Special", amount="9000"),
    ]
    call(client, org, "admin", "POST", "/events", {"events": events})
    _, rows = board(client, org, challenge_id)
    assert rows[0] == (1, "Ann", 100)  # 50 per deal + 0.01 per unit of amount
    assert [r[2] for r in rows[1:]] == [0, 0]
    lost = {**won(1, "ann"), "id": "lost-1", "type": "deal.lost", "occurred_at": NOW.isoformat()}
    call(client, org, "admin", "POST", "/events", lost)
    assert board(client, org, challenge_id)[1][0][2] == 0


def test_onboarding_end_to_end_with_proofs(client: FlaskClient, org: dict[str, Any]) -> None:
    challenge_id = launch_template(client, org, "onboarding")
    missions = call(client, org, "ann", "GET", f"/challenges/{challenge_id}/missions").get_json()[
        "missions"
    ]
    training = missions[0]["id"]
    proof = call(
        client,
        org,
        "ann",
        "POST",
        f"/challenges/{challenge_id}/missions/{training}/proofs",
        {"link": "https://lms.example.test/cert/1"},
    )
    assert proof.status_code == 201
    pending = call(client, org, "boss", "GET", f"/challenges/{challenge_id}/proofs").get_json()[
        "proofs"
    ]
    assert [p["user_id"] for p in pending] == [org["ids"]["ann"]]
    review = call(
        client,
        org,
        "boss",
        "POST",
        f"/challenges/{challenge_id}/proofs/{pending[0]['id']}/review",
        {"approve": True, "comment": "Nice"},
    )
    assert review.get_json()["status"] == "approved"
    missions = call(client, org, "ann", "GET", f"/challenges/{challenge_id}/missions").get_json()[
        "missions"
    ]
    assert [m["completed_at"] is not None for m in missions] == [True, False, False, False, False]
    assert board(client, org, challenge_id, "ann")[1][0] == (1, "Ann", 20)


def test_a_rep_cannot_create_or_see_other_teams_challenges(
    client: FlaskClient, org: dict[str, Any]
) -> None:
    challenge_id = launch_template(client, org, "prospecting")
    assert call(client, org, "ann", "POST", "/challenges", window(org)).status_code == 403
    assert (
        call(client, org, "out", "GET", f"/challenges/{challenge_id}/leaderboard").status_code
        == 404
    )
    assert [
        c["id"] for c in call(client, org, "ann", "GET", "/challenges").get_json()["challenges"]
    ] == [challenge_id]


def test_create_rejects_unknown_fields_and_bad_windows(
    client: FlaskClient, org: dict[str, Any]
) -> None:
    sneaky = call(client, org, "boss", "POST", "/challenges", window(org, points=1000))
    assert sneaky.status_code == 422 and "points" in sneaky.get_json()["error"]["fields"]
    backwards = window(org, ends_at=(NOW - timedelta(days=2)).isoformat())
    answer = call(client, org, "boss", "POST", "/challenges", backwards)
    assert answer.status_code == 422 and "ends_at" in answer.get_json()["error"]["fields"]


def test_only_a_draft_can_be_edited(client: FlaskClient, org: dict[str, Any]) -> None:
    created = call(
        client,
        org,
        "boss",
        "POST",
        "/challenges",
        window(org, rules=[{"activity_kind": "call", "points": 5}]),
    )
    challenge_id = created.get_json()["id"]
    assert created.get_json()["rules"][0]["words"] == "+5 per call"
    assert (
        call(
            client, org, "boss", "PUT", f"/challenges/{challenge_id}", window(org, name="Renamed")
        ).status_code
        == 200
    )
    call(client, org, "boss", "POST", f"/challenges/{challenge_id}/launch")
    assert (
        call(client, org, "boss", "PUT", f"/challenges/{challenge_id}", window(org)).status_code
        == 409
    )


def test_opt_in_join_through_the_api(client: FlaskClient, org: dict[str, Any]) -> None:
    challenge_id = launch_template(client, org, "prospecting", enrolment="opt_in")
    assert board(client, org, challenge_id)[1] == []
    assert call(client, org, "bob", "POST", f"/challenges/{challenge_id}/join").status_code == 201
    assert call(client, org, "bob", "POST", f"/challenges/{challenge_id}/join").status_code == 409
    assert [r[1] for r in board(client, org, challenge_id)[1]] == ["Bob"]


def test_me_endpoints_and_redemption(client: FlaskClient, org: dict[str, Any]) -> None:
    launch_template(client, org, "prospecting")
    call(
        client, org, "admin", "POST", "/events", {"events": [activity(0, "ann", "meeting_booked")]}
    )
    points = call(client, org, "ann", "GET", "/me/points").get_json()
    assert points["balance"] == 11 and points["level"]["number"] == 1
    reward = call(
        client, org, "boss", "POST", "/rewards", {"name": "Coffee", "cost": 10}
    ).get_json()
    redeemed = call(client, org, "ann", "POST", "/me/redemptions", {"reward_id": reward["id"]})
    assert redeemed.status_code == 201
    again = call(client, org, "ann", "POST", "/me/redemptions", {"reward_id": reward["id"]})
    assert again.status_code == 409
    fulfilled = call(
        client, org, "boss", "POST", f"/redemptions/{redeemed.get_json()['id']}/fulfil"
    )
    assert fulfilled.get_json()["status"] == "fulfilled"
    assert call(client, org, "ann", "GET", "/me/streak").get_json()["current"] >= 0


def test_finalize_and_rebuild_commands(
    app: Flask, client: FlaskClient, org: dict[str, Any]
) -> None:
    challenge_id = launch_template(client, org, "prospecting")
    call(
        client, org, "admin", "POST", "/events", {"events": [activity(0, "ann", "meeting_booked")]}
    )
    runner = app.test_cli_runner()
    with app.app_context():
        rebuilt = runner.invoke(args=["rebuild"])
        finalized = runner.invoke(args=["finalize"])
    assert rebuilt.exit_code == 0 and "1 open challenge(s)" in rebuilt.output
    assert board(client, org, challenge_id)[1][0] == (1, "Ann", 11)
    assert finalized.exit_code == 0 and "finalised 0" in finalized.output


def test_standings_command_restores_a_board_that_drifted_from_its_ledger(
    app: Flask, client: FlaskClient, org: dict[str, Any]
) -> None:
    challenge_id = launch_template(client, org, "prospecting")
    call(
        client, org, "admin", "POST", "/events", {"events": [activity(0, "ann", "meeting_booked")]}
    )
    with app.app_context():
        db.session.execute(
            update(Participant).where(Participant.challenge_id == challenge_id).values(points=999)
        )
        db.session.commit()
    runner = app.test_cli_runner()
    with app.app_context():
        checked = runner.invoke(args=["standings", "--check"])
    assert "points: kept 999, ledger says 11" in checked.output
    assert board(client, org, challenge_id)[1][0][2] == 999, "--check changes nothing"
    with app.app_context():
        restored = runner.invoke(args=["standings"])
    assert restored.exit_code == 0 and "ledger says 11" in restored.output
    assert board(client, org, challenge_id)[1][0] == (1, "Ann", 11)
