"""People changes as the game sees them: the org change itself (kpi_engine.org.people), then the
person's open challenges follow the audience rules (gameplay.core.enrollment.follow_audience):
a rep who moves team leaves the old team's challenges with their points so far, and joins the
new team's auto-enrolled ones."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from gameplay.core.changes import Changes
from gameplay.core.enrollment import follow_audience
from kpi_engine.org.models import User
from kpi_engine.org.people import add_person, change_person


def add_player(
    session: Session,
    given: Mapping[str, Any],
    *,
    actor: User | None,
    now: datetime,
    password_hash: str | None = None,
) -> tuple[User, Changes]:
    """Add a person (kpi_engine.org.people.add_person) and enrol them where a rep of their team
    and role would have been enrolled at launch."""
    user = add_person(session, given, actor=actor, now=now, password_hash=password_hash)
    return user, follow_audience(session, user, now=now)


def change_player(
    session: Session, user_id: int, given: Mapping[str, Any], *, actor: User | None, now: datetime
) -> tuple[User, Changes]:
    """Change a person (kpi_engine.org.people.change_person); when their team, roles or active
    flag changed, their open challenges follow."""
    change = change_person(session, user_id, given, actor=actor, now=now)
    if not change.audience_changed:
        return change.user, Changes()
    return change.user, follow_audience(session, change.user, now=now)
