"""What makes a wall screen stop its playlist and celebrate: someone taking the lead on a board
it shows, or a big deal won by a rep of the teams it speaks for.

Moments are found in the transaction that made them and published only after it commits
(they ride in Changes, like the boards' frames), so a wall never cheers for points that were
rolled back. Who led when a wall last looked is kept per challenge (challenge_headline,
"wall_leader"); a wall that starts watching a board first notes its leader, so it does not
cheer for a lead taken days ago.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from gameplay.boards.leaderboards import ANONYMOUS, BOARD_ORDER
from gameplay.channels.news import fresh_win
from gameplay.channels.team_channels import ChallengeHeadline
from gameplay.channels.wall_screens import Playlist, SlideKind, playlist_of
from gameplay.channels.wall_slides import wall_teams
from gameplay.core.changes import Changes, Moment
from gameplay.core.lifecycle import challenge_status, is_frozen
from gameplay.core.models import Challenge, Participant, PlayerProfile
from kpi_engine.org.models import User
from kpi_engine.sales.folds import FoldedDeal

LEADER = "wall_leader"
# A deal closed longer ago than this is a backfill, not news for the floor.


def wall_moments(
    session: Session,
    changes: Changes,
    *,
    walls: set[int],
    won: Sequence[FoldedDeal] = (),
    now: datetime,
) -> list[Moment]:
    """The moments this transaction gives the walls in force (their ids); flushes."""
    if not walls or not (changes.standings or won):
        return []
    playlists = [playlist_of(session, wall_id) for wall_id in sorted(walls)]
    moments = _leads(session, changes, playlists, now)
    moments += _big_deals(session, [d for d in won if fresh_win(d, now)], playlists)
    session.flush()
    return moments


def note_leaders(session: Session, challenge_ids: Iterable[int], *, now: datetime) -> None:
    """Remember who leads these boards now (nobody, before the first points), so that a wall
    starting to watch them cheers only for a lead taken from here on; flushes."""
    for challenge_id in set(challenge_ids):
        leader = _leader(session, challenge_id)
        _remember(session, challenge_id, leader.user_id if leader else None, now)
    session.flush()


def board_ids(playlist: Playlist) -> set[int]:
    """The challenges whose individual boards the playlist shows."""
    return {s.challenge_id for s in playlist.slides if s.kind == SlideKind.BOARD and s.challenge_id}


def _boards(playlists: list[Playlist]) -> dict[int, list[int]]:
    """Challenge id -> the walls showing its individual board."""
    watching: dict[int, list[int]] = defaultdict(list)
    for playlist in playlists:
        for challenge_id in board_ids(playlist):
            watching[challenge_id].append(playlist.wall_id)
    return watching


def _leads(
    session: Session, changes: Changes, playlists: list[Playlist], now: datetime
) -> list[Moment]:
    watching = _boards(playlists)
    moments: list[Moment] = []
    for challenge_id in sorted(set(changes.standings) & set(watching)):
        challenge = session.get(Challenge, challenge_id)
        if challenge is None or not _leads_are_news(challenge, now):
            continue
        leader = _leader(session, challenge_id)
        told = session.get(ChallengeHeadline, (challenge_id, LEADER))
        if leader is None or (told is not None and told.user_id == leader.user_id):
            continue
        _remember(session, challenge_id, leader.user_id, now)
        if told is not None:  # never noted: this is the wall's first look, not a new lead
            moments += [_lead(session, w, challenge, leader) for w in watching[challenge_id]]
    return moments


def _leads_are_news(challenge: Challenge, now: datetime) -> bool:
    # A frozen board is hidden from the reps, so the wall must not reveal its leader either.
    live = challenge_status(challenge, now) == "live"
    return live and challenge.format != "team_battle" and not is_frozen(challenge, now)


def _leader(session: Session, challenge_id: int) -> Participant | None:
    query = (
        select(Participant)
        .where(Participant.challenge_id == challenge_id, Participant.points > 0)
        .order_by(*BOARD_ORDER)
        .limit(1)
    )
    return session.scalar(query)


def _remember(session: Session, challenge_id: int, user_id: int | None, now: datetime) -> None:
    told = session.get(ChallengeHeadline, (challenge_id, LEADER))
    if told is None:
        told = ChallengeHeadline(challenge_id=challenge_id, news=LEADER)
        session.add(told)
    told.user_id, told.at = user_id, now


def _lead(session: Session, wall_id: int, challenge: Challenge, leader: Participant) -> Moment:
    points = f"{leader.points:,} point{'' if leader.points == 1 else 's'}"
    name = shown_names(session, {leader.user_id})[leader.user_id]
    values = (("name", name), ("challenge", challenge.name), ("points", leader.points))
    return Moment(wall_id, "lead", f"{name} takes the lead", f"{challenge.name} · {points}",
                  values=values)  # fmt: skip


def _big_deals(session: Session, won: list[FoldedDeal], playlists: list[Playlist]) -> list[Moment]:
    if not won:
        return []
    names = shown_names(session, {d.owner_id for d in won})
    teams = dict(session.execute(select(User.id, User.team_id).where(User.id.in_(names))).all())
    moments: list[Moment] = []
    for playlist in playlists:
        if playlist.big_deal is None:
            continue
        floor = wall_teams(session, playlist)
        moments += [
            _deal(playlist.wall_id, names[deal.owner_id], deal)
            for deal in won
            if deal.amount is not None
            and deal.amount >= playlist.big_deal
            and teams.get(deal.owner_id) in floor
        ]
    return moments


def _deal(wall_id: int, name: str, deal: FoldedDeal) -> Moment:
    what = deal.account or "a deal"
    amount = f"{deal.amount:,.0f} {deal.currency}"
    values = (("name", name), ("account", deal.account), ("currency", deal.currency),
              ("amount", float(deal.amount) if deal.amount is not None else None))  # fmt: skip
    return Moment(wall_id, "big_deal", f"{name} won {what}", amount, values=values)


def shown_names(session: Session, user_ids: set[int]) -> dict[int, str]:
    """Names as a wall shows them: a rep anonymous on boards stays anonymous on the TV."""
    query = (
        select(User.id, User.name, PlayerProfile.anonymised)
        .outerjoin(PlayerProfile, PlayerProfile.user_id == User.id)
        .where(User.id.in_(user_ids))
    )
    return {i: ANONYMOUS if anonymous else name for i, name, anonymous in session.execute(query)}
