"""Small builders for test data; each flushes and returns the object."""

from __future__ import annotations

from datetime import UTC, datetime
from itertools import count
from typing import Any

from sqlalchemy.orm import Session

from kpi_engine.org.models import Team, User
from kpi_engine.sales.ingest import SalesEvent

_ids = count(1)


def make_team(
    session: Session, name: str | None = None, manager: User | None = None, region: str = "East"
) -> Team:
    team = Team(name=name or f"Team {next(_ids)}", manager=manager, region=region)
    session.add(team)
    session.flush()
    return team


def make_user(
    session: Session,
    *,
    name: str | None = None,
    app_role: str = "rep",
    sales_role: str | None = "AE",
    team: Team | None = None,
    password_hash: str | None = None,
    **extra: Any,
) -> User:
    n = next(_ids)
    user = User(
        name=name or f"User {n}",
        email=extra.pop("email", None) or f"user{n}@example.test",
        app_role=app_role,
        sales_role=sales_role if app_role == "rep" else None,
        team=team,
        password_hash=password_hash,
        **extra,
    )
    session.add(user)
    session.flush()
    return user


def event(
    type_: str, rep: User | str, at: datetime | str, key: str | None = None, **data: Any
) -> SalesEvent:
    """A SalesEvent; `at` may be an ISO string. The key defaults to a fresh one."""
    moment = datetime.fromisoformat(at) if isinstance(at, str) else at
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    rep_key = rep if isinstance(rep, str) else rep.email
    return SalesEvent(key or f"evt-{next(_ids)}", type_, moment, rep_key, data)
