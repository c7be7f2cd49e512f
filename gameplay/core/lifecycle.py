"""A challenge's life: its status derived from the clock, and which challenges are still open
(finalisation: gameplay.manage.finalization)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from gameplay.core.models import Challenge


class ChallengeStatus(StrEnum):
    """Derived from the clock and the challenge's dates, never stored."""

    DRAFT = "draft"
    SCHEDULED = "scheduled"
    LIVE = "live"
    ENDED = "ended"
    CANCELLED = "cancelled"


def challenge_status(challenge: Challenge, now: datetime) -> str:
    """draft → scheduled → live → ended, or cancelled; derived, never stored."""
    if challenge.cancelled_at is not None:
        return "cancelled"
    if challenge.launched_at is None:
        return "draft"
    if now < challenge.starts_at:
        return "scheduled"
    return "live" if now < challenge.ends_at else "ended"


def is_frozen(challenge: Challenge, now: datetime) -> bool:
    """In the freeze period standings are hidden from reps until the challenge is finalised."""
    frozen = challenge.freeze_at is not None and now >= challenge.freeze_at
    return frozen and challenge.finalized_at is None and challenge.cancelled_at is None


def budget_left(challenge: Challenge) -> Decimal | None:
    """What remains of the cash reward budget (None when the challenge has none)."""
    if challenge.reward_budget is None:
        return None
    return challenge.reward_budget - (challenge.budget_spent or Decimal(0))
