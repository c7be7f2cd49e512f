"""Who a challenge is for (its audience) and who takes part (its participants), and how a person's
open challenges follow them when their team, roles or active flag change."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import ColumnElement, or_, select, true
from sqlalchemy.orm import Session

from gameplay.core.changes import Changes
from gameplay.core.lifecycle import challenge_status
from gameplay.core.models import Challenge, Participant
from gameplay.core.standings import bump_versions, place_newcomer
from kpi_engine.errors import Conflict, Forbidden, Invalid
from kpi_engine.org.models import User
from kpi_engine.words import N_, said


def in_audience(challenge: Challenge, user: User) -> bool:
    """True when the user is a named member, or matches the challenge's teams and sales roles,
    and was not kept out by the challenge's holdout draw."""
    if user.id in challenge.held_out_ids:
        return False
    audience = challenge.audience or {}
    if user.id in audience.get("user_ids", []):
        return True
    teams, roles = audience.get("team_ids", []), audience.get("sales_roles", [])
    if not (teams or roles) or user.app_role != "rep":
        return False
    return (not teams or user.team_id in teams) and (not roles or user.sales_role in roles)


def audience_users(session: Session, challenge: Challenge) -> list[User]:
    """The active users a challenge is for: reps of its teams and roles, and named users, less
    those its holdout draw kept out."""
    audience = challenge.audience or {}
    teams, roles = audience.get("team_ids", []), audience.get("sales_roles", [])
    matching: ColumnElement[bool] = User.id.in_(audience.get("user_ids", []))
    if teams or roles:
        group = (User.app_role == "rep") & (User.team_id.in_(teams) if teams else true())
        matching = or_(matching, group & (User.sales_role.in_(roles) if roles else true()))
    query = select(User).where(User.active.is_(True), matching)
    if held_out := challenge.held_out_ids:
        query = query.where(User.id.notin_(held_out))
    return list(session.scalars(query.order_by(User.name)))


def participant_for(session: Session, challenge_id: int, user_id: int) -> Participant | None:
    """The rep's standing in a challenge, read fresh: ranks move by bulk statements."""
    query = select(Participant).where(
        Participant.challenge_id == challenge_id, Participant.user_id == user_id
    )
    return session.scalar(query.execution_options(populate_existing=True))


def quota_of(challenge: Challenge, user_id: int) -> Decimal | None:
    """The rep's quota for a quota-normalised challenge, if one was given."""
    value = (challenge.quotas or {}).get(str(user_id))
    return None if value is None else Decimal(str(value))


def enrol(session: Session, challenge: Challenge, user: User, *, now: datetime) -> Participant:
    """Add a rep to a challenge with no points yet (their rank is set among the others)."""
    if challenge.quota_normalised and not quota_of(challenge, user.id):
        raise Invalid(
            N_("%(name)s has no quota, and this challenge scores as a share of quota"),
            {"quotas": [said(N_("missing for user %(id)s"), id=str(user.id))]},
            name=user.name,
        )
    participant = Participant(
        challenge_id=challenge.id,
        user_id=user.id,
        team_id=user.team_id,
        sales_role=user.sales_role,
        joined_at=now,
        baseline=0,
    )
    session.add(participant)
    place_newcomer(session, challenge, participant)
    # A new row is a change to the board: cached boards and ETags are keyed by the version.
    bump_versions(session, [challenge])
    return participant


def enrol_audience(session: Session, challenge: Challenge, *, now: datetime) -> list[Participant]:
    """Enrol every audience member not enrolled yet (auto-enrolled challenges, at launch)."""
    enrolled = set(
        session.scalars(select(Participant.user_id).where(Participant.challenge_id == challenge.id))
    )
    users = [u for u in audience_users(session, challenge) if u.id not in enrolled]
    return [enrol(session, challenge, user, now=now) for user in users]


def join_challenge(
    session: Session, challenge: Challenge, actor: User, *, now: datetime
) -> tuple[Participant, Changes]:
    """An audience member opts in to a scheduled or live opt-in challenge."""
    if challenge.enrolment != "opt_in":
        raise Conflict(
            N_("this challenge enrols its audience automatically; there is nothing to join")
        )
    if not in_audience(challenge, actor):
        raise Forbidden(N_("this challenge is not open to you"))
    if challenge_status(challenge, now) not in ("scheduled", "live"):
        raise Conflict(
            N_("the challenge is %(status)s; it cannot be joined"),
            status=said(challenge_status(challenge, now)),
        )
    if participant_for(session, challenge.id, actor.id) is not None:
        raise Conflict(N_("you have already joined this challenge"))

    participant = enrol(session, challenge, actor, now=now)
    session.flush()
    changes = Changes()
    changes.standings_changed(challenge.id, {actor.id})
    return participant, changes


def follow_audience(session: Session, user: User, *, now: datetime) -> Changes:
    """After a person's team, roles or active flag changed: they leave each open challenge whose
    audience no longer holds them (their points until now stay; nothing later counts there) and
    join each open auto-enrolled one whose audience now does (counting what they do from now).
    A challenge left is not joined again by coming back: one stretch in each challenge, so a
    rebuild from the raw events gives the same boards."""
    changes = Changes()
    for challenge in _open_challenges(session, now):
        participant = participant_for(session, challenge.id, user.id)
        belongs = user.active and in_audience(challenge, user)
        if participant is not None and participant.left_at is None and not belongs:
            participant.left_at = now
            changes.standings_changed(challenge.id, {user.id})
        elif participant is None and belongs and _joins_on_move(challenge, user):
            enrol(session, challenge, user, now=now).entered_at = now
            changes.standings_changed(challenge.id, {user.id})
    session.flush()
    return changes


def _open_challenges(session: Session, now: datetime) -> list[Challenge]:
    """Launched challenges not cancelled, finalised or ended: scheduled and live ones."""
    query = select(Challenge).where(
        Challenge.launched_at.is_not(None),
        Challenge.cancelled_at.is_(None),
        Challenge.finalized_at.is_(None),
        Challenge.ends_at > now,
    )
    return list(session.scalars(query.order_by(Challenge.id)))


def _joins_on_move(challenge: Challenge, user: User) -> bool:
    """An auto-enrolled challenge takes in a rep who arrives in its audience, as it would have at
    launch; one scored as a share of quota waits until their quota is given."""
    quota_ok = not challenge.quota_normalised or quota_of(challenge, user.id)
    return challenge.enrolment == "auto" and user.app_role == "rep" and bool(quota_ok)
