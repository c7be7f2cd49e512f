"""Who may watch a challenge's standings (pages, Socket.IO rooms, wall links all ask here)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from gameplay.challenges import can_view
from gameplay.models import Challenge, Participant
from kpi_engine.models import User
from kpi_engine.org import managed_team_ids


def may_watch(session: Session, challenge: Challenge, user: User) -> bool:
    """Who may read it (gameplay's can_view), anyone taking part, a manager of a team in it."""
    if can_view(session, user, challenge) or _takes_part(session, challenge.id, user.id):
        return True
    return bool(_teams_in(session, challenge) & managed_team_ids(session, user))


def _takes_part(session: Session, challenge_id: int, user_id: int) -> bool:
    query = select(Participant.id).where(
        Participant.challenge_id == challenge_id, Participant.user_id == user_id
    )
    return session.scalar(query) is not None


def _teams_in(session: Session, challenge: Challenge) -> set[int]:
    """Teams named in the audience, and the teams of named users and participants."""
    audience = challenge.audience or {}
    named = set(audience.get("user_ids", []))
    member_teams = session.scalars(select(User.team_id).where(User.id.in_(named)))
    participant_teams = session.scalars(
        select(Participant.team_id).where(Participant.challenge_id == challenge.id)
    )
    teams = {*audience.get("team_ids", []), *member_teams, *participant_teams}
    return {team for team in teams if team is not None}
