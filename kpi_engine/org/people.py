"""People as an admin keeps them: add a person, move them to another team, change their roles,
name, email or CRM user id, deactivate or reactivate them; each change audited
(kpi_engine.org.audit). Only an admin or the command line may (reach.check_org_change).

A move keeps the team left as a past membership (kpi_engine.org.history), so the old team's past
figures keep their deals. Deactivating someone ends their login sessions (User.session_version)
and revokes their API tokens. What a change does to the person's live challenges is the game's
business (gameplay.manage.staffing).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from kpi_engine.errors import Conflict, Forbidden, Invalid, NotFound
from kpi_engine.org.audit import record_change
from kpi_engine.org.history import record_move
from kpi_engine.org.models import ApiToken, AppRole, OrgAction, SalesRole, Team, User
from kpi_engine.org.reach import check_org_change
from kpi_engine.words import N_, Said, said

PERSON_FIELDS = ("email", "name", "app_role", "sales_role", "team_id", "crm_user_id", "active")
NEW_PERSON_FIELDS = (*PERSON_FIELDS, "hire_date")
# What decides which challenges a person is in the audience of.
AUDIENCE_FIELDS = ("app_role", "sales_role", "team_id", "active")
EMAIL_MAX, NAME_MAX, CRM_ID_MAX = 254, 120, 120
# One @ with something on each side and no space: the address a person can log in with.
EMAIL = re.compile(r"[^@\s]+@[^@\s]+")


@dataclass(frozen=True)
class PersonChange:
    """A changed person, and whether what decides their challenges' audience changed."""

    user: User
    audience_changed: bool


def person_by_id(session: Session, user_id: int) -> User:
    """The user with this id, or NotFound naming it."""
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(N_("no user %(id)s"), {"user_id": [N_("unknown user")]}, id=str(user_id))
    return user


def add_person(
    session: Session,
    given: Mapping[str, Any],
    *,
    actor: User | None,
    now: datetime,
    password_hash: str | None = None,
    via: str | None = None,
) -> User:
    """Add a person: email and name required; role (rep by default), sales role, team, CRM
    user id (how CRM exports name them as a deal's owner) and hire date optional."""
    check_org_change(actor)
    _check_known(given, NEW_PERSON_FIELDS)
    missing = {
        field: [f"give their {words}"]
        for field, words in (("name", "full name"), ("email", "email address"))
        if not str(given.get(field) or "").strip()
    }
    user = User(app_role=AppRole.REP.value, password_hash=password_hash, active=True)
    given = {"app_role": AppRole.REP.value, **{k: v for k, v in given.items() if k not in missing}}
    values = _values(session, user, given, missing)
    user.hire_date = _hire_date(given.get("hire_date"))
    for key, value in values.items():
        setattr(user, key, value)
    session.add(user)
    session.flush()
    after = person_facts(user)
    record_change(
        session,
        OrgAction.USER_CREATED,
        by=actor,
        via=via,
        at=now,
        before={},
        after=after,
        user_id=user.id,
    )
    return user


def change_person(
    session: Session, user_id: int, given: Mapping[str, Any], *, actor: User | None, now: datetime
) -> PersonChange:
    """Change the fields given (others stay): a new team is a move, `active` False a
    deactivation. Every problem is named by field and nothing changes until all are fine."""
    check_org_change(actor)
    _check_known(given, PERSON_FIELDS)
    user = person_by_id(session, user_id)
    values = _values(session, user, given)
    _check_consequences(session, user, values, actor)
    before = person_facts(user)
    audience = {f: getattr(user, f) for f in AUDIENCE_FIELDS}
    if "team" in values:
        record_move(session, user, values.pop("team"), now=now)
    for key, value in values.items():
        setattr(user, key, value)
    if before["active"] and not user.active:
        _end_access(session, user, now)
    session.flush()
    after = person_facts(user)
    record_change(
        session,
        OrgAction.USER_CHANGED,
        by=actor,
        at=now,
        before=before,
        after=after,
        user_id=user.id,
    )
    moved = any(getattr(user, f) != v for f, v in audience.items())
    return PersonChange(user, audience_changed=moved)


def person_facts(user: User) -> dict[str, Any]:
    """The person as the audit trail shows them: names, not ids."""
    return {
        "name": user.name,
        "email": user.email,
        "role": user.app_role,
        "sales_role": user.sales_role,
        "team": user.team.name if user.team is not None else None,
        "crm_user_id": user.crm_user_id,
        "active": user.active,
    }


def _check_known(given: Mapping[str, Any], known: tuple[str, ...]) -> None:
    unknown = sorted(set(given) - set(known))
    if unknown:
        raise Invalid(N_("unknown fields"), {k: [N_("not a field of a person")] for k in unknown})


def _values(
    session: Session,
    user: User,
    given: Mapping[str, Any],
    errors: dict[str, list[str]] | None = None,
) -> dict[str, Any]:
    """The given fields checked and normalised (a team as its row). Every problem is named at
    once, with the `errors` found before: Invalid, or a Conflict when an email or CRM user id
    that is someone else's is the only problem."""
    errors = dict(errors or {})
    values: dict[str, Any] = {}
    for name, check in _CHECKS.items():
        if name in given:
            try:
                values.update(check(session, given[name]))
            except ValueError as exc:
                errors[name] = [exc.args[0]]
    taken, sentences = _taken(session, user, values)
    if errors:
        raise Invalid(N_("the person's details are not valid"), errors | taken)
    if taken:
        first, *other = sentences
        raise Conflict(
            said(N_("%(one)s; %(other)s"), one=first, other=other[0]) if other else first, taken
        )
    return values


