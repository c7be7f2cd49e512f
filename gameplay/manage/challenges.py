"""Challenges: create and edit a draft, launch, cancel, and find the ones an actor may see.

A challenge is described by a spec, the plain dict the API's create body carries (see
DESIGN.md): name, kind, format, window with time zone, audience, enrolment, rules, missions,
rewards. Naive times in the spec are read in the challenge's time zone.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.orm import Session

from gameplay.boards.formats import FORMAT_RULES
from gameplay.core.access import (
    audience_refusal,
    challenge_view,
    may_change_challenge,
    may_manage_challenge,
    may_view_challenge,
    visible_challenges,
)
from gameplay.core.changes import Changes, note
from gameplay.core.enrollment import audience_users, enrol_audience
from gameplay.core.lifecycle import challenge_status
from gameplay.core.models import (
    Challenge,
    ChallengeKind,
    Enrolment,
    Mission,
    Participant,
    Reward,
    ScoringRule,
    TeamScoring,
)
from gameplay.manage.holdout import MAX_SHARE, draw_holdout
from gameplay.manage.preview import preview_challenge
from kpi_engine.errors import Conflict, Forbidden, Invalid, NotFound
from kpi_engine.org.models import User
from kpi_engine.words import N_, said

RULE_FIELDS = (
    "fact",
    "activity_kind",
    "outcome",
    "product",
    "segment",
    "min_amount",
    "points",
    "points_per_amount",
    "multiplier",
    "multiplier_from",
    "multiplier_until",
    "existing_account_multiplier",
    "daily_cap",
    "min_gap_minutes",
)
MISSION_FIELDS = (
    "name",
    "manual",
    "fact",
    "activity_kind",
    "outcome",
    "product",
    "segment",
    "min_amount",
    "measure",
    "target",
    "points",
    "badge",
)
SCALAR_FIELDS = (
    "name",
    "description",
    "kind",
    "format",
    "team_scoring",
    "target",
    "top_n",
    "ordered_missions",
    "quota_normalised",
    "enrolment",
    "reward_budget",
    "timezone",
    "holdout_share",
)


def get_challenge(session: Session, challenge_id: int, actor: User) -> Challenge:
    """The challenge if the actor may see it; NotFound otherwise. A read: it changes nothing."""
    challenge = session.get(Challenge, challenge_id)
    if challenge is None or not may_view_challenge(session, actor, challenge):
        raise NotFound(N_("no challenge with id %(id)s"), id=str(challenge_id))
    return challenge


def viewed_challenge(session: Session, challenge_id: int, actor: User) -> tuple[Challenge, bool]:
    """The challenge if the actor may see it and whether they manage it; NotFound otherwise."""
    challenge = session.get(Challenge, challenge_id)
    manages = None if challenge is None else challenge_view(session, actor, challenge)
    if challenge is None or manages is None:
        raise NotFound(N_("no challenge with id %(id)s"), id=str(challenge_id))
    return challenge, manages


def managed_challenge(session: Session, challenge_id: int, actor: User) -> Challenge:
    """The challenge if the actor manages it; Forbidden if they may only look at it."""
    challenge = get_challenge(session, challenge_id, actor)
    if not may_manage_challenge(session, actor, challenge):
        raise Forbidden(N_("you do not manage this challenge"))
    return challenge


def changeable_challenge(session: Session, challenge_id: int, actor: User) -> Challenge:
    """The challenge if the actor may edit, launch or cancel it (a manager of all its teams)."""
    challenge = managed_challenge(session, challenge_id, actor)
    if not may_change_challenge(session, actor, challenge):
        raise Forbidden(
            N_("this challenge also runs on teams you do not manage; an admin can change it")
        )
    return challenge


def list_challenges(
    session: Session, actor: User, *, status: str | None = None, now: datetime
) -> list[Challenge]:
    """Challenges the actor may see, newest window first, optionally of one status."""
    challenges = session.scalars(
        select(Challenge).order_by(Challenge.starts_at.desc(), Challenge.id.desc())
    )
    visible = visible_challenges(session, actor, challenges)
    return [c for c in visible if status is None or challenge_status(c, now) == status]


def managed_challenges(session: Session, actor: User, *, now: datetime) -> list[Challenge]:
    """Challenges the actor manages (every one reaching a team of theirs), newest first."""
    return [
        c
        for c in list_challenges(session, actor, now=now)
        if may_manage_challenge(session, actor, c)
    ]


def challenges_of(session: Session, user_id: int) -> list[Challenge]:
    """The challenges a rep takes part in."""
    query = (
        select(Challenge)
        .join(Participant, Participant.challenge_id == Challenge.id)
        .where(Participant.user_id == user_id)
    )
    return list(session.scalars(query.order_by(Challenge.starts_at.desc())))


def create_challenge(
    session: Session, spec: dict[str, Any], actor: User, *, now: datetime
) -> Challenge:
    """A draft challenge from a spec; the actor must manage every team in its audience."""
    challenge = Challenge(
        created_by_id=actor.id, created_at=now, version=0, budget_spent=Decimal(0)
    )
    _apply_spec(session, challenge, spec, actor)
    session.add(challenge)
    session.flush()
    return challenge


def update_challenge(
    session: Session, challenge_id: int, spec: dict[str, Any], actor: User, *, now: datetime
) -> Challenge:
    """Replace a draft's settings with a new spec; a launched challenge cannot change."""
    challenge = changeable_challenge(session, challenge_id, actor)
    if challenge_status(challenge, now) != "draft":
        raise Conflict(
            N_("the challenge is %(status)s; only a draft can be edited"),
            status=said(challenge_status(challenge, now)),
        )
    _apply_spec(session, challenge, spec, actor)
    session.flush()
    return challenge


