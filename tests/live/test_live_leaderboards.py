"""Live leaderboards with a real python-socketio client against the running server."""

from __future__ import annotations

import time

import pytest
import socketio

from tests.live.conftest import Org, connect, post_call, session_cookie

pytestmark = pytest.mark.live


def test_connecting_without_a_session_is_refused(server: str) -> None:
    with pytest.raises(socketio.exceptions.ConnectionError):
        connect(server)


def test_a_handshake_from_a_foreign_origin_is_refused(server: str) -> None:
    cookie = session_cookie(server, "ann@example.test")
    with pytest.raises(socketio.exceptions.ConnectionError):
        connect(server, cookie, Origin="http://evil.example")


def test_subscribing_to_a_challenge_the_user_may_not_see_is_refused(server: str, org: Org) -> None:
    cat = connect(server, session_cookie(server, "cat@example.test"))
    answer = cat.subscribe(org.challenge_id)
    cat.sio.disconnect()
    assert answer["ok"] is False and "may not see" in answer["reason"]
    assert "leaderboard" not in cat.frames


def test_subscribing_answers_with_the_current_standings(server: str, org: Org) -> None:
    boss = connect(server, session_cookie(server, "boss@example.test"))
    assert boss.subscribe(org.challenge_id) == {"ok": True}
    frame = boss.wait_for("leaderboard", lambda f: f["snapshot"])
    boss.sio.disconnect()
    assert {row["name"] for row in frame["rows"]} == {"Ann", "Bob"}
    assert frame["challenge_id"] == org.challenge_id and frame["participants"] == 2


def test_an_event_posted_through_the_api_sends_one_frame_and_notifies_the_rep(
    server: str, org: Org
) -> None:
    ann = connect(server, session_cookie(server, "ann@example.test"))
    bob = connect(server, session_cookie(server, "bob@example.test"))
    for client in (ann, bob):
        client.subscribe(org.challenge_id)
        client.wait_for("leaderboard", lambda f: f["snapshot"])
    post_call(server, org.token, "ann@example.test", "call-1")
    moved = bob.wait_for("leaderboard", lambda f: not f["snapshot"])
    note = ann.wait_for("notification", lambda f: f["kind"] == "points_earned")
    time.sleep(0.6)  # longer than the throttle window: a second frame would have arrived
    for client in (ann, bob):
        client.sio.disconnect()
    assert [f for f in bob.frames["leaderboard"] if not f["snapshot"]] == [moved]
    ann_row = next(row for row in moved["rows"] if row["user_id"] == org.ann)
    assert (ann_row["rank"], ann_row["points"]) == (1, 10)
    assert note["challenge_id"] == org.challenge_id and "+10 points" in note["message"]
    assert "notification" not in bob.frames or all(
        f["kind"] != "points_earned" for f in bob.frames["notification"]
    )


def test_a_reconnecting_client_gets_the_standings_it_missed(server: str, org: Org) -> None:
    cookie = session_cookie(server, "bob@example.test")
    bob = connect(server, cookie)
    bob.subscribe(org.challenge_id)
    before = bob.wait_for("leaderboard", lambda f: f["snapshot"])
    bob.sio.disconnect()
    post_call(server, org.token, "ann@example.test", "call-while-away")
    back = connect(server, cookie)
    back.subscribe(org.challenge_id)
    after = back.wait_for("leaderboard", lambda f: f["snapshot"])
    back.sio.disconnect()
    assert after["version"] > before["version"]
    assert next(r for r in after["rows"] if r["user_id"] == org.ann)["points"] == 10
