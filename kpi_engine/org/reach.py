"""Whose sales data a caller may write: the one answer every ingest path (API, webhook, CSV
import, CLI) hands to the mirror as a value, so the domain never guesses who is asking; and who
may change the organisation itself (people, their roles and teams).

A rep acts for themself, a manager for themself and the members of the teams they manage, an
admin (and an admin's integration token, the CLI, a signed CRM webhook) for everyone. Only an
admin, or the command line, adds people, moves them, changes their roles, deactivates them and
creates or changes teams; a manager sees the people of their teams (membership.visible_users).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from kpi_engine.errors import Forbidden
from kpi_engine.org.models import Team, User
from kpi_engine.words import N_


@dataclass(frozen=True)
class Reach:
    """The people a caller may act for: `user_ids`, or everyone when that is None."""

    user_ids: frozenset[int] | None

    @property
    def everyone(self) -> bool:
        return self.user_ids is None

    def covers(self, user_ids: Iterable[int]) -> bool:
        """True when the caller may act for every one of these users."""
        return self.user_ids is None or set(user_ids) <= self.user_ids


EVERYONE = Reach(None)


def reach(session: Session, actor: User) -> Reach:
    """Whom a logged-in user (or their token) may act for. The CRM itself, through a signed
    webhook or the CLI, acts for everyone: those paths pass EVERYONE."""
    if actor.app_role == "admin":
        return EVERYONE
    if actor.app_role != "manager":
        return Reach(frozenset({actor.id}))
    # One statement: it runs on every write a manager's token sends.
    members = session.scalars(
        select(User.id).join(Team, Team.id == User.team_id).where(Team.manager_id == actor.id)
    )
    return Reach(frozenset({actor.id, *members}))


def check_org_change(actor: User | None) -> None:
    """Forbidden unless the actor may change people or teams: an admin may, and so may the
    command line (actor None), which runs with the server's own rights."""
    if actor is not None and actor.app_role != "admin":
        raise Forbidden(N_("only an admin changes people and teams"))
