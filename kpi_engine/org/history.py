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
from sqlalchemy import ColumnElement, Select, false, or_, select, true
from sqlalchemy.orm import Session

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


@dataclass(frozen=True)
class Members:
    """Who has been in some teams, and when: `always` never moved (in them for all time);
    `stints` are the stretches in them of those who did."""

    always: frozenset[int]
    stints: tuple[tuple[int, Stint], ...]

    def at(self, person: Any, moment: Any | None) -> ColumnElement[bool]:
        """SQL: `person` (a user id column) was one of them at `moment` (a datetime column; a
        NULL value, or None, means now). A list of ids and a few terms per person who moved,
        each on the owner's index: as fast as the team's members alone when nobody moved."""
        terms = [person.in_(sorted(self.always))] if self.always else []
        for user_id, stint in self.stints:
            held = _held(stint, moment)
            if held is not None:
                terms.append((person == user_id) & held)
        return or_(*terms) if terms else false()


def members(session: Session, teams: Select[Any]) -> Members:
    """The people of these teams (a select of team ids) over time."""
    team_ids = set(session.scalars(teams))
    moved = _moves(session)
    current = session.execute(
        select(User.id, User.team_id).where(
            or_(User.team_id.in_(team_ids), User.id.in_(list(moved)))
        )
    )
    always: set[int] = set()
    stints: list[tuple[int, Stint]] = []
    for user_id, team_id in current:
        past = moved.get(user_id, [])
        since = max((s.end for s in past if s.end is not None), default=None)
        if team_id in team_ids and past:
            stints.append((user_id, Stint(team_id, since, None)))
        elif team_id in team_ids:
            always.add(user_id)
        stints += [(user_id, s) for s in past if s.team_id in team_ids]
    return Members(frozenset(always), tuple(stints))


def _held(stint: Stint, moment: Any | None) -> ColumnElement[bool] | None:
    """SQL: the stint holds at `moment` (NULL or None: now); None when it never does."""
    if moment is None:
        return true() if stint.end is None else None
    started = true() if stint.start is None else moment >= stint.start
    if stint.end is None:
        return moment.is_(None) | started
    return moment.is_not(None) & started & (moment < stint.end)


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
