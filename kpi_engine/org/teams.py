"""Teams as an admin keeps them: create one, rename it, set its manager and region; each change
audited (kpi_engine.org.audit). Only an admin or the command line may (reach.check_org_change).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kpi_engine.errors import Conflict, Invalid, NotFound
from kpi_engine.org.audit import record_change
from kpi_engine.org.models import AppRole, OrgAction, Team, User
from kpi_engine.org.reach import check_org_change
from kpi_engine.words import N_, said

NAME_MAX = 120
TEAM_FIELDS = ("name", "region", "manager_id")


def team_by_id(session: Session, team_id: int) -> Team:
    """The team with this id, or NotFound naming it."""
    team = session.get(Team, team_id)
    if team is None:
        raise NotFound(N_("no team %(id)s"), {"team_id": [N_("unknown team")]}, id=str(team_id))
    return team


def find_team(session: Session, name: str) -> Team:
    """The team of that name (any case), or NotFound naming it."""
    team = session.scalar(select(Team).where(func.lower(Team.name) == name.strip().lower()))
    if team is None:
        raise NotFound(N_("no team named %(name)r"), {"team": [N_("unknown team")]}, name=name)
    return team


def create_team(
    session: Session,
    given: Mapping[str, Any],
    *,
    actor: User | None,
    now: datetime,
    via: str | None = None,
) -> Team:
    """Add a team with a name (unique, any case), and optionally a region and a manager."""
    check_org_change(actor)
    if "name" not in given:
        raise Invalid(N_("a team needs a name"), {"name": [N_("give the team a name")]})
    team = Team()
    _apply(session, team, given)
    session.add(team)
    session.flush()
    after = _facts(team)
    record_change(
        session,
        OrgAction.TEAM_CREATED,
        by=actor,
        via=via,
        at=now,
        before={},
        after=after,
        team_id=team.id,
    )
    return team


def change_team(
    session: Session,
    team_id: int,
    given: Mapping[str, Any],
    *,
    actor: User | None,
    now: datetime,
    via: str | None = None,
) -> Team:
    """Rename a team, set or clear its region or manager (the fields given; others stay)."""
    check_org_change(actor)
    team = team_by_id(session, team_id)
    before = _facts(team)
    _apply(session, team, given)
    session.flush()
    after = _facts(team)
    record_change(
        session,
        OrgAction.TEAM_CHANGED,
        by=actor,
        via=via,
        at=now,
        before=before,
        after=after,
        team_id=team.id,
    )
    return team


def _apply(session: Session, team: Team, given: Mapping[str, Any]) -> None:
    """Check every given field, naming each problem, then set them all or none."""
    unknown = sorted(set(given) - set(TEAM_FIELDS))
    if unknown:
        raise Invalid(
            N_("unknown team fields"), {k: [N_("not a field of a team")] for k in unknown}
        )
    errors: dict[str, list[str]] = {}
    values: dict[str, Any] = {}
    if "name" in given:
        values["name"] = _text(given["name"], "name", errors, required=True)
    if "region" in given:
        values["region"] = _text(given["region"], "region", errors, required=False)
    if "manager_id" in given:
        values["manager"] = _manager(session, given["manager_id"], errors)
    if errors:
        raise Invalid(N_("the team's details are not valid"), errors)
    if "name" in values:
        _check_free(session, team, values["name"])
    for key, value in values.items():
        setattr(team, key, value)


def _text(value: Any, field: str, errors: dict[str, list[str]], *, required: bool) -> str | None:
    text = str(value or "").strip()
    if required and not text:
        errors[field] = [N_("must not be empty")]
    elif len(text) > NAME_MAX:
        errors[field] = [said(N_("at most %(most)s characters"), most=NAME_MAX)]
    return text or None


def _manager(session: Session, user_id: Any, errors: dict[str, list[str]]) -> User | None:
    """The user to manage the team: an active manager (None clears the manager)."""
    if user_id is None:
        return None
    user = session.get(User, user_id)
    if user is None:
        errors["manager_id"] = [said(N_("no user %(id)s"), id=str(user_id))]
    elif user.app_role != AppRole.MANAGER:
        errors["manager_id"] = [
            said(
                N_("%(name)s is a %(role)s; make them a manager first"),
                name=user.name,
                role=said(user.app_role),
            )
        ]
    elif not user.active:
        errors["manager_id"] = [said(N_("%(name)s is deactivated"), name=user.name)]
    return user


def _check_free(session: Session, team: Team, name: str) -> None:
    query = select(Team.id).where(func.lower(Team.name) == name.lower())
    if team.id is not None:
        query = query.where(Team.id != team.id)
    if session.scalar(query) is not None:
        raise Conflict(
            N_("a team named %(name)r already exists"), {"name": [N_("already taken")]}, name=name
        )


def _facts(team: Team) -> dict[str, Any]:
    """The team as the audit trail shows it: its name, region and manager's name."""
    return {
        "name": team.name,
        "region": team.region,
        "manager": team.manager.name if team.manager is not None else None,
    }
