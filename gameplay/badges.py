"""Badges: lifetime ones earned from sales facts, and per-challenge ones (winner, missions)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gameplay.changes import Changes, Notification
from gameplay.models import BadgeAward
from gameplay.rules import Fact
from gameplay.streaks import current_streak
from kpi_engine.models import Activity

BADGES = {
    "first_deal": "First deal won",
    "meetings_booked_10": "10 meetings booked",
    "streak_5": "5-day activity streak",
    "challenge_winner": "Challenge winner",
    "onboarding_completed": "Onboarding completed",
}
MEETINGS_FOR_BADGE = 10
STREAK_FOR_BADGE = 5


def badge_title(code: str) -> str:
    return BADGES.get(code, code.replace("_", " ").capitalize())


def award_badge(
    session: Session, user_id: int, code: str, *, scope: str = "", at: datetime, changes: Changes
) -> bool:
    """Give a badge once per user and scope; True when it is new."""
    query = select(BadgeAward.id).where(
        BadgeAward.user_id == user_id, BadgeAward.code == code, BadgeAward.scope == scope
    )
    if session.scalar(query) is not None:
        return False
    session.add(BadgeAward(user_id=user_id, code=code, scope=scope, awarded_at=at))
    message = f"Badge earned: {badge_title(code)}"
    changes.notify(Notification(user_id, "badge_earned", message, data=(("badge", code),)))
    return True


def check_fact_badges(session: Session, fact: Fact, *, now: datetime, changes: Changes) -> None:
    """The lifetime badges a new sales fact may earn: first deal, meetings booked, streak."""
    if fact.type == "deal_won":
        award_badge(session, fact.rep_id, "first_deal", at=now, changes=changes)
        return
    if (
        fact.outcome == "meeting_booked"
        and _meetings_booked(session, fact.rep_id) >= MEETINGS_FOR_BADGE
    ):
        award_badge(session, fact.rep_id, "meetings_booked_10", at=now, changes=changes)
    if current_streak(session, fact.rep_id, today=now.date()).current >= STREAK_FOR_BADGE:
        award_badge(session, fact.rep_id, "streak_5", at=now, changes=changes)


def _meetings_booked(session: Session, user_id: int) -> int:
    query = select(func.count()).where(
        Activity.rep_id == user_id, Activity.outcome == "meeting_booked"
    )
    return session.scalar(query) or 0


def badges_of(session: Session, user_id: int) -> list[BadgeAward]:
    """A user's badges, newest first."""
    query = select(BadgeAward).where(BadgeAward.user_id == user_id)
    return list(session.scalars(query.order_by(BadgeAward.awarded_at.desc(), BadgeAward.id.desc())))
