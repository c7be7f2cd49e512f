"""What the live layer publishes after a commit, seen by Flask-SocketIO's test client."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from flask import Flask
from flask_socketio import SocketIOTestClient
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from gameplay.core.changes import Changes, Notification
from gameplay.core.models import Challenge
from gameplay.scoring.profiles import set_preferences
from kpi_engine.org.models import User
from tests.conftest import log_in
from tests.live.conftest import Org
from web import realtime
from web.extensions import db, socketio
from web.realtime import (
    LONGEST_WINDOW_SECONDS,
    THROTTLE_SECONDS,
    Throttle,
    commit_and_publish,
    publish,
)
from web.wall_links import create_wall_link, revoke_wall_links


@pytest.fixture(autouse=True)
def quiet_throttle(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test starts with no frame sent recently, as a freshly started server does."""
    monkeypatch.setattr(realtime, "throttle", Throttle(THROTTLE_SECONDS))


def live_client(app: Flask, email: str, challenge_id: int) -> SocketIOTestClient:
    flask_client = app.test_client()
    log_in(flask_client, email)
    client = socketio.test_client(app, flask_test_client=flask_client)
    assert client.is_connected()
    assert client.emit("subscribe", {"challenge_id": challenge_id}, callback=True) == {"ok": True}
    client.get_received()  # the snapshot
    return client


def frames(client: SocketIOTestClient, name: str) -> list[dict[str, Any]]:
    return [m["args"][0] for m in client.get_received() if m["name"] == name]


def test_a_burst_of_changes_is_coalesced_into_two_frames_at_most(app: Flask, org: Org) -> None:
    bob = live_client(app, "bob@example.test", org.challenge_id)
    with app.test_request_context():
        for _ in range(20):
            changes = Changes()
            changes.standings_changed(org.challenge_id, {org.ann})
            publish(changes)
    time.sleep(THROTTLE_SECONDS * 3)
    received = frames(bob, "leaderboard")
    assert len(received) == 2, "one frame at once, one trailing frame for the rest of the burst"
    assert {row["user_id"] for row in received[-1]["rows"]} == {org.ann}


def test_a_long_steady_stream_costs_a_frame_per_longest_window(app: Flask, org: Org) -> None:
    bob = live_client(app, "bob@example.test", org.challenge_id)
    gap, duration = 0.05, 5.0
    with app.test_request_context():
        for _ in range(int(duration / gap)):
            changes = Changes()
            changes.standings_changed(org.challenge_id, {org.ann})
            publish(changes)
            time.sleep(gap)
    time.sleep(LONGEST_WINDOW_SECONDS + THROTTLE_SECONDS)
    received = frames(bob, "leaderboard")
    # Windows of 0.25, 0.5, 1, 2, 2 ... s: a fixed window would have sent 20 frames.
    assert 3 <= len(received) <= 2 + duration / LONGEST_WINDOW_SECONDS + 2


def test_a_quiet_challenge_gets_its_next_change_at_once_again(app: Flask, org: Org) -> None:
    bob = live_client(app, "bob@example.test", org.challenge_id)
    with app.test_request_context():
        for _ in range(30):  # busy long enough for the window to grow
            changes = Changes()
            changes.standings_changed(org.challenge_id, {org.ann})
            publish(changes)
            time.sleep(0.05)
        time.sleep(LONGEST_WINDOW_SECONDS + THROTTLE_SECONDS)
        frames(bob, "leaderboard")
        changes = Changes()
        changes.standings_changed(org.challenge_id, {org.bob})
        publish(changes)
    time.sleep(THROTTLE_SECONDS / 2)  # the broadcast runs in a task of its own
    assert len(frames(bob, "leaderboard")) == 1, "sent at once, not at the end of a grown window"


