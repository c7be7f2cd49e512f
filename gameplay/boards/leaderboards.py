"""Reading leaderboards: individual (top N and around me), team (sum or average), most improved
against own baseline, and leagues by sales role. Reads use the maintained standings only."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import (
    Integer,
    Select,
    and_,
    bindparam,
    func,
    literal,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import Session

from gameplay.core.lifecycle import is_frozen
from gameplay.core.models import Challenge, Participant, PlayerProfile
from gameplay.core.passes import ANONYMOUS
from kpi_engine.org.models import Team, User

# Rank by points; equal points go to whoever reached them first, then by id so ranks are stable.
BOARD_ORDER = (Participant.points.desc(), Participant.reached_at, Participant.user_id)
AROUND = 5


@dataclass(frozen=True)
class BoardRow:
    rank: int
    user_id: int | None
    name: str
    points: int
    team_id: int | None = None
    reached_at: datetime | None = None
    is_me: bool = False
    anonymised: bool = False
    participant_id: int | None = None


@dataclass(frozen=True)
class TeamRow:
    rank: int
    team_id: int
    name: str
    points: float
    members: int


@dataclass
class Board:
    """A leaderboard answer: the challenge, its standings version, the rows asked for."""

    challenge_id: int
    version: int
    board: str
    rows: list[BoardRow] | list[TeamRow] = field(default_factory=list)
    frozen: bool = False
    me: BoardRow | None = None


_STANDING = (
    Participant.id,
    Participant.user_id,
    Participant.points,
    Participant.rank,
    Participant.team_id,
    Participant.reached_at,
    Participant.baseline,
)


def _board_query(challenge_id: Any) -> Select[*tuple[Any, ...]]:
    # Columns, not Participant objects: a board is read far more often than it is written,
    # and building 50 tracked objects cost more than the indexed query itself.
    return (
        select(*_STANDING, User.name, PlayerProfile.anonymised)
        .join(User, User.id == Participant.user_id)
        .outerjoin(PlayerProfile, PlayerProfile.user_id == Participant.user_id)
        .where(Participant.challenge_id == challenge_id)
    )


def _row(standing: Any, viewer_id: int, reveal: bool, rank: int | None = None) -> BoardRow:
    hidden = bool(standing.anonymised) and not reveal and standing.user_id != viewer_id
    return BoardRow(
        rank if rank is not None else standing.rank,
        None if hidden else standing.user_id,
        ANONYMOUS if hidden else standing.name,
        standing.points,
        standing.team_id,
        standing.reached_at,
        standing.user_id == viewer_id,
        bool(standing.anonymised),
        standing.id,
    )


@cache
def _top_statement() -> Select[*tuple[Any, ...]]:
    # Built once with bound parameters: composing the statement per read cost more than
    # running it.
    return (
        _board_query(bindparam("challenge_id"))
        .order_by(*BOARD_ORDER)
        .limit(bindparam("limit"))
        .offset(bindparam("offset"))
    )


@cache
def _around_statement() -> Select[*tuple[Any, ...]]:
    """The viewer's row and four keyset reads on the board index in one statement (same
    points ahead, more points, same points behind, fewer points), `span` rows each."""
    challenge_id, viewer = (
        bindparam("challenge_id", type_=Integer),
        bindparam("viewer_id", type_=Integer),
    )
    span, one = bindparam("span", type_=Integer), literal(1, Integer)
    mine = (Participant.challenge_id == challenge_id, Participant.user_id == viewer)
    my_points = select(Participant.points).where(*mine).scalar_subquery()
    my_time = select(Participant.reached_at).where(*mine).scalar_subquery()
    same = Participant.points == my_points
    earlier = or_(
        Participant.reached_at < my_time,
        and_(Participant.reached_at == my_time, Participant.user_id < viewer),
    )
    later = and_(~earlier, Participant.user_id != viewer)
    ahead_first = (Participant.reached_at.desc(), Participant.user_id.desc())
    reads = [
        (Participant.user_id == viewer, BOARD_ORDER, one),
        (and_(same, earlier), ahead_first, span),
        (Participant.points > my_points, (Participant.points, *ahead_first), span),
        (and_(same, later), BOARD_ORDER[1:], span),
        (Participant.points < my_points, BOARD_ORDER, span),
    ]
    parts = [
        select(Participant.id)
        .where(Participant.challenge_id == challenge_id, where)
        .order_by(*order)
        .limit(limit)
        .subquery()
        for where, order, limit in reads
    ]
    window = union_all(*(select(part.c.id) for part in parts)).subquery()
    return _board_query(challenge_id).join(window, window.c.id == Participant.id)


def rows_of(session: Session, challenge: Challenge, user_ids: Iterable[int]) -> list[BoardRow]:
    """The given reps' rows in board order, as an onlooker sees them (anonymity kept)."""
    query = _board_query(challenge.id).where(Participant.user_id.in_(set(user_ids)))
    return [_row(r, 0, False) for r in session.execute(query.order_by(*BOARD_ORDER))]


