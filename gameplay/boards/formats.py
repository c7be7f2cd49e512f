"""Challenge formats: how each decides its winners, and what each needs to be set up.

A registry (as CTFd keeps challenge types): adding a format means adding one entry here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from gameplay.boards.leaderboards import BOARD_ORDER, team_rows
from gameplay.core.models import Challenge, Participant


@dataclass(frozen=True)
class Winner:
    user_id: int
    place: int
    points: int


@dataclass(frozen=True)
class Format:
    name: str
    needs_target: bool
    winners: Callable[[Session, Challenge], list[Winner]]
    words: str


def _participants(
    session: Session, challenge: Challenge, *order: Any
) -> list[Participant]:
    query = select(Participant).where(Participant.challenge_id == challenge.id)
    return list(session.scalars(query.order_by(*order)))


def _leaderboard_winners(session: Session, challenge: Challenge) -> list[Winner]:
    """The top N by points; equal points are separated by who reached them first."""
    ranked = [p for p in _participants(session, challenge, *BOARD_ORDER) if p.points > 0]
    return [Winner(p.user_id, i + 1, p.points) for i, p in enumerate(ranked[: challenge.top_n])]


def _race_winners(session: Session, challenge: Challenge) -> list[Winner]:
    """The first N to reach the target, in the order they reached it."""
    order = (Participant.target_reached_at, Participant.user_id)
    finishers = [p for p in _participants(session, challenge, *order) if p.target_reached_at]
    return [Winner(p.user_id, i + 1, p.points) for i, p in enumerate(finishers[: challenge.top_n])]


def _threshold_winners(session: Session, challenge: Challenge) -> list[Winner]:
    """Everyone at or above the target at the end wins; all share first place."""
    target = challenge.target or 0
    return [
        Winner(p.user_id, 1, p.points)
        for p in _participants(session, challenge, *BOARD_ORDER)
        if p.points >= target
    ]


def _team_battle_winners(session: Session, challenge: Challenge) -> list[Winner]:
    """Every member of the team with the best score (sum or average) wins."""
    teams = team_rows(session, challenge)
    if not teams or teams[0].points <= 0:
        return []
    best = teams[0].team_id
    members = [p for p in _participants(session, challenge, *BOARD_ORDER) if p.team_id == best]
    return [Winner(p.user_id, 1, p.points) for p in members]


FORMAT_RULES: dict[str, Format] = {
    "leaderboard": Format(
        "leaderboard", False, _leaderboard_winners, "the top {top_n} at the end win"
    ),
    "race": Format("race", True, _race_winners, "the first {top_n} to reach {target} points win"),
    "threshold": Format(
        "threshold", True, _threshold_winners, "everyone who reaches {target} points wins"
    ),
    "team_battle": Format(
        "team_battle",
        False,
        _team_battle_winners,
        "the team with the best {team_scoring} of points wins",
    ),
}


def describe_format(challenge: Challenge) -> str:
    """How the challenge is won, in plain words."""
    words = FORMAT_RULES[challenge.format].words
    if challenge.top_n == 1 and words.endswith(" win"):
        # One winner: "the leader at the end wins", not "the top 1 ... win".
        words = words.replace("the top {top_n}", "the leader").replace("first {top_n}", "first")
        words = words.removesuffix(" win") + " wins"
    return words.format(
        top_n=challenge.top_n, target=challenge.target, team_scoring=challenge.team_scoring
    )
