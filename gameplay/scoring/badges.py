"""Badges: lifetime ones earned from sales facts, and per-challenge ones (winner, missions)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gameplay.core.changes import Changes, note
from gameplay.core.models import BadgeAward
from gameplay.scoring.rules import Fact
from gameplay.scoring.streaks import Streak, current_streaks
from kpi_engine.sales.models import Activity
from kpi_engine.words import N_

BADGES = {
    "first_deal": N_("First deal won"),
    "meetings_booked_10": N_("10 meetings booked"),
    "streak_5": N_("5-day activity streak"),
    "challenge_winner": N_("Challenge winner"),
    "onboarding_completed": N_("Onboarding completed"),
}
MEETINGS_FOR_BADGE = 10
STREAK_FOR_BADGE = 5


def badge_title(code: str) -> str:
    return BADGES.get(code, code.replace("_", " ").capitalize())


def award_badge(
    session: Session, user_id: int, code: str, *, scope: str = "", at: datetime, changes: Changes
) -> bool:
    """Give a badge once per user and scope; True when it is new."""
    return BadgeBook(session, now=at, changes=changes).award(user_id, code, scope)


class BadgeBook:
    """The badges one call may award: those its users hold are read once per user and scope,
    and each award joins them, so a badge is given once however often it is earned."""

    def __init__(self, session: Session, *, now: datetime, changes: Changes) -> None:
        self.session, self.now, self.changes = session, now, changes
        self.held: set[tuple[int, str, str]] = set()
        self.read: set[tuple[int, str]] = set()

    def load(self, user_ids: set[int], scopes: set[str]) -> None:
        """Read the badges these users hold in these scopes, in one query."""
        if not user_ids or not scopes:
            return
        query = select(BadgeAward.user_id, BadgeAward.code, BadgeAward.scope).where(
            BadgeAward.user_id.in_(user_ids), BadgeAward.scope.in_(scopes)
        )
        self.held |= {
            (user_id, code, scope) for user_id, code, scope in self.session.execute(query)
        }
        self.read |= {(user_id, scope) for user_id in user_ids for scope in scopes}

    def holds(self, user_id: int, code: str, scope: str = "") -> bool:
        if (user_id, scope) not in self.read:
            self.load({user_id}, {scope})
        return (user_id, code, scope) in self.held

    def award(self, user_id: int, code: str, scope: str = "") -> bool:
        """Give the badge unless the user holds it; True when it is new."""
        if self.holds(user_id, code, scope):
            return False
        self.session.add(BadgeAward(user_id=user_id, code=code, scope=scope, awarded_at=self.now))
        self.held.add((user_id, code, scope))
        data = (("badge", code),)
        template = N_("Badge earned: %(badge)s")
        self.changes.notify(
            note(user_id, "badge_earned", template, data=data, badge=badge_title(code))
        )
        return True


class FactBadges:
    """The lifetime badges a batch of sales facts may earn: first deal, meetings booked, streak.

    The mirror does not change while a batch is scored, so what they count is read once per
    batch, for all its reps who may still earn them, and a badge a rep holds is not looked at
    again.
    """

    def __init__(self, badges: BadgeBook, facts: Iterable[Fact]) -> None:
        self.badges, self.session = badges, badges.session
        self.reps = {f.rep_id for f in facts}
        self.booking = {f.rep_id for f in facts if f.outcome == "meeting_booked"}
        badges.load(self.reps, {""})
        self.meetings: dict[int, int] | None = None
        self.streaks: dict[int, Streak] | None = None

    def check(self, fact: Fact) -> None:
        """Award what this fact earns (it must be one of the batch's facts)."""
        rep = fact.rep_id
        if fact.type == "deal_won":
            self.badges.award(rep, "first_deal")
            return
        booked = fact.outcome == "meeting_booked" and self._wants(rep, "meetings_booked_10")
        if booked and self._meetings(rep) >= MEETINGS_FOR_BADGE:
            self.badges.award(rep, "meetings_booked_10")
        if self._wants(rep, "streak_5") and self._streak(rep) >= STREAK_FOR_BADGE:
            self.badges.award(rep, "streak_5")

    def _wants(self, rep: int, code: str) -> bool:
        return not self.badges.holds(rep, code)

    def _meetings(self, rep: int) -> int:
        if self.meetings is None:
            wanting = self._wanting("meetings_booked_10") & self.booking
            self.meetings = _meetings_booked(self.session, wanting)
        return self.meetings.get(rep, 0)

    def _streak(self, rep: int) -> int:
        if self.streaks is None:
            # Whether a streak reaches 5 working days shows within the last two weeks.
            reps, today = self._wanting("streak_5"), self.badges.now.date()
            self.streaks = current_streaks(self.session, reps, today=today, lookback_days=14)
        return self.streaks[rep].current

    def _wanting(self, code: str) -> set[int]:
        return {rep for rep in self.reps if self._wants(rep, code)}


def _meetings_booked(session: Session, user_ids: set[int]) -> dict[int, int]:
    query = (
        select(Activity.rep_id, func.count())
        .where(Activity.rep_id.in_(user_ids), Activity.outcome == "meeting_booked")
        .group_by(Activity.rep_id)
    )
    return dict(session.execute(query).all())


def badges_of(session: Session, user_id: int) -> list[BadgeAward]:
    """A user's badges, newest first."""
    query = select(BadgeAward).where(BadgeAward.user_id == user_id)
    return list(session.scalars(query.order_by(BadgeAward.awarded_at.desc(), BadgeAward.id.desc())))
