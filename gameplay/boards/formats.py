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
from kpi_engine.words import ENGLISH, Words


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
    words: Callable[[Challenge, Words], str]


def _participants(session: Session, challenge: Challenge, *order: Any) -> list[Participant]:
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


def _leaderboard_words(challenge: Challenge, words: Words) -> str:
    return words.ngettext(
        "the leader at the end wins", "the top %(top_n)s at the end win", challenge.top_n
    ) % {"top_n": words.number(challenge.top_n)}


def _race_words(challenge: Challenge, words: Words) -> str:
    return words.ngettext(
        "the first to reach %(target)s points wins",
        "the first %(top_n)s to reach %(target)s points win",
        challenge.top_n,
    ) % {"top_n": words.number(challenge.top_n), "target": words.number(challenge.target or 0)}


def _threshold_words(challenge: Challenge, words: Words) -> str:
    target = words.number(challenge.target or 0)
    return words.gettext("everyone who reaches %(target)s points wins") % {"target": target}


def _team_battle_words(challenge: Challenge, words: Words) -> str:
    if challenge.team_scoring == "average":
        return words.gettext("the team with the best average of points wins")
    return words.gettext("the team with the best sum of points wins")


FORMAT_RULES: dict[str, Format] = {
    "leaderboard": Format("leaderboard", False, _leaderboard_winners, _leaderboard_words),
    "race": Format("race", True, _race_winners, _race_words),
    "threshold": Format("threshold", True, _threshold_winners, _threshold_words),
    "team_battle": Format("team_battle", False, _team_battle_winners, _team_battle_words),
}


def describe_format(challenge: Challenge, words: Words = ENGLISH) -> str:
    """How the challenge is won, in plain words ("the top 3 at the end win")."""
    return FORMAT_RULES[challenge.format].words(challenge, words)
