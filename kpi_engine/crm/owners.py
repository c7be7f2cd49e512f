"""Owners: how the owner cells of a CRM export become users, and the rosters that name them and
add the missing ones.

An owner cell is matched, in this order:

1. to a user's email or CRM user id: certain;
2. to a person of a roster given with the export, by their name: the roster's email links them
   to the user who has it, or the import adds them (an admin's import only);
3. as a last resort, to the one user whose full name it is (any case and spacing), which the
   dry run says, so a person can check it and set a CRM user id to make it certain.

A name two users share matches nobody: the row is rejected, naming them. A roster is the
sample's sales_teams.csv, a HubSpot users export, a Salesforce users report or any file with
the columns of kpi_engine.crm.columns.ROSTER_COLUMNS; its email column is the person's email
(built as first.last@ the import's email domain only where the roster has none).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from kpi_engine.crm.cells import Table
from kpi_engine.org.membership import user_by_email
from kpi_engine.org.models import AppRole, Team, User
from kpi_engine.org.people import add_person
from kpi_engine.org.teams import change_team, create_team
from kpi_engine.sales.ingest import resolve_reps
from kpi_engine.words import N_, Said, said

INACTIVE = {"false", "0", "no", "n", "inactive", "deactivated"}


@dataclass(frozen=True)
class Person:
    """Someone a roster names: a rep of a team, or the manager of one."""

    name: str
    email: str
    role: str
    team: str | None
    region: str | None
    active: bool = True

    @property
    def place(self) -> Said:
        """Where they go, as the dry run says it: "in Team Hall (East)", "managing Team Hall"."""
        if self.team is None:
            return said(N_("in no team"))
        where = f"{self.team} ({self.region})" if self.region else self.team
        if self.role == AppRole.MANAGER:
            return said(N_("managing %(team)s"), team=where)
        return said(N_("in %(team)s"), team=where)


@dataclass
class Roster:
    people: list[Person] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class NameMatch:
    """An owner cell matched only by a user's full name, reported in the dry run."""

    owner: str
    user: str
    email: str


@dataclass
class OwnerMatch:
    """What each owner cell of an export is: the rep reference its events carry (an email or a
    CRM user id), matched by name only, shared by several users, or unknown (in none)."""

    refs: dict[str, str] = field(default_factory=dict)
    by_name: dict[str, NameMatch] = field(default_factory=dict)
    ambiguous: dict[str, list[str]] = field(default_factory=dict)
    new_people: list[Person] = field(default_factory=list)


def read_roster(table: Table, columns: dict[str, str], domain: str, file: str) -> Roster:
    """The people of a roster: each row's person as a rep, and the managers its rows name (a
    person named as someone's manager is a manager, whatever their own row says)."""
    roster = Roster()
    rows = [(line, _row(row, columns, domain)) for line, row in enumerate(table.rows, start=2)]
    managers = {r.manager: r for _, r in rows if r.manager}
    people: dict[str, Person] = {}
    for line, row in rows:
        if not row.name:
            roster.errors.append(
                said(
                    N_("%(file)s line %(line)s: the person's name is empty"),
                    file=file,
                    line=str(line),
                )
            )
        elif "@" not in row.email:
            roster.errors.append(
                said(
                    N_("%(file)s line %(line)s: %(email)r is not an email address"),
                    file=file,
                    line=str(line),
                    email=row.email,
                )
            )
        elif row.name not in managers:
            people[row.name] = Person(row.name, row.email, "rep", row.team, row.region, row.active)
    for name, first in managers.items():
        own = next((r for _, r in rows if r.name == name), None)
        email = own.email if own is not None else _email(name, domain)
        active = own.active if own is not None else True
        people[name] = Person(name, email, AppRole.MANAGER, first.team, first.region, active)
    roster.errors += _clashes(people.values(), file)
    roster.people = list(people.values())
    return roster


@dataclass(frozen=True)
class _Row:
    name: str
    email: str
    team: str | None
    region: str | None
    manager: str
    active: bool


