"""Who may see, manage, review, adjust points for and act for whom: the one answer that HTTP
views, pages, Socket.IO rooms, imports and the CLI all ask.

Two ideas, kept apart on purpose:

- A challenge belongs to the teams its audience reaches: the teams it names, the teams of the
  people it names, the teams whose reps hold a sales role it names (when it names no team), and
  the teams of its participants. A manager of any of those teams sees it, manages it (its
  participation, its proof queue, its impact), whoever created it; an admin manages every one.
  Changing the challenge itself (editing a draft, launching, cancelling) touches every team it
  reaches, so it needs an admin or a manager of all of them.
- Acting on a person (reviewing their proof, adjusting their points, writing their sales data)
  follows that person's team: a manager acts for the members of the teams they manage, an admin
  for everyone, a rep only for themself. Nobody approves their own proof or adjusts their own
  points.

Creating a challenge: an admin's may be for anyone, a manager's only for their own teams and
their people.

The org facts underneath (which teams a user manages) stay in kpi_engine.org.membership.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select, union
from sqlalchemy.orm import Session

from gameplay.core.enrollment import in_audience
from gameplay.core.models import Challenge, Participant, Proof
from kpi_engine.errors import Forbidden
from kpi_engine.org.membership import managed_team_ids
from kpi_engine.org.models import User
from kpi_engine.org.reach import reach
from kpi_engine.words import N_, said


def audience_team_ids(session: Session, challenge: Challenge) -> set[int]:
    """Every team a challenge reaches: named, of named people, of named roles, of participants."""
    audience = challenge.audience or {}
    teams = set(audience.get("team_ids") or [])
    queries = [
        select(User.team_id).where(User.id.in_(audience.get("user_ids") or [])),
        select(User.team_id)
        .join(Participant, Participant.user_id == User.id)
        .where(Participant.challenge_id == challenge.id),
    ]
    roles = audience.get("sales_roles") or []
    if roles and not teams:
        queries.append(
            select(User.team_id).where(User.app_role == "rep", User.sales_role.in_(roles))
        )
    found = session.scalars(select(union(*queries).subquery().c.team_id))
    return {team for team in (*teams, *found) if team is not None}


def audience_refusal(session: Session, actor: User, audience: dict[str, Any]) -> Forbidden | None:
    """Why the actor may not run a challenge for this audience, or None: an admin's may be for
    anyone; a manager's names only teams they manage, and people of those teams."""
    if actor.app_role == "admin":
        return None
    if actor.app_role != "manager":
        return Forbidden(N_("only managers and admins create challenges"))
    managed = managed_team_ids(session, actor)
    teams = set(audience.get("team_ids") or [])
    if not teams or not teams <= managed:
        return Forbidden(
            N_("a manager's challenge must name only teams they manage"),
            {"audience.team_ids": [said(N_("you manage %(teams)s"), teams=str(sorted(managed)))]},
        )
    users = audience.get("user_ids") or []
    outsiders = [
        u.id
        for u in session.scalars(select(User).where(User.id.in_(users)))
        if u.team_id not in managed
    ]
    if outsiders:
        return Forbidden(
            N_("named users must belong to teams you manage"),
            {"audience.user_ids": [str(i) for i in outsiders]},
        )
    return None


def may_manage_challenge(session: Session, actor: User, challenge: Challenge) -> bool:
    """An admin manages every challenge, a manager each one that reaches a team of theirs."""
    if actor.app_role == "admin":
        return True
    if actor.app_role != "manager":
        return False
    return bool(audience_team_ids(session, challenge) & managed_team_ids(session, actor))


def may_change_challenge(session: Session, actor: User, challenge: Challenge) -> bool:
    """Edit, launch or cancel: an admin, or a manager of every team the challenge reaches."""
    if actor.app_role == "admin":
        return True
    teams = audience_team_ids(session, challenge)
    return actor.app_role == "manager" and bool(teams) and teams <= managed_team_ids(session, actor)


def may_view_challenge(session: Session, actor: User, challenge: Challenge) -> bool:
    """Its managers; once launched, anyone it is meant for and anyone taking part in it."""
    return challenge_view(session, actor, challenge) is not None


