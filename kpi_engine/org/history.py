"""Which team a person was in at a moment: their current team (User.team_id), and before it the
teams of their past memberships (PastMembership), written when they moved.

A team's figures read each deal or activity with the team its owner was in at that moment, so a
rep who moves keeps their past deals in the old team's past periods. A moment of None (a deal
still open) reads the current team: an open deal moves with its owner.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pandas as pd
from sqlalchemy import ColumnElement, Select, exists, or_, select
from sqlalchemy.orm import Session, aliased

from kpi_engine.org.models import PastMembership, Team, User


@dataclass(frozen=True)
class Stint:
    """A stretch in a team (team_id None: in no team), from `start` (None: from the start of
    their history) until `end` (None: still there), with the team's name when it was read."""

    team_id: int | None
    start: datetime | None
    end: datetime | None
    team: str | None = None

    def covers(self, moment: datetime) -> bool:
        started = self.start is None or self.start <= moment
        return started and (self.end is None or moment < self.end)


def member_at(person: Any, teams: Select[Any], moment: Any | None) -> ColumnElement[bool]:
    """SQL: `person` (a user id column) was in one of `teams` (a select of team ids) at
    `moment` (a datetime column; a NULL value or None means now).

    Each branch first narrows by an uncorrelated IN on the person, so the database can still
    use the owner's index; only people who moved are checked against their dates."""
    moved = select(PastMembership.user_id)
    current = select(User.id).where(User.team_id.in_(teams))
    if moment is None:
        return person.in_(current)
    past = aliased(PastMembership)
    not_left_yet = ~exists().where(past.user_id == person, past.ended_at > moment)
    was_there = exists().where(
        past.user_id == person,
        past.team_id.in_(teams),
        or_(past.started_at.is_(None), past.started_at <= moment),
        past.ended_at > moment,
    )
    return or_(
        person.in_(current.where(User.id.not_in(moved))),
        person.in_(current.where(User.id.in_(moved))) & not_left_yet,
        person.in_(select(PastMembership.user_id).where(PastMembership.team_id.in_(teams)))
        & was_there,
    )


def teams_at(session: Session, owners: pd.Series, moments: pd.Series, now: pd.Series) -> pd.Series:
    """Each row's team at its moment, given its owner, its moment (NaT: now) and the owner's
    current team `now`; only the rows of owners who moved are looked at again (usually none)."""
    moved = _moves(session)
    rows = owners.isin(list(moved)) & moments.notna()
    if not rows.any():
        return now
    teams = now.astype("object").copy()
    for index in owners.index[rows]:
        moment = moments[index]
        for stint in moved[int(owners[index])]:
            if stint.covers(moment):
                teams[index] = stint.team_id
    return teams


def _moves(session: Session) -> dict[int, list[Stint]]:
    """Every past membership, by user: one row per move ever made, a small table."""
    query = select(
        PastMembership.user_id,
        PastMembership.team_id,
        PastMembership.started_at,
        PastMembership.ended_at,
    )
    found: dict[int, list[Stint]] = {}
    for user_id, team_id, start, end in session.execute(query):
        found.setdefault(user_id, []).append(Stint(team_id, start, end))
    return found


def record_move(session: Session, user: User, team: Team | None, *, now: datetime) -> None:
    """Move a user to a team (None: to no team) from `now` on, keeping the team they leave as a
    past membership; moving to the team they are in changes nothing."""
    if user.team_id == (team.id if team else None):
        return
    last = session.scalar(
        select(PastMembership.ended_at)
        .where(PastMembership.user_id == user.id)
        .order_by(PastMembership.ended_at.desc())
        .limit(1)
    )
    left = PastMembership(user_id=user.id, team_id=user.team_id, started_at=last, ended_at=now)
    session.add(left)
    user.team = team
    session.flush()


def stints(session: Session, user: User) -> list[Stint]:
    """The teams a user has been in, the current one first, then back in time."""
    past_ = PastMembership
    query = (
        select(past_.team_id, past_.started_at, past_.ended_at, Team.name)
        .outerjoin(Team, Team.id == past_.team_id)
        .where(past_.user_id == user.id)
        .order_by(past_.ended_at.desc(), past_.id.desc())
    )
    past = [Stint(*row) for row in session.execute(query)]
    since = past[0].end if past else None
    return [Stint(user.team_id, since, None, user.team.name if user.team else None), *past]