def _email(_session: Session, value: Any) -> dict[str, Any]:
    email = str(value or "").strip().lower()
    if not EMAIL.fullmatch(email):
        raise ValueError(said(N_("%(email)r is not an email address"), email=email))
    if len(email) > EMAIL_MAX:
        raise ValueError(said(N_("at most %(most)s characters"), most=EMAIL_MAX))
    return {"email": email}


def _name(_session: Session, value: Any) -> dict[str, Any]:
    name = str(value or "").strip()
    if not name:
        raise ValueError(N_("must not be empty"))
    if len(name) > NAME_MAX:
        raise ValueError(said(N_("at most %(most)s characters"), most=NAME_MAX))
    return {"name": name}


def _app_role(_session: Session, value: Any) -> dict[str, Any]:
    if value not in AppRole.values():
        raise ValueError(said(N_("one of %(names)s"), names=", ".join(AppRole.values())))
    return {"app_role": value}


def _sales_role(_session: Session, value: Any) -> dict[str, Any]:
    if value is not None and value not in SalesRole.values():
        raise ValueError(said(N_("one of %(names)s, or none"), names=", ".join(SalesRole.values())))
    return {"sales_role": value}


def _team(session: Session, value: Any) -> dict[str, Any]:
    if value is None:
        return {"team": None}
    team = session.get(Team, value)
    if team is None:
        raise ValueError(said(N_("no team %(id)s"), id=str(value)))
    return {"team": team}


def _crm_user_id(_session: Session, value: Any) -> dict[str, Any]:
    crm_id = str(value or "").strip()
    if len(crm_id) > CRM_ID_MAX:
        raise ValueError(said(N_("at most %(most)s characters"), most=CRM_ID_MAX))
    return {"crm_user_id": crm_id or None}


def _active(_session: Session, value: Any) -> dict[str, Any]:
    if not isinstance(value, bool):
        raise ValueError(N_("true or false"))
    return {"active": value}


_CHECKS = {
    "email": _email,
    "name": _name,
    "app_role": _app_role,
    "sales_role": _sales_role,
    "team_id": _team,
    "crm_user_id": _crm_user_id,
    "active": _active,
}


def _hire_date(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    raise Invalid(N_("the hire date is not a date"), {"hire_date": [N_("a date, YYYY-MM-DD")]})


def _taken(
    session: Session, user: User, values: dict[str, Any]
) -> tuple[dict[str, list[str]], list[Said]]:
    """The email or CRM user id among these values that is another person's: by field, and as
    sentences naming the value and its holder."""
    taken: dict[str, list[str]] = {}
    sentences: list[Said] = []
    for field, column, sentence in (
        ("email", User.email, N_("the email %(value)s is already %(holder)s's")),
        ("crm_user_id", User.crm_user_id, N_("the CRM user id %(value)s is already %(holder)s's")),
    ):
        value = values.get(field)
        if value is None:
            continue
        query = select(User.name).where(func.lower(column) == value.lower())
        holder = session.scalar(query.where(User.id != user.id) if user.id else query)
        if holder is not None:
            taken[field] = [said(N_("already %(holder)s's"), holder=holder)]
            sentences.append(said(sentence, value=value, holder=holder))
    return taken, sentences


def _check_consequences(
    session: Session, user: User, values: dict[str, Any], actor: User | None
) -> None:
    """Refuse what would leave the org without a way back: a person changing their own role
    or deactivating themself, a team's manager losing the role or leaving, the last admin."""
    demoted = "app_role" in values and values["app_role"] != user.app_role
    leaving = values.get("active") is False and user.active
    if actor is not None and actor.id == user.id and (demoted or leaving):
        field = "active" if leaving else "app_role"
        raise Forbidden(
            N_("nobody changes their own role or deactivates themself"),
            {field: [N_("nobody changes their own role or access: ask another admin")]},
        )
    if (demoted and user.app_role == AppRole.MANAGER) or leaving:
        _check_no_team_left_behind(session, user, "active" if leaving else "app_role")
    if (demoted and user.app_role == AppRole.ADMIN) or (leaving and user.app_role == AppRole.ADMIN):
        _check_not_last_admin(session, user, "active" if leaving else "app_role")


def _check_no_team_left_behind(session: Session, user: User, field: str) -> None:
    managed = list(session.scalars(select(Team.name).where(Team.manager_id == user.id)))
    if managed:
        names = ", ".join(sorted(managed))
        raise Conflict(
            N_("%(name)s manages %(teams)s"),
            {
                field: [
                    said(N_("manages %(teams)s: give the team another manager first"), teams=names)
                ]
            },
            name=user.name,
            teams=names,
        )


def _check_not_last_admin(session: Session, user: User, field: str) -> None:
    others = select(func.count()).where(
        User.app_role == AppRole.ADMIN, User.active.is_(True), User.id != user.id
    )
    if not session.scalar(others):
        raise Conflict(
            N_("%(name)s is the last active admin"),
            {field: [N_("the last active admin stays one")]},
            name=user.name,
        )


def _end_access(session: Session, user: User, now: datetime) -> None:
    """End every login session (the version they carry is now stale) and revoke every token."""
    user.session_version = (user.session_version or 0) + 1
    session.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )
