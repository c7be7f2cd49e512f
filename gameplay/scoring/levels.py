"""Levels from lifetime points, on thresholds an admin may configure (defaults otherwise)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from gameplay.core.changes import Changes, note
from gameplay.core.models import Level
from gameplay.scoring.profiles import profile_of
from kpi_engine.words import N_

DEFAULT_LEVELS = (
    (1, N_("Rookie"), 0),
    (2, N_("Closer"), 100),
    (3, N_("Pro"), 500),
    (4, N_("Star"), 1500),
    (5, N_("Legend"), 5000),
)

LEVELS_KEY = "gameplay.levels"


@dataclass(frozen=True)
class LevelStanding:
    number: int
    name: str
    points: int
    next_at: int | None


def level_table(session: Session) -> list[tuple[int, str, int]]:
    """The thresholds in force, lowest first (cached on the session; set_levels clears it)."""
    if LEVELS_KEY not in session.info:
        rows = session.execute(
            select(Level.number, Level.name, Level.min_points).order_by(Level.min_points)
        )
        session.info[LEVELS_KEY] = [(n, name, p) for n, name, p in rows] or list(DEFAULT_LEVELS)
    return session.info[LEVELS_KEY]


def level_for(table: list[tuple[int, str, int]], points: int) -> LevelStanding:
    """The level a lifetime total reaches, and the points the next level needs."""
    reached = [row for row in table if points >= row[2]] or [table[0]]
    number, name, _ = reached[-1]
    higher = [row[2] for row in table if row[2] > points]
    return LevelStanding(number, name, points, higher[0] if higher else None)


def add_lifetime_points(session: Session, user_id: int, points: int, changes: Changes) -> None:
    """Move a user's lifetime points; tell them when that lifts them to a new level."""
    profile = profile_of(session, user_id)
    table = level_table(session)
    before = level_for(table, profile.lifetime_points).number
    profile.lifetime_points += points
    reached = level_for(table, profile.lifetime_points)
    if reached.number > before:
        data = (("level", reached.number),)
        template = N_("You reached level %(number)s: %(name)s")
        changes.notify(
            note(
                user_id,
                "level_reached",
                template,
                data=data,
                number=reached.number,
                name=reached.name,
            )
        )


def set_levels(session: Session, levels: list[tuple[str, int]]) -> list[Level]:
    """Replace the thresholds with (name, min_points) pairs, numbered from 1 by points."""
    session.info.pop(LEVELS_KEY, None)
    for level in session.scalars(select(Level)):
        session.delete(level)
    session.flush()
    ordered = sorted(levels, key=lambda pair: pair[1])
    rows = [Level(number=i + 1, name=name, min_points=p) for i, (name, p) in enumerate(ordered)]
    session.add_all(rows)
    session.flush()
    return rows
