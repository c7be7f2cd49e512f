"""Past campaigns: a challenge run before the platform existed (or known from imported history),
recorded afterwards with its window and participants so its impact is measured like any other.

A recorded campaign is a challenge launched at the moment it was recorded, after its end;
its status is therefore "ended" at once. By default it awards nothing: it is finalised as it is
recorded, so no late event, rebuild or first read scores it or names winners. Asked to award
points, it plays the campaign's real sales facts through the engine first, then finalises it
(places, badges and prizes as for a live challenge).
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from gameplay.core.changes import Changes
from gameplay.core.enrollment import enrol, in_audience
from gameplay.core.models import Challenge
from gameplay.manage.challenges import create_challenge
from gameplay.manage.finalization import finalize_challenge
from gameplay.manage.preview import past_facts
from gameplay.scoring.scorer import score_fact
from kpi_engine.errors import Invalid
from kpi_engine.org.models import User
from kpi_engine.words import N_, said


def is_recorded_campaign(challenge: Challenge) -> bool:
    """True for a challenge recorded after its window ended (a past campaign)."""
    return challenge.launched_at is not None and challenge.launched_at >= challenge.ends_at


def record_past_campaign(
    session: Session,
    spec: dict[str, Any],
    participant_ids: Collection[int],
    actor: User,
    *,
    now: datetime,
    award_points: bool = False,
) -> tuple[Challenge, Changes]:
    """Record an ended campaign with the reps who took part; points only when asked.

    A refusal leaves the session as it was (the work happens inside a savepoint)."""
    with session.begin_nested():
        challenge = create_challenge(session, {**spec, "enrolment": "opt_in"}, actor, now=now)
        if challenge.ends_at > now:
            raise Invalid(
                N_("a past campaign's window must have ended; launch a challenge for one to come"),
                {"ends_at": [N_("in the future")]},
            )
        users = _audience_members(session, challenge, participant_ids)
        challenge.launched_at = now
        for user in users:
            enrol(session, challenge, user, now=challenge.starts_at)
        session.flush()
        changes = _settle(session, challenge, [u.id for u in users], now, award_points)
    return challenge, changes


def _settle(
    session: Session, challenge: Challenge, rep_ids: list[int], now: datetime, award: bool
) -> Changes:
    """Score the campaign's real sales and finalise it, or close it with nothing awarded."""
    changes = Changes()
    if not award:
        challenge.finalized_at = now
        session.flush()
        return changes
    for fact in past_facts(session, rep_ids, challenge.starts_at, challenge.ends_at):
        score_fact(session, [challenge], fact, now=now, changes=changes)
    changes.merge(finalize_challenge(session, challenge, now=now))
    return changes


def _audience_members(
    session: Session, challenge: Challenge, participant_ids: Collection[int]
) -> list[User]:
    """The named participants, each an existing rep of the campaign's audience."""
    if not participant_ids:
        raise Invalid(N_("name the reps who took part"), {"participant_ids": [N_("at least one")]})
    users = list(session.scalars(select(User).where(User.id.in_(set(participant_ids)))))
    unknown = set(participant_ids) - {u.id for u in users}
    outside = [u.id for u in users if not in_audience(challenge, u)]
    if unknown or outside:
        problems: list[str] = [said(N_("unknown user %(id)s"), id=str(i)) for i in sorted(unknown)]
        problems += [
            said(N_("user %(id)s is not in the campaign's audience"), id=str(i))
            for i in sorted(outside)
        ]
        raise Invalid(N_("some participants cannot have taken part"), {"participant_ids": problems})

    return sorted(users, key=lambda u: u.id)