def test_a_muted_kind_of_notification_is_not_delivered(app: Flask, org: Org) -> None:
    ann = live_client(app, "ann@example.test", org.challenge_id)
    with app.test_request_context():
        set_preferences(db.session(), org.ann, muted_kinds=["overtaken"])
        changes = Changes()
        changes.notify(Notification(org.ann, "overtaken", "Bob passed you", org.challenge_id))
        changes.notify(Notification(org.ann, "badge_earned", "Badge earned: First deal"))
        commit_and_publish(changes)
    assert [f["kind"] for f in frames(ann, "notification")] == ["badge_earned"]


def test_nothing_is_published_when_the_commit_fails(app: Flask, org: Org) -> None:
    ann = live_client(app, "ann@example.test", org.challenge_id)
    with app.test_request_context():
        db.session.add(User(name="Twin", email="ann@example.test", app_role="rep"))
        changes = Changes()
        changes.standings_changed(org.challenge_id, {org.ann})
        changes.notify(Notification(org.ann, "points_earned", "+10 points", org.challenge_id))
        with pytest.raises(IntegrityError):
            commit_and_publish(changes)
        db.session.rollback()
    time.sleep(THROTTLE_SECONDS)
    assert ann.get_received() == []


def test_notifications_go_to_their_rep_only(app: Flask, org: Org) -> None:
    ann = live_client(app, "ann@example.test", org.challenge_id)
    bob = live_client(app, "bob@example.test", org.challenge_id)
    with app.test_request_context():
        changes = Changes()
        changes.notify(Notification(org.bob, "mission_completed", "Mission done", org.challenge_id))
        publish(changes)
    assert frames(ann, "notification") == []
    assert [f["message"] for f in frames(bob, "notification")] == ["Mission done"]


def test_a_wall_screen_connects_with_its_link_until_it_is_revoked(app: Flask, org: Org) -> None:
    with app.test_request_context():
        manager = db.session.scalars(select(User).where(User.app_role == "manager")).one()
        challenge = db.session.get_one(Challenge, org.challenge_id)
        token = create_wall_link(db.session(), challenge, manager)
        db.session.commit()
    wall = socketio.test_client(app, auth={"wall": token})
    snapshot = frames(wall, "leaderboard")
    assert [row["name"] for row in snapshot[0]["rows"]] == ["Ann", "Bob"]
    wall.disconnect()
    with app.test_request_context():
        revoke_wall_links(db.session(), org.challenge_id)
        db.session.commit()
    assert not socketio.test_client(app, auth={"wall": token}).is_connected()


def test_frames_and_notifications_go_out_while_another_writer_holds_the_database(
    app: Flask, org: Org
) -> None:
    """A long import must not hold up the boards: the live layer's reads take no write lock,
    so on SQLite they read the last committed state instead of waiting for the writer."""
    ann = live_client(app, "ann@example.test", org.challenge_id)
    with app.app_context(), db.engine.connect() as writer:
        writer.begin()  # on SQLite, BEGIN IMMEDIATE: the write lock, held until the end
        writer.execute(select(User.id).limit(1))
        writer.execute(User.__table__.update().where(User.id == org.bob).values(name="Bobby"))
        changes = Changes()
        changes.standings_changed(org.challenge_id, {org.ann})
        changes.notify(Notification(org.ann, "points_earned", "+10", org.challenge_id))
        done = threading.Event()

        def publish_and_send() -> None:
            with app.test_request_context():
                publish(changes)
                realtime.throttle.flush()
            done.set()

        threading.Thread(target=publish_and_send, daemon=True).start()
        # Well below the 30 s busy timeout that a read taking the write lock would wait for.
        assert done.wait(10), "the live layer waited for the writer's lock"
        writer.rollback()
    time.sleep(THROTTLE_SECONDS)  # the frame may have been sent by its own task instead
    received = {m["name"]: m["args"][0] for m in ann.get_received()}
    assert received["notification"]["message"] == "+10"
    assert [row["user_id"] for row in received["leaderboard"]["rows"]] == [org.ann]
