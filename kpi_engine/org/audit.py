"""The audit trail of people and teams: every change, who made it, when, and each changed field
before and after, written in the change's own transaction (kpi_engine.org.people, .teams)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from kpi_engine.org.models import OrgAction, OrgChange, User

COMMAND_LINE = "command line"
CHANGES_SHOWN = 200  # newest first; older ones stay in the table


def actor_name(actor: User | None) -> str:
    """How the trail names who did it: the person, or the command line (no one logged in)."""
    return actor.name if actor is not None else COMMAND_LINE


def record_change(
    session: Session,
    action: OrgAction,
    *,
    by: User | None,
    at: datetime,
    before: dict[str, Any],
    after: dict[str, Any],
    user_id: int | None = None,
    team_id: int | None = None,
    via: str | None = None,
) -> OrgChange | None:
    """Write one change (only the fields whose value changed); None when nothing changed.
    `via` names who acted when it is more than a person or the command line (an import that
    added the people of a roster)."""
    changed = sorted(k for k in after if before.get(k) != after[k])
    if not changed and action in (OrgAction.USER_CHANGED, OrgAction.TEAM_CHANGED):
        return None
    change = OrgChange(
        at=at,
        actor_id=by.id if by is not None else None,
        actor_name=via or actor_name(by),
        action=action.value,
        user_id=user_id,
        team_id=team_id,
        before={k: before[k] for k in changed if k in before},
        after={k: after[k] for k in changed},
    )
    session.add(change)
    return change


def org_changes(
    session: Session,
    *,
    user_id: int | None = None,
    team_id: int | None = None,
    limit: int = CHANGES_SHOWN,
) -> list[OrgChange]:
    """The latest changes, newest first: all of them, or those of one person or one team."""
    query = select(OrgChange)
    wanted = []
    if user_id is not None:
        wanted.append(OrgChange.user_id == user_id)
    if team_id is not None:
        wanted.append(OrgChange.team_id == team_id)
    if wanted:
        query = query.where(or_(*wanted))
    query = query.order_by(OrgChange.at.desc(), OrgChange.id.desc()).limit(limit)
    return list(session.scalars(query))