def launch_challenge(
    session: Session,
    challenge_id: int,
    actor: User,
    *,
    now: datetime,
    holdout_seed: int | None = None,
) -> tuple[Challenge, Changes]:
    """Schedule a draft (live from its start): draw its holdout if it has one (with the seed
    given, else a fresh one, recorded), enrol an auto audience, set baselines."""
    challenge = changeable_challenge(session, challenge_id, actor)
    if challenge_status(challenge, now) != "draft":
        raise Conflict(
            N_("the challenge is %(status)s; only a draft can be launched"),
            status=said(challenge_status(challenge, now)),
        )
    if challenge.ends_at <= now:
        raise Invalid(
            N_("the challenge's window is already over"), {"ends_at": [N_("in the past")]}
        )
    baselines = {row.user_id: row.points for row in preview_challenge(session, challenge).rows}
    if challenge.holdout_share:
        draw_holdout(challenge, audience_users(session, challenge), now=now, seed=holdout_seed)
        session.flush()
    challenge.launched_at = now
    changes = Changes()
    if challenge.enrolment == "auto":
        for participant in enrol_audience(session, challenge, now=now):
            participant.baseline = baselines.get(participant.user_id, 0)
            changes.notify(
                note(
                    participant.user_id,
                    "challenge_starting",
                    N_("%(challenge)s starts %(moment)s UTC"),
                    challenge.id,
                    challenge=challenge.name,
                    moment=f"{challenge.starts_at:%Y-%m-%d %H:%M}",
                )
            )
    session.flush()
    changes.standings_changed(challenge.id)
    return challenge, changes


def cancel_challenge(
    session: Session, challenge_id: int, actor: User, *, now: datetime
) -> tuple[Challenge, Changes]:
    """Cancel a challenge that has not ended; its points stay in the ledger, nobody wins."""
    challenge = changeable_challenge(session, challenge_id, actor)
    status = challenge_status(challenge, now)
    if status in ("ended", "cancelled"):
        raise Conflict(
            N_("the challenge is %(status)s; it cannot be cancelled"), status=said(status)
        )
    challenge.cancelled_at = now
    session.flush()
    changes = Changes()
    changes.standings_changed(challenge.id)
    return challenge, changes


