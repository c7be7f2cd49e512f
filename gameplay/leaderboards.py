"""Reading leaderboards: individual (top N and around me), team (sum or average), most improved
against own baseline, and leagues by sales role. Reads use the maintained standings only."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session

from gameplay.formats import BOARD_ORDER
from gameplay.models import Challenge, Participant, PlayerProfile
from kpi_engine.models import Team, User

ANONYMOUS = "Anonymous rep"
_REVERSED_TIE = (Participant.reached_at.desc(), Participant.user_id.desc())
AROUND = 5


@dataclass(frozen=True)
class Row:
    rank: int
    user_id: int | None
    name: str
    points: int
    team_id: int | None = None
    reached_at: datetime | None = None
    is_me: bool = False
    anonymised: bool = False


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
    rows: list[Row] | list[TeamRow] = field(default_factory=list)
    frozen: bool = False
    me: Row | None = None


def _board_query(challenge_id: int):
    return (
        select(Participant, User.name, PlayerProfile.anonymised)
        .join(User, User.id == Participant.user_id)
        .outerjoin(PlayerProfile, PlayerProfile.user_id == Participant.user_id)
        .where(Participant.challenge_id == challenge_id)
        .execution_options(populate_existing=True)
    )


def _row(
    participant: Participant,
    name: str,
    anonymised: bool | None,
    viewer_id: int,
    reveal: bool,
    rank: int | None = None,
) -> Row:
    hidden = bool(anonymised) and not reveal and participant.user_id != viewer_id
    return Row(
        rank if rank is not None else participant.rank,
        None if hidden else participant.user_id,
        ANONYMOUS if hidden else name,
        participant.points,
        participant.team_id,
        participant.reached_at,
        participant.user_id == viewer_id,
        bool(anonymised),
    )


def top_rows(
    session: Session,
    challenge: Challenge,
    *,
    viewer_id: int,
    reveal: bool,
    limit: int = 50,
    offset: int = 0,
) -> list[Row]:
    """The leaders in board order: rank (ties share it), then who reached the score first."""
    query = _board_query(challenge.id).order_by(*BOARD_ORDER).limit(limit).offset(offset)
    return [_row(p, n, a, viewer_id, reveal) for p, n, a in session.execute(query)]


def around_me(
    session: Session, challenge: Challenge, *, viewer_id: int, reveal: bool, span: int = AROUND
) -> list[Row]:
    """The viewer's row with up to `span` rows above and below (empty if not taking part).

    Keyset reads on the board index, nearest first, so the cost does not grow with the board."""
    mine = session.execute(
        _board_query(challenge.id).where(Participant.user_id == viewer_id)
    ).first()
    if mine is None:
        return []
    me = mine[0]
    ahead = _neighbours(session, me, span, ahead=True)
    behind = _neighbours(session, me, span, ahead=False)
    found = [*reversed(ahead), mine, *behind]
    return [_row(p, n, a, viewer_id, reveal) for p, n, a in found]


def _neighbours(session: Session, me: Participant, span: int, *, ahead: bool) -> list[Any]:
    same = Participant.points == me.points
    earlier = or_(
        Participant.reached_at < me.reached_at,
        and_(Participant.reached_at == me.reached_at, Participant.user_id < me.user_id),
    )
    steps: list[tuple[ColumnElement[bool], tuple[Any, ...]]]
    if ahead:
        steps = [
            (and_(same, earlier), (Participant.reached_at.desc(), Participant.user_id.desc())),
            (Participant.points > me.points, (Participant.points, *_REVERSED_TIE)),
        ]
    else:
        later = and_(same, ~earlier, Participant.user_id != me.user_id)
        steps = [(later, BOARD_ORDER[1:]), (Participant.points < me.points, BOARD_ORDER)]
    rows: list[Any] = []
    for where, order in steps:
        if len(rows) < span:
            query = _board_query(me.challenge_id).where(where).order_by(*order)
            rows += session.execute(query.limit(span - len(rows))).all()
    return rows


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
) -> list[Row]:
    """A league (one sales role) or the most-improved board, ranked among its own rows."""
    query = _board_query(challenge.id)
    if league:
        query = query.where(Participant.sales_role == league)
    rows = list(session.execute(query))

    def score(p: Participant) -> int:
        return p.points - p.baseline if improved else p.points

    rows.sort(key=lambda r: (-score(r[0]), r[0].reached_at, r[0].user_id))
    ranks = competition_ranks([float(score(p)) for p, _, _ in rows])
    result = []
    for rank, (p, name, anonymised) in zip(ranks, rows, strict=True):
        row = _row(p, name, anonymised, viewer_id, reveal, rank)
        result.append(Row(**{**row.__dict__, "points": score(p)}))
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
    from gameplay.lifecycle import is_frozen

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