def top_rows(
    session: Session,
    challenge: Challenge,
    *,
    viewer_id: int,
    reveal: bool,
    limit: int = 50,
    offset: int = 0,
) -> list[BoardRow]:
    """The leaders in board order: rank (ties share it), then who reached the score first."""
    params = {"challenge_id": challenge.id, "limit": limit, "offset": offset}
    return [_row(r, viewer_id, reveal) for r in session.execute(_top_statement(), params)]


def around_me(
    session: Session, challenge: Challenge, *, viewer_id: int, reveal: bool, span: int = AROUND
) -> list[BoardRow]:
    """The viewer's row with up to `span` rows above and below (empty if not taking part).

    Keyset reads on the board index, so the cost does not grow with the board."""
    params = {"challenge_id": challenge.id, "viewer_id": viewer_id, "span": span}
    found = sorted(
        session.execute(_around_statement(), params),
        key=lambda r: (-r.points, r.reached_at, r.user_id),
    )
    mine = next((i for i, r in enumerate(found) if r.user_id == viewer_id), None)
    if mine is None:
        return []
    nearest = found[max(0, mine - span) : mine + span + 1]
    return [_row(r, viewer_id, reveal) for r in nearest]


def snapshot_rows(
    session: Session, challenge: Challenge, *, viewer_id: int, limit: int = 50
) -> list[BoardRow]:
    """What a client is sent when it (re)subscribes: the top of the board, then the rows
    around the viewer that the top does not hold, as an onlooker sees them."""
    top = top_rows(session, challenge, viewer_id=viewer_id, reveal=False, limit=limit)
    known = {row.participant_id for row in top}
    around = around_me(session, challenge, viewer_id=viewer_id, reveal=False)
    return top + [row for row in around if row.participant_id not in known]


def participant_count(session: Session, challenge_id: int) -> int:
    """How many reps take part in a challenge."""
    query = select(func.count()).where(Participant.challenge_id == challenge_id)
    return session.scalar(query) or 0


def team_rows(session: Session, challenge: Challenge) -> list[TeamRow]:
    """Teams by the sum or the per-member average of their members' points."""
    measure = (
        func.sum(Participant.points)
        if challenge.team_scoring == "sum"
        else func.avg(Participant.points)
    )
    query = (
        select(Participant.team_id, Team.name, measure, func.count())
        .join(Team, Team.id == Participant.team_id)
        .where(Participant.challenge_id == challenge.id)
        .group_by(Participant.team_id, Team.name)
    )
    scored = sorted(
        ((float(s or 0), tid, name, n) for tid, name, s, n in session.execute(query)),
        key=lambda r: (-r[0], r[2]),
    )
    ranks = competition_ranks([s for s, *_ in scored])
    return [
        TeamRow(rank, tid, name, round(s, 2), n)
        for rank, (s, tid, name, n) in zip(ranks, scored, strict=True)
    ]


def competition_ranks(scores: list[float]) -> list[int]:
    """1, 2, 2, 4 for scores already sorted best first: ties share the better rank."""
    ranks: list[int] = []
    for index, score in enumerate(scores):
        ranks.append(ranks[-1] if index and scores[index - 1] == score else index + 1)
    return ranks


def ranked_subset(
    session: Session,
    challenge: Challenge,
    *,
    viewer_id: int,
    reveal: bool,
    league: str | None = None,
    improved: bool = False,
) -> list[BoardRow]:
    """A league (one sales role) or the most-improved board, ranked among its own rows."""
    query = _board_query(challenge.id)
    if league:
        query = query.where(Participant.sales_role == league)
    rows = list(session.execute(query))

    def score(standing: Any) -> int:
        return standing.points - standing.baseline if improved else standing.points

    rows.sort(key=lambda r: (-score(r), r.reached_at, r.user_id))
    ranks = competition_ranks([float(score(r)) for r in rows])
    result = []
    for rank, standing in zip(ranks, rows, strict=True):
        row = _row(standing, viewer_id, reveal, rank)
        result.append(BoardRow(**{**row.__dict__, "points": score(standing)}))
    return result


def read_leaderboard(
    session: Session,
    challenge: Challenge,
    *,
    viewer: User,
    manager_view: bool,
    now: datetime,
    board: str = "individual",
    league: str | None = None,
    limit: int = 50,
) -> Board:
    """The board a viewer may see; in the freeze period a rep sees only their own row."""
    answer = Board(challenge.id, challenge.version or 0, board)
    mine = around_me(session, challenge, viewer_id=viewer.id, reveal=manager_view, span=0)
    answer.me = mine[0] if mine else None
    if is_frozen(challenge, now) and not manager_view:
        answer.frozen, answer.rows = True, mine
        return answer
    if board == "team":
        answer.rows = team_rows(session, challenge)[:limit]
    elif board == "improved" or league:
        answer.rows = ranked_subset(
            session,
            challenge,
            viewer_id=viewer.id,
            reveal=manager_view,
            league=league,
            improved=board == "improved",
        )[:limit]
    elif board == "around_me":
        answer.rows = around_me(session, challenge, viewer_id=viewer.id, reveal=manager_view)
    else:
        answer.rows = top_rows(
            session, challenge, viewer_id=viewer.id, reveal=manager_view, limit=limit
        )
    return answer