def challenge_view(session: Session, actor: User, challenge: Challenge) -> bool | None:
    """None when the actor may not see the challenge, else whether they manage it: both
    answers from one look at the teams, for a read that needs both."""
    if may_manage_challenge(session, actor, challenge):
        return True
    if challenge.launched_at is None:
        return None
    if in_audience(challenge, actor) or _takes_part(session, challenge.id, actor.id):
        return False
    return None


def visible_challenges(
    session: Session, actor: User, challenges: Iterable[Challenge]
) -> list[Challenge]:
    """The challenges of `challenges` the actor may see, in the order given."""
    if actor.app_role == "admin":
        return list(challenges)
    return [c for c in challenges if may_view_challenge(session, actor, c)]


def may_manage_user(session: Session, actor: User, user: User) -> bool:
    """An admin manages everyone, a manager their teams' members, anyone themself (for their
    own actions: logging their own sales, submitting their own proofs)."""
    if actor.id == user.id or actor.app_role == "admin":
        return True
    return user.team_id is not None and user.team_id in managed_team_ids(session, actor)


def may_manage_team(session: Session, actor: User, team_id: int) -> bool:
    """An admin manages every team, a manager the teams they manage (their settings, such as
    the team's chat channels)."""
    return team_id in managed_team_ids(session, actor)


def may_act_for_users(session: Session, actor: User, user_ids: Iterable[int]) -> bool:
    """True when the actor may act for every one of these people (sales data naming them).
    The reach itself is an org fact kept in kpi_engine.org.reach, which the ingest paths below
    gameplay are handed as a value."""
    return reach(session, actor).covers(user_ids)


def review_refusal(
    session: Session, actor: User, proof: Proof, challenge: Challenge
) -> Forbidden | None:
    """Why the actor may not review this proof of this challenge, or None when they may."""
    if proof.user_id == actor.id:
        return Forbidden(N_("nobody approves their own proof"), {"proof": [N_("submitted by you")]})
    return _person_refusal(session, actor, challenge, proof.user_id, N_("review this proof"))


def may_review_proof(session: Session, actor: User, proof: Proof, challenge: Challenge) -> bool:
    """Not one's own proof; a manager of the challenge who also manages the proof's author."""
    return review_refusal(session, actor, proof, challenge) is None


def adjust_refusal(
    session: Session, actor: User, challenge: Challenge, user_id: int
) -> Forbidden | None:
    """Why the actor may not adjust this person's points in this challenge, or None."""
    if user_id == actor.id:
        return Forbidden(
            N_("nobody adjusts their own points"),
            {"user_id": [N_("that is you; ask another manager")]},
        )
    return _person_refusal(session, actor, challenge, user_id, N_("adjust their points"))


def may_adjust(session: Session, actor: User, challenge: Challenge, user_id: int) -> bool:
    """Never one's own points; a manager of the challenge who manages the participant's team."""
    return adjust_refusal(session, actor, challenge, user_id) is None


def reviewable_author_ids(session: Session, actor: User) -> set[int] | None:
    """Whose proofs the actor may review: None means everyone but themself (an admin)."""
    if actor.app_role == "admin":
        return None
    teams = managed_team_ids(session, actor)
    members = set(session.scalars(select(User.id).where(User.team_id.in_(teams))))
    return members - {actor.id}


def _person_refusal(
    session: Session, actor: User, challenge: Challenge, user_id: int, action: str
) -> Forbidden | None:
    if not may_manage_challenge(session, actor, challenge):
        return Forbidden(N_("you do not manage this challenge"))
    person = session.get(User, user_id)
    if person is None or not may_manage_user(session, actor, person):
        name = person.name if person is not None else said(N_("user %(id)s"), id=str(user_id))
        return Forbidden(
            N_("%(name)s is not on a team you manage, so you may not %(action)s"),
            {"user_id": [N_("not on a team you manage")]},
            name=name,
            action=said(action),
        )

    return None


def _takes_part(session: Session, challenge_id: int, user_id: int) -> bool:
    query = select(Participant.id).where(
        Participant.challenge_id == challenge_id, Participant.user_id == user_id
    )
    return session.scalar(query) is not None