def _apply_spec(session: Session, challenge: Challenge, spec: dict[str, Any], actor: User) -> None:
    errors = _spec_errors(spec)
    if errors:
        raise Invalid(N_("the challenge's settings are not valid"), errors)

    refusal = audience_refusal(session, actor, spec["audience"])
    if refusal is not None:
        raise refusal
    for name in SCALAR_FIELDS:
        if name in spec:
            setattr(challenge, name, spec[name])
    zone = ZoneInfo(spec.get("timezone") or "UTC")
    challenge.timezone = spec.get("timezone") or "UTC"
    challenge.starts_at, challenge.ends_at = (
        _aware(spec["starts_at"], zone),
        _aware(spec["ends_at"], zone),
    )
    challenge.freeze_at = _aware(spec["freeze_at"], zone) if spec.get("freeze_at") else None
    challenge.audience = {
        k: sorted(set(spec["audience"].get(k) or []))
        for k in ("team_ids", "sales_roles", "user_ids")
    }
    challenge.quotas = {str(k): str(v) for k, v in (spec.get("quotas") or {}).items()}
    challenge.rules = [ScoringRule(**_pick(r, RULE_FIELDS, zone)) for r in spec.get("rules") or []]
    challenge.missions = [
        Mission(position=i, **_pick(m, MISSION_FIELDS, zone))
        for i, m in enumerate(spec.get("missions") or [])
    ]
    challenge.rewards = [
        Reward(
            name=r["name"],
            bonus_points=r.get("bonus_points") or 0,
            cash_value=r.get("cash_value"),
            cost=0,
            active=True,
        )
        for r in spec.get("rewards") or []
    ]


def _pick(item: dict[str, Any], names: tuple[str, ...], zone: ZoneInfo) -> dict[str, Any]:
    return {
        n: (_aware(item[n], zone) if isinstance(item[n], datetime) else item[n])
        for n in names
        if item.get(n) is not None
    }


def _aware(moment: datetime, zone: ZoneInfo) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=zone)


def _spec_errors(spec: dict[str, Any]) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    choices = {
        "kind": ChallengeKind.values(),
        "format": tuple(FORMAT_RULES),
        "enrolment": Enrolment.values(),
        "team_scoring": TeamScoring.values(),
    }
    for name, allowed in choices.items():
        if name in spec and spec[name] not in allowed:
            errors[name] = [said(N_("must be one of %(names)s"), names=", ".join(allowed))]
    try:
        ZoneInfo(spec.get("timezone") or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        errors["timezone"] = [said(N_("unknown time zone %(tz)r"), tz=spec.get("timezone"))]
        return errors
    errors.update(_window_errors(spec))
    fmt = FORMAT_RULES.get(spec.get("format", "leaderboard"))
    if fmt is not None and fmt.needs_target and not spec.get("target"):
        errors["target"] = [said(N_("a %(format)s challenge needs a target"), format=fmt.name)]
    if not any(
        (spec.get("audience") or {}).get(k) for k in ("team_ids", "sales_roles", "user_ids")
    ):
        errors["audience"] = [N_("name at least one team, sales role or user")]
    share = spec.get("holdout_share")
    if share is not None and not 0 <= Decimal(str(share)) <= MAX_SHARE:
        errors["holdout_share"] = [said(N_("must be between 0 and %(most)s"), most=str(MAX_SHARE))]
    if spec.get("quota_normalised") and not spec.get("quotas"):
        errors["quotas"] = [N_("a quota-normalised challenge needs each rep's quota")]
    return errors


def _window_errors(spec: dict[str, Any]) -> dict[str, list[str]]:
    zone = ZoneInfo(spec.get("timezone") or "UTC")
    starts, ends = _aware(spec["starts_at"], zone), _aware(spec["ends_at"], zone)
    if ends <= starts:
        return {"ends_at": [N_("must be after starts_at")]}
    freeze = spec.get("freeze_at")
    if freeze and not starts < _aware(freeze, zone) < ends:
        return {"freeze_at": [N_("must fall inside the window")]}
    return {}
