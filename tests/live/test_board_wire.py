"""The board's wire format at the edge: one row schema for the HTTP board and Socket.IO frames,
frames that say which versions they cover (from the board news written with the change), and
a snapshot a page in the room may ask for again."""

from __future__ import annotations

import time

from flask import Flask
from sqlalchemy import select

from gameplay.boards.board_news import BoardNews
from kpi_engine.db import utcnow
from tests.conftest import log_in
from tests.live.conftest import Org
from tests.live.test_publishing import frames, live_client
from web import realtime
from web.extensions import db, socketio
from web.schemas.challenges import FRAME_ROW_FIELDS


def post_call(app: Flask, org: Org, key: str) -> None:
    body = {
        "id": key,
        "type": "activity.logged",
        "occurred_at": utcnow().isoformat(),
        "rep": "ann@example.test",
        "data": {"kind": "call", "outcome": "connected"},
    }
    headers = {"Authorization": f"Bearer {org.token}"}
    answer = app.test_client().post("/api/v1/events", json=body, headers=headers)
    assert answer.status_code == 200, answer.get_json()


def test_a_frame_covers_the_versions_of_the_news_written_with_the_change(
    app: Flask, org: Org
) -> None:
    bob = live_client(app, "bob@example.test", org.challenge_id)
    post_call(app, org, "wire-call-1")
    realtime.throttle.flush()
    time.sleep(0.3)
    [frame] = frames(bob, "leaderboard")
    with app.app_context():
        [news] = db.session.scalars(select(BoardNews)).all()
        assert news.relayed_at is not None
        assert (frame["since"], frame["version"]) == (news.since, news.version)
        assert org.ann in news.user_ids  # and whoever Ann's points moved down a rank
    rows = {row["user_id"]: row["points"] for row in frame["rows"]}
    assert rows[org.ann] == 10 and set(rows) == set(news.user_ids)


def test_frame_rows_and_http_rows_come_from_one_schema(app: Flask, org: Org) -> None:
    post_call(app, org, "wire-call-2")
    http = app.test_client()
    log_in(http, "bob@example.test")
    board = http.get(f"/api/v1/challenges/{org.challenge_id}/leaderboard").get_json()
    client = socketio.test_client(app, flask_test_client=http)
    assert client.emit("subscribe", {"challenge_id": org.challenge_id}, callback=True)["ok"]
    [snapshot] = [f for f in frames(client, "leaderboard") if f["snapshot"]]
    assert snapshot["version"] == board["version"]
    assert snapshot["rows"] == [{k: row[k] for k in FRAME_ROW_FIELDS} for row in board["rows"]]
    assert set(board["rows"][0]) > set(FRAME_ROW_FIELDS)  # HTTP adds team_id, is_me, ...


def test_a_page_in_the_room_may_ask_for_its_snapshot_again(app: Flask, org: Org) -> None:
    bob = live_client(app, "bob@example.test", org.challenge_id)
    assert bob.emit("snapshot", {"challenge_id": org.challenge_id}, callback=True) == {"ok": True}
    [again] = frames(bob, "leaderboard")
    assert again["snapshot"] and again["challenge_id"] == org.challenge_id
    http = app.test_client()
    log_in(http, "ann@example.test")
    outsider = socketio.test_client(app, flask_test_client=http)
    answer = outsider.emit("snapshot", {"challenge_id": org.challenge_id}, callback=True)
    assert answer == {"ok": False, "reason": "subscribe to this challenge first"}
    assert frames(outsider, "leaderboard") == []
