"""A player's game profile: lifetime points, points spent, and their game preferences."""

from __future__ import annotations

from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from gameplay.core.models import PlayerProfile
from kpi_engine.db import Choices
from kpi_engine.errors import Invalid, NotFound
from kpi_engine.org.models import User
from kpi_engine.words import N_

PROFILES_KEY = "gameplay.profiles"


class NotificationKind(Choices):
    """The kinds of personal notes a rep may mute, one by one."""

    POINTS_EARNED = "points_earned"
    MISSION_COMPLETED = "mission_completed"
    BADGE_EARNED = "badge_earned"
    LEVEL_REACHED = "level_reached"
    OVERTAKEN = "overtaken"
    PASSED = "passed"
    CHALLENGE_STARTING = "challenge_starting"
    CHALLENGE_ENDING = "challenge_ending"
    PROOF_REVIEWED = "proof_reviewed"


def profile_of(session: Session, user_id: int) -> PlayerProfile:
    """The user's profile, created empty on first use.

    Kept on the session so that scoring one event in many challenges touches the row once,
    rather than reloading it (the identity map holds objects only weakly)."""
    cache: dict[int, PlayerProfile] = session.info.setdefault(PROFILES_KEY, {})
    profile = cache.get(user_id)
    if profile is not None and (inspect(profile).persistent or inspect(profile).pending):
        return profile
    profile = session.get(PlayerProfile, user_id)
    if profile is None:
        return new_profile(session, user_id)
    cache[user_id] = profile
    return profile


def new_profile(session: Session, user_id: int) -> PlayerProfile:
    """An empty profile for a user known to have none yet (no read to find out again)."""
    profile = PlayerProfile(user_id=user_id, lifetime_points=0, spent_points=0)
    profile.anonymised, profile.muted_kinds = False, []
    session.add(profile)
    session.info.setdefault(PROFILES_KEY, {})[user_id] = profile
    return profile


def set_preferences(
    session: Session,
    user_id: int,
    *,
    anonymised: bool | None = None,
    muted_kinds: list[str] | None = None,
    locale: str | None = None,
) -> PlayerProfile:
    """Choose to appear anonymised on leaderboards, which notification kinds to mute and the
    language to read the product in ('' goes back to the organisation's)."""
    profile = profile_of(session, user_id)
    if locale is not None:
        user = session.get(User, user_id)
        if user is None:
            raise NotFound(N_("no user %(id)s"), id=str(user_id))
        user.locale = locale or None
    if anonymised is not None:
        profile.anonymised = anonymised
    if muted_kinds is not None:
        unknown = sorted(set(muted_kinds) - set(NotificationKind.values()))
        if unknown:
            raise Invalid(
                N_("unknown notification kinds %(kinds)s"), {"muted_kinds": unknown}, kinds=unknown
            )

        profile.muted_kinds = sorted(set(muted_kinds))
    session.flush()
    return profile


def muted_kinds_of(session: Session, user_ids: set[int]) -> dict[int, set[str]]:
    """The notification kinds each of these users muted (users with no profile mute nothing)."""
    if not user_ids:
        return {}
    query = select(PlayerProfile.user_id, PlayerProfile.muted_kinds).where(
        PlayerProfile.user_id.in_(user_ids)
    )
    return {user_id: set(kinds or ()) for user_id, kinds in session.execute(query)}


def read_profile(session: Session, user_id: int) -> PlayerProfile:
    """The user's profile for reading: a new empty one, not added to the session, when they
    have none yet (a read never writes; the first score creates the row)."""
    profile = session.get(PlayerProfile, user_id)
    if profile is None:
        profile = PlayerProfile(user_id=user_id, lifetime_points=0, spent_points=0)
        profile.anonymised, profile.muted_kinds = False, []
    return profile
