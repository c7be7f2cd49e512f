"""What the rep's phone pages show, read through gameplay's public functions.

Pages render these values server-side (readable without JavaScript); the live script then
keeps the leaderboard moving from Socket.IO frames.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask_babel import format_date, gettext, ngettext
from sqlalchemy.orm import Session

from gameplay.boards.formats import FORMAT_RULES, describe_format
from gameplay.boards.leaderboards import Board, read_leaderboard
from gameplay.core.access import may_manage_challenge
from gameplay.core.enrollment import participant_for
from gameplay.core.lifecycle import challenge_status
from gameplay.core.models import BadgeAward, Challenge, PlayerProfile, Redemption, Reward
from gameplay.manage.challenges import challenges_of
from gameplay.manage.rewards import catalogue, redemptions_of
from gameplay.scoring.badges import badge_title, badges_of
from gameplay.scoring.levels import LevelStanding, level_for, level_table
from gameplay.scoring.missions import MissionState, mission_states
from gameplay.scoring.profiles import NotificationKind, read_profile
from gameplay.scoring.rules import describe_rule
from gameplay.scoring.streaks import Streak, current_streak
from kpi_engine.org.models import User
from web import formats
from web.formats import span

# Ended challenges stay on the rep's home for a week, so the result is seen.
RECENTLY_ENDED = timedelta(days=7)
# A board this long shows the podium, the top and the rows around the rep.
BIG_BOARD = 15


@dataclass(frozen=True)
class Card:
    """One challenge on the rep's home: where they stand and how long is left."""

    challenge: Challenge
    status: str
    rank: int | None
    points: int
    progress: int  # percent, 0..100
    progress_words: str
    time_left: str


@dataclass(frozen=True)
class ChallengePage:
    challenge: Challenge
    status: str
    format_words: str
    rules: list[str]
    missions: list[MissionState]
    ordered: bool
    board: Board
    around: Board | None
    participant_id: int | None
    time_left: str


def time_left(challenge: Challenge, now: datetime) -> str:
    """'2 d 5 h left', 'starts in 3 h', 'finished on 3 Dec' — words a rep reads at a glance,
    never the status word again (pages show the status beside it)."""
    status = challenge_status(challenge, now)
    if status == "scheduled":
        return gettext("starts in %(span)s", span=span(challenge.starts_at - now))
    if status == "live":
        return formats.time_left(challenge.ends_at - now)
    if status == "ended":
        ended = challenge.ends_at.astimezone(ZoneInfo(challenge.timezone or "UTC"))
        return gettext("finished on %(date)s", date=format_date(ended.date(), "d MMM"))
    return gettext("not launched yet") if status == "draft" else gettext("called off")


def my_cards(session: Session, user: User, now: datetime) -> list[Card]:
    """The rep's live and upcoming challenges, then those ended in the last week."""
    cards = []
    for challenge in challenges_of(session, user.id):
        status = challenge_status(challenge, now)
        recent = status == "ended" and now - challenge.ends_at < RECENTLY_ENDED
        if status in ("live", "scheduled") or recent:
            cards.append(_card(session, challenge, user, status, now))
    order = {"live": 0, "scheduled": 1, "ended": 2}
    return sorted(cards, key=lambda card: (order[card.status], card.challenge.ends_at))


def _card(session: Session, challenge: Challenge, user: User, status: str, now: datetime) -> Card:
    participant = participant_for(session, challenge.id, user.id)
    points = participant.points if participant else 0
    rank = participant.rank if participant else None
    percent, words = _progress(session, challenge, user.id, points)
    return Card(challenge, status, rank, points, percent, words, time_left(challenge, now))


def _progress(session: Session, challenge: Challenge, user_id: int, points: int) -> tuple[int, str]:
    """Missions done when there are missions, else points toward the target, else the time."""
    lines = mission_states(session, challenge, user_id)
    if lines:
        done = sum(line.state == "done" for line in lines)
        return _percent(done, len(lines)), ngettext(
            "%(done)s of %(num)s mission", "%(done)s of %(num)s missions", len(lines), done=done
        )
    if challenge.target and FORMAT_RULES[challenge.format].needs_target:
        target = formats.points(challenge.target)
        words = gettext("%(points)s of %(target)s", points=formats.number(points), target=target)
        return _percent(points, challenge.target), words
    return 0, formats.points(points)


def _percent(part: float, whole: float) -> int:
    return max(0, min(100, round(100 * part / whole))) if whole else 0


def challenge_page(
    session: Session,
    challenge: Challenge,
    user: User,
    now: datetime,
    manager_view: bool | None = None,
) -> ChallengePage:
    """Rules in plain words, my missions, the board (with the rows around me on a big one);
    `manager_view` when the caller already knows whether the user manages the challenge."""
    if manager_view is None:
        manager_view = may_manage_challenge(session, user, challenge)
    board = read_leaderboard(session, challenge, viewer=user, manager_view=manager_view, now=now)
    around = None
    me = board.me
    if me is not None and not board.frozen and me.rank > BIG_BOARD:
        around = read_leaderboard(
            session, challenge, viewer=user, manager_view=manager_view, now=now, board="around_me"
        )
    participant = participant_for(session, challenge.id, user.id)
    return ChallengePage(
        challenge,
        challenge_status(challenge, now),
        describe_format(challenge, formats.words()),
        [describe_rule(rule, formats.words()) for rule in challenge.rules],
        mission_states(session, challenge, user.id),
        challenge.ordered_missions,
        board,
        around,
        participant.id if participant else None,
        time_left(challenge, now),
    )


@dataclass(frozen=True)
class ProfilePage:
    level: LevelStanding
    level_percent: int
    badges: list[tuple[str, BadgeAward]]
    streak: Streak
    profile: PlayerProfile
    rewards: list[Reward]
    redemptions: list[Redemption]
    kinds: tuple[str, ...]


def profile_page(session: Session, user: User, now: datetime, tz: str) -> ProfilePage:
    """Level and the way to the next, badges, streak, balance and what points can buy."""
    profile = read_profile(session, user.id)
    table = level_table(session)
    level = level_for(table, profile.lifetime_points)
    floor = next(row[2] for row in table if row[0] == level.number)
    percent = (
        100 if level.next_at is None else _percent(level.points - floor, level.next_at - floor)
    )
    badges = [(badge_title(b.code), b) for b in badges_of(session, user.id)]
    today = now.astimezone(ZoneInfo(tz)).date()
    streak = current_streak(session, user.id, today=today, tz=tz)
    return ProfilePage(
        level,
        percent,
        badges,
        streak,
        profile,
        catalogue(session),
        redemptions_of(session, user.id)[:10],
        NotificationKind.values(),
    )
