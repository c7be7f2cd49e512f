"""Finalisation: when a challenge has ended, award its places, winner badges and prizes once,
and report the winners' notes and the final standings as Changes for web/ to publish.

It runs in the scheduler (the server's periodic finalizer, `flask scheduled`, `flask finalize`),
never inside a read: a GET returns what is.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from gameplay.boards.formats import FORMAT_RULES
from gameplay.core.changes import Changes, Moment, note
from gameplay.core.lifecycle import challenge_status
from gameplay.core.models import Challenge, ChallengeAward, Participant
from gameplay.core.standings import bump_versions
from gameplay.manage.rewards import grant_prizes
from gameplay.scoring.badges import award_badge
from kpi_engine.words import N_, said


def finalize_challenge(session: Session, challenge: Challenge, *, now: datetime) -> Changes:
    """Award places, winner badges and prizes once; a second call (or a race) awards nothing."""
    changes = Changes()
    if challenge.finalized_at is not None or challenge_status(challenge, now) != "ended":
        return changes
    challenge.finalized_at = now
    already = set(
        session.scalars(
            select(ChallengeAward.user_id).where(ChallengeAward.challenge_id == challenge.id)
        )
    )
    for winner in FORMAT_RULES[challenge.format].winners(session, challenge):
        if winner.user_id in already:
            continue
        prizes = grant_prizes(session, challenge, winner.user_id, now=now, changes=changes)
        session.add(
            ChallengeAward(
                challenge_id=challenge.id,
                user_id=winner.user_id,
                place=winner.place,
                points=winner.points,
                rewards=prizes,
                awarded_at=now,
            )
        )
        award_badge(
            session,
            winner.user_id,
            "challenge_winner",
            scope=f"challenge:{challenge.id}",
            at=now,
            changes=changes,
        )
        template = N_("You won %(challenge)s (place %(place)s)")
        changes.notify(
            note(
                winner.user_id,
                "challenge_ending",
                template,
                challenge.id,
                challenge=challenge.name,
                place=winner.place,
            )
        )
    # Whoever watches the board sees the winner screen now, winner or not.
    title = said(N_("%(challenge)s is over"), challenge=said(challenge.name))
    over = Moment(challenge.id, "finale", title, "", audience="board")
    changes.moments.append(over)
    # The final frame: a new version (clients drop frames that are not newer) carrying every
    # participant's row, so a board frozen until the end is revealed to whoever watches.
    bump_versions(session, [challenge])
    changes.standings_changed(challenge.id, _participant_ids(session, challenge.id))
    session.flush()
    return changes


def finalize_due(session: Session, *, now: datetime) -> tuple[list[int], Changes]:
    """Finalise every launched challenge that has ended (the scheduler's and CLI's work)."""
    changes, done = Changes(), []
    for challenge in session.scalars(_due(now)).all():
        changes.merge(finalize_challenge(session, challenge, now=now))
        done.append(challenge.id)
    return done, changes


def due_challenge_ids(session: Session, *, now: datetime) -> list[int]:
    """The launched, uncancelled challenges that have ended and wait for finalisation."""
    return list(session.scalars(_due(now).with_only_columns(Challenge.id)))


def _due(now: datetime) -> Select[Challenge]:
    query = select(Challenge).where(
        Challenge.launched_at.isnot(None),
        Challenge.cancelled_at.is_(None),
        Challenge.finalized_at.is_(None),
        Challenge.ends_at <= now,
    )
    return query.order_by(Challenge.id)


def _participant_ids(session: Session, challenge_id: int) -> set[int]:
    query = select(Participant.user_id).where(Participant.challenge_id == challenge_id)
    return set(session.scalars(query))
