"""Who belongs where: users, teams and who manages which (gameplay.core.access decides from these
facts who may see or act for whom)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from kpi_engine.errors import Conflict, Invalid, NotFound
from kpi_engine.org.models import AppRole, SalesRole, Team, User


def create_user(
    session: Session,
    *,
    email: str,
    name: str,
    app_role: str = "rep",
    sales_role: str | None = None,
    team_name: str | None = None,
    password_hash: str | None = None,
    hire_date: date | None = None,
    crm_user_id: str | None = None,
) -> User:
    """Add a user; a taken email is a Conflict, an unknown role or team is named in the error."""
    email = email.strip().lower()
    errors: dict[str, list[str]] = {}
    if "@" not in email:
        errors["email"] = [f"{email!r} is not an email address"]
    if app_role not in AppRole.values():
        errors["role"] = [f"role must be one of {', '.join(AppRole.values())}"]
    if sales_role is not None and sales_role not in SalesRole.values():
        errors["sales_role"] = [f"sales role must be one of {', '.join(SalesRole.values())}"]
    if errors:
        raise Invalid("the user's details are not valid", errors)
    if session.scalar(select(User.id).where(User.email == email)) is not None:
        raise Conflict(f"a user with email {email} already exists", {"email": ["already taken"]})
    team = find_team(session, team_name) if team_name else None
    user = User(
        email=email,
        name=name.strip(),
        app_role=app_role,
        sales_role=sales_role,
        team=team,
        password_hash=password_hash,
        hire_date=hire_date,
        crm_user_id=crm_user_id,
    )
    session.add(user)
    session.flush()
    return user


def find_team(session: Session, name: str) -> Team:
    """The team of that name, or NotFound naming it."""
    team = session.scalar(select(Team).where(Team.name == name))
    if team is None:
        raise NotFound(f"no team named {name!r}", {"team": ["unknown team"]})
    return team


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
    session: Session, actor: User, *, email: str | None = None, name: str | None = None
) -> list[User]:
    """Users the actor may see, optionally filtered by exact email or a part of the name."""
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
    return list(session.scalars(query))


def teams_of(session: Session, actor: User) -> list[Team]:
    """The teams an actor manages (every team for an admin), by name."""
    ids = managed_team_ids(session, actor)
    return list(session.scalars(select(Team).where(Team.id.in_(ids)).order_by(Team.name)))
