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


class FactBadges:
    """The lifetime badges a batch of sales facts may earn: first deal, meetings booked, streak.

    The mirror does not change while a batch is scored, so each rep's record is read once per
    batch, and a badge the rep already holds is not looked at again.
    """

    def __init__(
        self, session: Session, rep_ids: set[int], *, now: datetime, changes: Changes
    ) -> None:
        self.session, self.now, self.changes = session, now, changes
        self.held = _lifetime_badges(session, rep_ids) if rep_ids else set()
        self.meetings: dict[int, int] = {}
        self.streaks: dict[int, int] = {}

    def check(self, fact: Fact) -> None:
        """Award what this fact earns (its rep must be one of the batch's rep_ids)."""
        rep = fact.rep_id
        if fact.type == "deal_won":
            self._award(rep, "first_deal")
            return
        booked = fact.outcome == "meeting_booked" and self._wants(rep, "meetings_booked_10")
        if booked and self._meetings(rep) >= MEETINGS_FOR_BADGE:
            self._award(rep, "meetings_booked_10")
        if self._wants(rep, "streak_5") and self._streak(rep) >= STREAK_FOR_BADGE:
            self._award(rep, "streak_5")

    def _wants(self, rep: int, code: str) -> bool:
        return (rep, code) not in self.held

    def _award(self, rep: int, code: str) -> None:
        if self._wants(rep, code):
            award_badge(self.session, rep, code, at=self.now, changes=self.changes)
            self.held.add((rep, code))

    def _meetings(self, rep: int) -> int:
        if rep not in self.meetings:
            self.meetings[rep] = _meetings_booked(self.session, rep)
        return self.meetings[rep]

    def _streak(self, rep: int) -> int:
        if rep not in self.streaks:
            streak = current_streak(self.session, rep, today=self.now.date())
            self.streaks[rep] = streak.current
        return self.streaks[rep]


def _lifetime_badges(session: Session, rep_ids: set[int]) -> set[tuple[int, str]]:
    query = select(BadgeAward.user_id, BadgeAward.code).where(
        BadgeAward.user_id.in_(rep_ids), BadgeAward.scope == ""
    )
    return {(user_id, code) for user_id, code in session.execute(query)}


def _meetings_booked(session: Session, user_id: int) -> int:
    query = select(func.count()).where(
        Activity.rep_id == user_id, Activity.outcome == "meeting_booked"
    )
    return session.scalar(query) or 0


def badges_of(session: Session, user_id: int) -> list[BadgeAward]:
    """A user's badges, newest first."""
    query = select(BadgeAward).where(BadgeAward.user_id == user_id)
    return list(session.scalars(query.order_by(BadgeAward.awarded_at.desc(), BadgeAward.id.desc())))
