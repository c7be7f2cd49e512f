"""Phone pushes in the domain: devices (one per endpoint, a cap, only one's own removed) and
the outbox a commit's notes make (muted kinds, in-app-only points, one message per kind)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from gameplay.channels.phones import (
    MOST_DEVICES,
    Device,
    PushSubscription,
    add_device,
    devices_of,
    remove_device,
)
from gameplay.channels.pushes import PushMessage, queue_pushes, queue_test_push
from gameplay.core.changes import Changes, Notification
from gameplay.scoring.profiles import set_preferences
from kpi_engine.errors import Invalid, NotFound
from tests.factories import make_user

NOW = datetime(2026, 3, 3, tzinfo=UTC)


def _device(n: int = 1) -> Device:
    return Device(
        f"https://fcm.googleapis.com/fcm/send/device-{n}", f"key-{n}", f"auth-{n}", "Phone"
    )


def _link(note: Notification) -> str:
    return f"/play/challenges/{note.challenge_id}" if note.challenge_id else "/play/profile"


def _messages(session: Session) -> list[PushMessage]:
    return list(session.scalars(select(PushMessage).order_by(PushMessage.id)))


def test_the_same_endpoint_again_renews_its_keys_and_moves_to_whoever_subscribed_last(
    session: Session,
) -> None:
    ann, bob = make_user(session), make_user(session)
    first = add_device(session, ann, _device(), now=NOW)
    renewed = Device(first.endpoint, "new-key", "new-auth", "Shared tablet")
    again = add_device(session, bob, renewed, now=NOW)
    assert again.id == first.id and (again.user_id, again.p256dh, again.label) == (
        bob.id,
        "new-key",
        "Shared tablet",
    )
    assert devices_of(session, ann.id) == [] and devices_of(session, bob.id) == [again]


def test_a_device_beyond_the_cap_is_refused_naming_the_endpoint(session: Session) -> None:
    ann = make_user(session)
    for n in range(MOST_DEVICES):
        add_device(session, ann, _device(n), now=NOW)
    with pytest.raises(Invalid) as refused:
        add_device(session, ann, _device(99), now=NOW)
    assert "endpoint" in refused.value.fields
    assert len(devices_of(session, ann.id)) == MOST_DEVICES


def test_only_ones_own_device_can_be_removed(session: Session) -> None:
    ann, bob = make_user(session), make_user(session)
    mine = add_device(session, ann, _device(), now=NOW)
    with pytest.raises(NotFound):
        remove_device(session, bob, mine.id)
    remove_device(session, ann, mine.id)
    assert session.scalars(select(PushSubscription)).all() == []


def test_a_commit_pushes_one_message_per_device_and_kind_skipping_points_and_muted_kinds(
    session: Session,
) -> None:
    ann, bob, cat = make_user(session), make_user(session), make_user(session)
    add_device(session, ann, _device(1), now=NOW)
    add_device(session, ann, _device(2), now=NOW)
    add_device(session, bob, _device(3), now=NOW)
    set_preferences(session, bob.id, muted_kinds=["overtaken"])
    changes = Changes()
    for n in (1, 2, 3):
        changes.notify(Notification(ann.id, "overtaken", f"You were overtaken ({n})", 7))
    changes.notify(Notification(ann.id, "points_earned", "+10 points", 7))
    changes.notify(Notification(ann.id, "badge_earned", "You earned First win"))
    changes.notify(Notification(bob.id, "overtaken", "You were overtaken", 7))
    changes.notify(Notification(cat.id, "badge_earned", "No device, no push"))
    assert queue_pushes(session, changes, now=NOW, link=_link) == 4
    bodies = {(m.subscription_id, m.payload["body"], m.payload["url"]) for m in _messages(session)}
    phones = [d.id for d in devices_of(session, ann.id)]
    assert bodies == {
        (phone, body, url)
        for phone in phones
        for body, url in [
            ("You were overtaken (3) (and 2 more)", "/play/challenges/7"),
            ("You earned First win", "/play/profile"),
        ]
    }
    assert {m.status for m in _messages(session)} == {"pending"}


def test_a_test_push_goes_to_each_of_the_users_devices(session: Session) -> None:
    ann, bob = make_user(session), make_user(session)
    add_device(session, ann, _device(1), now=NOW)
    add_device(session, ann, _device(2), now=NOW)
    assert queue_test_push(session, bob.id, now=NOW, link="/play/profile") == 0
    assert queue_test_push(session, ann.id, now=NOW, link="/play/profile") == 2
    assert {m.payload["kind"] for m in _messages(session)} == {"test"}
