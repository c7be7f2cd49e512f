"""A challenge's life: its status derived from the clock, and its idempotent finalisation."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from gameplay.changes import Changes, Notification
from gameplay.models import Challenge, ChallengeAward

STATUSES = ("draft", "scheduled", "live", "ended", "cancelled")


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


def finalize_challenge(session: Session, challenge: Challenge, *, now: datetime) -> Changes:
    """Award places, winner badges and prizes once; a second call (or a race) awards nothing."""
    from gameplay.badges import award_badge
    from gameplay.formats import FORMATS
    from gameplay.rewards import grant_prizes

    changes = Changes()
    if challenge.finalized_at is not None or challenge_status(challenge, now) != "ended":
        return changes
    challenge.finalized_at = now
    already = set(
        session.scalars(
            select(ChallengeAward.user_id).where(ChallengeAward.challenge_id == challenge.id)
        )
    )
    for winner in FORMATS[challenge.format].winners(session, challenge):
        if winner.user_id in already:
            continue
        prizes = grant_prizes(session, challenge, winner.user_id, now=now, changes=changes)
        session.add(
            ChallengeAward(
                challenge_id=challenge.id,
                user_id=winner.user_id,
                place=winner.place,
                points=winner.points,
                rewards=prizes,
                awarded_at=now,
            )
        )
        award_badge(
            session,
            winner.user_id,
            "challenge_winner",
            scope=f"challenge:{challenge.id}",
            at=now,
            changes=changes,
        )
        message = f"You won {challenge.name} (place {winner.place})"
        changes.notify(Notification(winner.user_id, "challenge_ending", message, challenge.id))
    changes.standings_changed(challenge.id)
    session.flush()
    return changes


def finalize_due(session: Session, *, now: datetime) -> tuple[list[int], Changes]:
    """Finalise every launched challenge that has ended (the periodic CLI work)."""
    query = select(Challenge).where(
        Challenge.launched_at.isnot(None),
        Challenge.cancelled_at.is_(None),
        Challenge.finalized_at.is_(None),
        Challenge.ends_at <= now,
    )
    changes, done = Changes(), []
    for challenge in session.scalars(query.order_by(Challenge.id)).all():
        changes.merge(finalize_challenge(session, challenge, now=now))
        done.append(challenge.id)
    return done, changes


def budget_left(challenge: Challenge) -> Decimal | None:
    """What remains of the cash reward budget (None when the challenge has none)."""
    if challenge.reward_budget is None:
        return None
    return challenge.reward_budget - (challenge.budget_spent or Decimal(0))
