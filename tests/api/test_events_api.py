"""POST /api/v1/events as integrations use it: idempotent, answered event by event."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from kpi_engine.org.models import User
from kpi_engine.sales.models import Deal, RawEvent
from tests.conftest import PASSWORD, log_in, make_app
from tests.factories import make_team, make_user
from web.auth import hash_password, issue_token
from web.extensions import db


def _people(app: Flask) -> dict[str, Any]:
    """An admin with a token, a manager and two reps of one team, and a rep of another team."""
    with app.app_context():
        s = db.session()
        hashed = hash_password(PASSWORD)
        admin = make_user(s, app_role="admin", email="admin@example.test")
        manager = make_user(s, app_role="manager", email="boss@example.test", password_hash=hashed)
        team = make_team(s, manager=manager)
        ann = make_user(s, email="ann@example.test", team=team, password_hash=hashed)
        make_user(s, email="bob@example.test", team=team, crm_user_id="CRM-BOB")
        make_user(s, email="cat@example.test", team=make_team(s))
        token = issue_token(admin)
        s.commit()
        return {"token": token, "ann": ann.id}


@pytest.fixture
def token(app: Flask) -> str:
    return _people(app)["token"]


@pytest.fixture
def configured(database_url: str, app: Flask) -> Iterator[Callable[..., Flask]]:
    """Apps on the test database with other settings; their connections closed afterwards."""
    made: list[Flask] = []

    def configure(**overrides: Any) -> Flask:
        made.append(make_app(database_url, **overrides))
        return made[-1]

    yield configure
    for other in made:
        with other.app_context():
            db.engine.dispose()


def deal_event(n: int, type_: str = "deal.created", rep: str = "ann@example.test", **data: Any):
    return {
        "id": f"evt-{type_}-{n}",
        "type": type_,
        "occurred_at": f"2026-03-{1 + n % 28:02d}T10:00:00+02:00",
        "rep": rep,
        "data": {"deal_id": f"D{n}", "amount": "1200.50", "product": "GTX Pro", **data},
    }


def post(client: FlaskClient, body: Any, token: str, **headers: str):
    headers = {"Authorization": f"Bearer {token}", **headers}
    return client.post("/api/v1/events", json=body, headers=headers)


def stored(app: Flask) -> tuple[int, int]:
    with app.app_context():
        raws = db.session.scalar(select(func.count(RawEvent.id))) or 0
        deals = db.session.scalar(select(func.count(Deal.id))) or 0
        return raws, deals


def test_one_event_is_accepted_and_mirrored_as_a_deal(app: Flask, client: FlaskClient, token: str):
    response = post(client, deal_event(1), token)
    assert response.status_code == 200
    assert response.json == {"accepted": 1, "duplicates": 0, "rejected": []}
    with app.app_context():
        deal = db.session.scalar(select(Deal))
        assert deal is not None and deal.crm_id == "D1" and str(deal.amount) == "1200.50"
        assert deal.created_at.isoformat() == "2026-03-02T08:00:00+00:00"


def test_the_same_batch_posted_twice_is_all_duplicates_and_changes_nothing(
    app: Flask, client: FlaskClient, token: str
):
    batch = {"events": [deal_event(n) for n in range(10)]}
    assert post(client, batch, token).json["accepted"] == 10
    before = stored(app)
    second = post(client, batch, token)
    assert second.status_code == 200
    assert second.json == {"accepted": 0, "duplicates": 10, "rejected": []}
    assert stored(app) == before


def test_100_events_with_3_malformed_accept_97_and_name_each_rejection(
    client: FlaskClient, token: str
):
    events = [deal_event(n) for n in range(100)]
    events[5]["occurred_at"] = "yesterday"
    events[40]["data"]["amount"] = "-3"
    del events[77]["rep"]
    answer = post(client, {"events": events}, token).json
    assert answer["accepted"] == 97 and answer["duplicates"] == 0
    assert [(r["index"], r["id"]) for r in answer["rejected"]] == [
        (5, "evt-deal.created-5"),
        (40, "evt-deal.created-40"),
        (77, "evt-deal.created-77"),
    ]
    assert [list(r["errors"]) for r in answer["rejected"]] == [
        ["occurred_at"],
        ["data.amount"],
        ["rep"],
    ]


def test_an_unknown_rep_is_rejected_and_nothing_is_attached_to_anyone(
    app: Flask, client: FlaskClient, token: str
):
    response = post(client, deal_event(1, rep="ghost@example.test"), token)
    assert response.status_code == 422
    assert "unknown rep" in response.json["rejected"][0]["errors"]["rep"][0]
    assert stored(app) == (0, 0)


def test_a_rep_is_found_by_crm_user_id(app: Flask, client: FlaskClient, token: str):
    assert post(client, deal_event(1, rep="CRM-BOB"), token).json["accepted"] == 1
    with app.app_context():
        owner = db.session.scalar(select(User.email).join(Deal, Deal.owner_id == User.id))
        assert owner == "bob@example.test"


def test_events_out_of_order_end_in_the_right_state(app: Flask, client: FlaskClient, token: str):
    won = deal_event(1, "deal.won", amount="900")
    won["occurred_at"] = "2026-04-01T09:00:00Z"
    created = deal_event(1, stage="Qualify")
    assert post(client, won, token).json["accepted"] == 1
    assert post(client, created, token).json["accepted"] == 1
    with app.app_context():
        deal = db.session.scalar(select(Deal))
        assert deal is not None and deal.status == "won" and str(deal.amount) == "900.00"
        assert [c.to_stage for c in deal.stage_changes] == ["Qualify", "Won"]


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        (b"not json", 400, "bad_request"),
        (b'["a", "list"]', 422, "invalid"),
        (b'{"events": []}', 422, "invalid"),
    ],
)
def test_a_body_that_is_not_an_event_is_refused_with_a_json_error(
    client: FlaskClient, token: str, body: bytes, status: int, code: str
):
    response = client.post(
        "/api/v1/events",
        data=body,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    assert response.status_code == status
    assert response.json["error"]["code"] == code


def test_a_wrong_token_gets_401_and_nothing_is_stored(app: Flask, client: FlaskClient, token: str):
    response = post(client, deal_event(1), "sq_wrong")
    assert response.status_code == 401
    assert response.json["error"]["code"] == "unauthorized"
    assert stored(app) == (0, 0)


def test_an_oversized_body_gets_413_and_nothing_is_stored(configured: Callable[..., Flask]):
    small = configured(MAX_CONTENT_LENGTH=2000)
    token = _people(small)["token"]
    events = {"events": [deal_event(n) for n in range(50)]}
    response = post(small.test_client(), events, token)
    assert response.status_code == 413
    assert response.json["error"]["code"] == "request_entity_too_large"
    assert stored(small) == (0, 0)


def test_more_than_1000_events_get_413(client: FlaskClient, token: str):
    response = post(client, {"events": [deal_event(n) for n in range(1001)]}, token)
    assert response.status_code == 413
    assert "at most 1000 events" in response.json["error"]["message"]


def test_a_token_over_its_rate_limit_gets_429(configured: Callable[..., Flask]):
    limited = configured(EVENTS_RATE_LIMIT="2 per minute")
    token = _people(limited)["token"]
    client = limited.test_client()
    statuses = [post(client, deal_event(n), token).status_code for n in range(3)]
    assert statuses == [200, 200, 429]
    assert post(client, deal_event(9), token).json["error"]["code"] == "rate_limited"


def test_a_session_post_needs_the_csrf_token(app: Flask, client: FlaskClient):
    _people(app)
    csrf = log_in(client, "ann@example.test")
    assert client.post("/api/v1/events", json=deal_event(1)).status_code == 400
    response = client.post("/api/v1/events", json=deal_event(1), headers={"X-CSRFToken": csrf})
    assert response.json["accepted"] == 1


def test_a_rep_records_only_their_own_events_and_a_manager_their_teams(
    app: Flask, client: FlaskClient
):
    _people(app)
    csrf = {"X-CSRFToken": log_in(client, "ann@example.test")}
    mine, bobs = deal_event(1), deal_event(2, rep="bob@example.test")
    answer = client.post("/api/v1/events", json={"events": [mine, bobs]}, headers=csrf).json
    assert answer["accepted"] == 1
    assert answer["rejected"][0]["index"] == 1
    assert "may not record" in answer["rejected"][0]["errors"]["rep"][0]
    boss = app.test_client()
    csrf = {"X-CSRFToken": log_in(boss, "boss@example.test")}
    cats = deal_event(3, rep="cat@example.test")
    answer = boss.post("/api/v1/events", json={"events": [bobs, cats]}, headers=csrf).json
    assert answer["accepted"] == 1 and [r["index"] for r in answer["rejected"]] == [1]


def test_20_parallel_deliveries_of_one_event_store_it_once(app: Flask, token: str):
    barrier = threading.Barrier(20)
    answers: list[dict[str, Any]] = []

    def deliver() -> None:
        client = app.test_client()
        barrier.wait()
        answers.append(post(client, deal_event(1), token).json)

    threads = [threading.Thread(target=deliver) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(a["accepted"] for a in answers) == [0] * 19 + [1]
    assert sum(a["duplicates"] for a in answers) == 19
    assert stored(app) == (1, 1)


def _cats_deal_and_call(app: Flask, token: str, client: FlaskClient) -> None:
    """The other team's rep cat owns deal D9 and activity A9 (recorded by the admin's token)."""
    with app.app_context():
        db.session.scalar(select(User).where(User.email == "cat@example.test")).name = "Cat Cole"
        db.session.commit()
    call = {"id": "act-1", "type": "activity.logged", "occurred_at": "2026-03-02T10:00:00Z",
            "rep": "cat@example.test", "data": {"activity_id": "A9", "kind": "call"}}  # fmt: skip
    answer = post(client, {"events": [deal_event(9, rep="cat@example.test"), call]}, token).json
    assert answer["accepted"] == 2


def _owner_email(app: Flask, crm_id: str) -> str:
    with app.app_context():
        deal = db.session.scalar(select(Deal).where(Deal.crm_id == crm_id))
        assert deal is not None
        return db.session.get(User, deal.owner_id).email  # type: ignore[union-attr]


def test_a_rep_cannot_win_another_teams_deal_for_themself(app: Flask, client: FlaskClient):
    token = _people(app)["token"]
    _cats_deal_and_call(app, token, client)
    before = stored(app)
    ann = app.test_client()
    csrf = {"X-CSRFToken": log_in(ann, "ann@example.test")}
    won = deal_event(9, "deal.won")
    response = ann.post("/api/v1/events", json=won, headers=csrf)
    assert response.status_code == 422
    reason = response.json["rejected"][0]["errors"]["data.deal_id"][0]
    assert "deal D9 belongs to Cat Cole" in reason
    taken = {"id": "act-2", "type": "activity.logged", "occurred_at": "2026-03-03T10:00:00Z",
             "rep": "ann@example.test", "data": {"activity_id": "A9", "kind": "demo"}}  # fmt: skip
    reason = ann.post("/api/v1/events", json=taken, headers=csrf).json["rejected"][0]["errors"]
    assert "activity A9 belongs to Cat Cole" in reason["data.activity_id"][0]
    assert stored(app) == before and _owner_email(app, "D9") == "cat@example.test"


def test_a_manager_cannot_move_another_teams_deal_to_their_rep(app: Flask, client: FlaskClient):
    token = _people(app)["token"]
    _cats_deal_and_call(app, token, client)
    boss = app.test_client()
    csrf = {"X-CSRFToken": log_in(boss, "boss@example.test")}
    answer = boss.post("/api/v1/events", json=deal_event(9, "deal.won"), headers=csrf).json
    assert "Cat Cole" in answer["rejected"][0]["errors"]["data.deal_id"][0]
    assert _owner_email(app, "D9") == "cat@example.test"


def test_an_admin_token_still_moves_a_deal_between_teams(app: Flask, client: FlaskClient):
    token = _people(app)["token"]
    _cats_deal_and_call(app, token, client)
    assert post(client, deal_event(9, "deal.won"), token).json["accepted"] == 1
    assert _owner_email(app, "D9") == "ann@example.test"
