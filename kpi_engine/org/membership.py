"""Who belongs where: users, teams and who manages which (gameplay.core.access decides from these
facts who may see or act for whom). Adding and changing people and teams: org.people, org.teams.
"""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from kpi_engine.org.models import Team, User


def user_by_email(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(User.email == email.strip().lower()))


def managed_team_ids(session: Session, actor: User) -> set[int]:
    """The teams an actor manages: all of them for an admin, none for a rep."""
    if actor.app_role == "admin":
        return set(session.scalars(select(Team.id)))
    if actor.app_role == "manager":
        return set(session.scalars(select(Team.id).where(Team.manager_id == actor.id)))
    return set()


def visible_users(
    session: Session,
    actor: User,
    *,
    email: str | None = None,
    name: str | None = None,
    crm_user_id: str | None = None,
) -> list[User]:
    """Users the actor may see, optionally filtered by exact email, a part of the name or the
    exact CRM user id (how an integration finds the user a CRM record names)."""
    query = select(User).order_by(User.name)
    if actor.app_role == "manager":
        query = query.where(
            or_(User.team_id.in_(managed_team_ids(session, actor)), User.id == actor.id)
        )
    elif actor.app_role != "admin":
        query = query.where(User.id == actor.id)
    if email:
        query = query.where(User.email == email.strip().lower())
    if name:
        query = query.where(User.name.ilike(f"%{name.strip()}%"))
    if crm_user_id:
        query = query.where(User.crm_user_id == crm_user_id.strip())
    return list(session.scalars(query))


def teams_of(session: Session, actor: User) -> list[Team]:
    """The teams an actor manages (every team for an admin), by name."""
    ids = managed_team_ids(session, actor)
    return list(session.scalars(select(Team).where(Team.id.in_(ids)).order_by(Team.name)))
