"""Phone pushes: the personal notes of a commit, written to an outbox in the same transaction,
one message per device, for the sender to encrypt and post after the commit.

A rep's muted kinds are honoured here. Points for a single activity stay in the app (a toast
while it is open): a phone buzzing for every call logged would soon be switched off. One commit
gives a device at most one message per kind and challenge: a burst of events that overtakes a
rep three times buzzes once, saying so.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import JSON, BindParameter, ForeignKey, Select, String, bindparam, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from gameplay.channels.deliveries import Delivery, DeliveryStatus
from gameplay.channels.phones import PushSubscription
from gameplay.core.changes import Changes, Notification
from gameplay.scoring.profiles import muted_kinds_of
from kpi_engine.db import Base
from kpi_engine.words import N_

# Kinds a phone is never woken for (they stay toasts in the open app).
IN_APP_ONLY = frozenset({"points_earned", "passed"})
TITLES = {
    "overtaken": N_("Leaderboard"),
    "mission_completed": N_("Mission done"),
    "badge_earned": N_("New badge"),
    "level_reached": N_("Level up"),
    "challenge_starting": N_("A challenge starts"),
    "challenge_ending": N_("Challenge over"),
    "proof_reviewed": N_("Proof reviewed"),
    "kpi_alert": N_("KPI alert"),
    "test": "SalesQuest",
}
TEST_MESSAGE = N_("Notifications work on this device. You will hear from SalesQuest here.")

# Where a tap on a note leads: a path the web layer builds for a note (the domain knows no URLs).
Link = Callable[[Notification], str]
# A note's title and text for its recipient, told how many more of its kind it stands for
# (web/ writes them in the recipient's language); English by default.
Write = Callable[[Notification, int], tuple[str, str]]


def write_in_english(note: Notification, more: int) -> tuple[str, str]:
    """The title and text of a note (and of `more` like it) in English."""
    tail = f" (and {more} more)" if more else ""
    return TITLES.get(note.kind, "SalesQuest"), note.message + tail


class PushMessage(Delivery, Base):
    """The push outbox: one note for one device, as the service worker shows it."""

    __tablename__ = "push_message"
    __table_args__ = (DeliveryStatus.check("status"),)

    subscription_id: Mapped[int] = mapped_column(
        ForeignKey("push_subscription.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(24))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)


def queue_pushes(
    session: Session,
    changes: Changes,
    *,
    now: datetime,
    link: Link,
    write: Write = write_in_english,
) -> int:
    """Write a message per device for the commit's unmuted notes; flushes. Returns how many."""
    notes = [n for n in changes.notifications if n.kind not in IN_APP_ONLY]
    devices = _devices_by_user(session, {n.user_id for n in notes})
    if not devices:
        return 0
    muted = muted_kinds_of(session, set(devices))
    grouped: dict[tuple[int, str, int | None], list[Notification]] = defaultdict(list)
    for note in notes:
        if note.user_id in devices and note.kind not in muted.get(note.user_id, set()):
            grouped[note.user_id, note.kind, note.challenge_id].append(note)
    written = 0
    for (user_id, _, _), group in grouped.items():
        written += _queue(session, devices[user_id], payload(group, link, write), now)
    session.flush()
    return written


def queue_test_push(
    session: Session, user_id: int, *, now: datetime, link: str, text: str = TEST_MESSAGE
) -> int:
    """A test message to each of the user's devices, through the outbox; returns how many."""
    devices = _devices_by_user(session, {user_id}).get(user_id, [])
    note = {"kind": "test", "title": TITLES["test"], "body": text, "url": link}
    written = _queue(session, devices, {**note, "tag": "test"}, now)
    session.flush()
    return written


def payload(
    notes: list[Notification], link: Link, write: Write = write_in_english
) -> dict[str, Any]:
    """What the service worker shows for notes of one kind: the latest, and how many more.

    `tag` makes a newer note of the same kind and challenge replace the older one on the phone."""
    last = notes[-1]
    title, body = write(last, len(notes) - 1)
    return {
        "kind": last.kind,
        "title": title,
        "body": body,
        "url": link(last),
        "tag": f"{last.kind}:{last.challenge_id or ''}",
    }


def _queue(
    session: Session, devices: list[PushSubscription], body: dict[str, Any], now: datetime
) -> int:
    for device in devices:
        session.add(
            PushMessage(
                subscription_id=device.id,
                kind=body["kind"],
                payload=body,
                status="pending",
                attempts=0,
                next_attempt_at=now,
                created_at=now,
            )
        )
    return len(devices)


def _devices_by_user(session: Session, user_ids: set[int]) -> dict[int, list[PushSubscription]]:
    if not user_ids:
        return {}
    by_user: dict[int, list[PushSubscription]] = defaultdict(list)
    for row in session.scalars(_devices_statement(), {"users": sorted(user_ids)}):
        by_user[row.user_id].append(row)
    return by_user


@cache
def _devices_statement() -> Select[PushSubscription]:
    # Built once: it runs on every commit with a note, and composing it cost more than
    # running it.
    users: BindParameter[list[int]] = bindparam("users", expanding=True)
    query = select(PushSubscription).where(PushSubscription.user_id.in_(users))
    return query.order_by(PushSubscription.id)


def push_target(session: Session, message: PushMessage) -> PushSubscription:
    """The device a message is for."""
    return session.get_one(PushSubscription, message.subscription_id)