def _row(row: dict[str, str], columns: dict[str, str], domain: str) -> _Row:
    def cell(name: str) -> str:
        return " ".join(row.get(columns.get(name, ""), "").split())

    name = cell("name") or f"{cell('first_name')} {cell('last_name')}".strip()
    manager = cell("manager")
    # HubSpot lists a user's teams in one cell, the primary one first.
    team = cell("team").split(",")[0].strip() or (f"Team {manager.split()[-1]}" if manager else "")
    return _Row(
        name=name,
        email=cell("email").lower() or _email(name, domain),
        team=team or None,
        region=cell("region") or None,
        manager=manager,
        active=cell("active").lower() not in INACTIVE,
    )


def _email(name: str, domain: str) -> str:
    return ".".join(name.lower().split()) + "@" + domain


def _clashes(people: Iterable[Person], file: str) -> list[str]:
    """Two people of the roster with one email."""
    by_email: dict[str, list[str]] = {}
    for person in people:
        by_email.setdefault(person.email, []).append(person.name)
    return [
        said(
            N_("%(file)s: %(names)s have the same email %(email)s"),
            file=file,
            names=said(N_("%(some)s and %(last)s"), some=", ".join(names[:-1]), last=names[-1]),
            email=email,
        )
        for email, names in by_email.items()
        if len(names) > 1
    ]


def match_owners(session: Session, cells: set[str], roster: list[Person]) -> OwnerMatch:
    """Match the owner cells of an export, and the people of its roster, to users (see the
    module's docstring); the roster's people no user matches are to be added."""
    keys = cells | {p.name for p in roster} | {p.email for p in roster}
    known = resolve_reps(session, keys)
    names = _users_by_name(session)
    match = OwnerMatch()
    linked: dict[str, str] = {}
    for person in roster:
        if person.name in known or person.email in known:
            linked[person.name] = person.name if person.name in known else person.email
        elif _normal(person.name) not in names:
            match.new_people.append(person)
            linked[person.name] = person.name  # their CRM user id once added
        # Someone of that name exists: matched by name below, and said so, never added twice.
    for cell in sorted(c for c in cells if c):
        _match_cell(match, cell, known, linked, names)
    return match


def _match_cell(
    match: OwnerMatch,
    cell: str,
    known: Mapping[str, object],
    linked: dict[str, str],
    names: dict[str, list[_Named]],
) -> None:
    if cell in known:
        match.refs[cell] = cell
        return
    if cell in linked:
        match.refs[cell] = linked[cell]
        return
    users = names.get(_normal(cell), [])
    if len(users) == 1:
        match.refs[cell] = users[0].email
        match.by_name[cell] = NameMatch(cell, users[0].name, users[0].email)
    elif users:
        match.ambiguous[cell] = sorted(f"{u.name} <{u.email}>" for u in users)


class _Named(NamedTuple):
    name: str
    email: str


def _users_by_name(session: Session) -> dict[str, list[_Named]]:
    """Every user by their full name as compared (any case and spacing)."""
    found: dict[str, list[_Named]] = {}
    for user in session.execute(select(User.name, User.email).order_by(User.id)):
        found.setdefault(_normal(user.name), []).append(_Named(*user))
    return found


def _normal(name: str) -> str:
    return " ".join(name.split()).casefold()


def add_people(
    session: Session, people: list[Person], *, actor: User | None, now: datetime, via: str
) -> None:
    """Add a roster's new people, managers first so their teams have them, each audited as
    added `via` the import; one already added (by the import of another file of the same
    roster) is left as it is."""
    teams = {t.name: t for t in session.scalars(select(Team))}
    for person in sorted(people, key=lambda p: p.role != AppRole.MANAGER):
        if user_by_email(session, person.email) is not None:
            continue
        team = teams.get(person.team or "")
        if person.team and team is None:
            given = {"name": person.team, "region": person.region}
            team = teams[person.team] = create_team(session, given, actor=actor, now=now, via=via)
        user = add_person(session, _details(person, team), actor=actor, now=now, via=via)
        if person.role == AppRole.MANAGER and team is not None:
            change_team(session, team.id, {"manager_id": user.id}, actor=actor, now=now, via=via)


def _details(person: Person, team: Team | None) -> dict[str, Any]:
    member = team is not None and person.role != AppRole.MANAGER
    return {
        "email": person.email,
        "name": person.name,
        "app_role": person.role,
        "sales_role": "AE" if person.role == AppRole.REP else None,
        "team_id": team.id if member and team is not None else None,
        "crm_user_id": person.name,  # how the exports name them as a deal's owner
        "active": person.active,
    }
