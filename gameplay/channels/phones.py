"""A rep's phones (and other browsers) that take Web Push notifications: one subscription per
device, made on the rep's profile, forgotten when the rep removes it or its push service
says it expired.

A subscription's endpoint is a capability URL of the browser's push service: the server
posts encrypted messages to it, readable only with the device's keys. One endpoint belongs
to one user at a time: when another person subscribes from the same browser, it moves to
them, since only the last one logged in there should be woken up by it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ForeignKey, String, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from kpi_engine.db import Base, UTCDateTime
from kpi_engine.errors import Invalid, NotFound
from kpi_engine.org.models import User
from kpi_engine.words import N_, said

# Enough for a phone, a tablet and a few browsers; a forgotten device expires by itself.
MOST_DEVICES = 10


class PushSubscription(Base):
    """One device's Web Push subscription: where to post, and the keys to encrypt for it."""

    __tablename__ = "push_subscription"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    endpoint: Mapped[str] = mapped_column(String(1000), unique=True)
    p256dh: Mapped[str] = mapped_column(String(100))
    auth: Mapped[str] = mapped_column(String(40))
    label: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


@dataclass(frozen=True)
class Device:
    """What a subscription is from the rep's side: their own name for it, and when."""

    endpoint: str
    p256dh: str
    auth: str
    label: str


def add_device(session: Session, user: User, device: Device, *, now: datetime) -> PushSubscription:
    """Subscribe a device for the user (the same endpoint again renews its keys); flushes."""
    row = session.scalar(
        select(PushSubscription).where(PushSubscription.endpoint == device.endpoint)
    )
    if row is None:
        _check_room(session, user)
        row = PushSubscription(endpoint=device.endpoint, created_at=now)
        session.add(row)
    row.user_id, row.p256dh, row.auth = user.id, device.p256dh, device.auth
    row.label = device.label
    session.flush()
    return row


def _check_room(session: Session, user: User) -> None:
    count = session.scalar(select(func.count()).where(PushSubscription.user_id == user.id))
    if (count or 0) >= MOST_DEVICES:
        raise Invalid(
            N_("you already get notifications on %(most)s devices; remove one first"),
            {"endpoint": [said(N_("at most %(most)s devices"), most=MOST_DEVICES)]},
            most=MOST_DEVICES,
        )


def devices_of(session: Session, user_id: int) -> list[PushSubscription]:
    """The user's subscribed devices, oldest first."""
    query = select(PushSubscription).where(PushSubscription.user_id == user_id)
    return list(session.scalars(query.order_by(PushSubscription.id)))


def remove_device(session: Session, user: User, subscription_id: int) -> PushSubscription:
    """Forget one of the user's own devices (and its unsent messages); another's is NotFound."""
    row = session.get(PushSubscription, subscription_id)
    if row is None or row.user_id != user.id:
        raise NotFound(N_("you have no device %(id)s"), id=str(subscription_id))

    session.delete(row)
    session.flush()
    return row


def forget_endpoint(session: Session, subscription_id: int) -> None:
    """The push service said this subscription is gone (404 or 410): drop it and its queue."""
    row = session.get(PushSubscription, subscription_id)
    if row is not None:
        session.delete(row)
        session.flush()
