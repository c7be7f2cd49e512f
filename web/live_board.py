"""Leaderboard frames for the live layer, read from the standings the engine materialises.

A broadcast frame carries only the rows of reps whose rank or points moved; a snapshot (sent
to a late subscriber or a reconnecting client) carries the podium and the board around the
viewer. Both carry the challenge's version, so a client drops a frame older than what it shows.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from gameplay.leaderboards import ANONYMOUS
from gameplay.lifecycle import is_frozen
from gameplay.models import Challenge, Participant, PlayerProfile
from kpi_engine.db import utcnow
from kpi_engine.models import User

TOP_ROWS = 50
AROUND = 5


def changed_rows_frame(
    session: Session, challenge_id: int, user_ids: Iterable[int]
) -> dict[str, Any] | None:
    """The broadcast after a change: version and the moved reps' rows; None if it is gone."""
    challenge = session.get(Challenge, challenge_id)
    if challenge is None:
        return None
    query = _board(challenge_id).where(Participant.user_id.in_(set(user_ids)))
    return _frame(session, challenge, query, snapshot=False)


def snapshot_frame(session: Session, challenge: Challenge, viewer_id: int) -> dict[str, Any]:
    """The current standings for one client: the top of the board and the rows around it."""
    top = _board(challenge.id).limit(TOP_ROWS)
    frame = _frame(session, challenge, top, snapshot=True)
    around = _around(session, challenge.id, viewer_id)
    if around is not None:
        known = {row["id"] for row in frame["rows"]}
        frame["rows"] += [row for row in _rows(session, around) if row["id"] not in known]
    return frame


def _frame(
    session: Session, challenge: Challenge, query: Select[*tuple[Any, ...]], *, snapshot: bool
) -> dict[str, Any]:
    frozen = is_frozen(challenge, utcnow())
    return {
        "challenge_id": challenge.id,
        "version": challenge.version or 0,
        "snapshot": snapshot,
        "frozen": frozen,
        "participants": _count(session, challenge.id),
        "rows": [] if frozen else _rows(session, query),
    }


def _board(challenge_id: int) -> Select[*tuple[Any, ...]]:
    """Participants in board order: rank, then who reached the score first (the podium rule)."""
    return (
        select(
            Participant.id,
            Participant.rank,
            Participant.user_id,
            Participant.points,
            Participant.reached_at,
            User.name,
            PlayerProfile.anonymised,
        )
        .join(User, User.id == Participant.user_id)
        .outerjoin(PlayerProfile, PlayerProfile.user_id == Participant.user_id)
        .where(Participant.challenge_id == challenge_id)
        .order_by(Participant.rank, Participant.reached_at, Participant.id)
    )


def _rows(session: Session, query: Select[*tuple[Any, ...]]) -> list[dict[str, Any]]:
    """Rows keyed by participant id; an anonymised rep's user id and name stay hidden."""
    return [
        {
            "id": row["id"],
            "rank": row["rank"],
            "user_id": None if row["anonymised"] else row["user_id"],
            "points": row["points"],
            "name": ANONYMOUS if row["anonymised"] else row["name"],
        }
        for row in session.execute(query).mappings()
    ]


def _count(session: Session, challenge_id: int) -> int:
    query = select(func.count()).where(Participant.challenge_id == challenge_id)
    return session.scalar(query) or 0


def _around(session: Session, challenge_id: int, viewer_id: int) -> Select[*tuple[Any, ...]] | None:
    """The viewer's neighbours (AROUND above and below) when the viewer is below the top."""
    rank = session.scalar(
        select(Participant.rank).where(
            Participant.challenge_id == challenge_id, Participant.user_id == viewer_id
        )
    )
    if rank is None or rank <= TOP_ROWS - AROUND:
        return None
    board = _board(challenge_id).subquery()
    order = (board.c.rank, board.c.reached_at, board.c.id)
    position = func.row_number().over(order_by=order).label("position")
    numbered = select(board, position).subquery()
    mine = select(numbered.c.position).where(numbered.c.user_id == viewer_id).scalar_subquery()
    window = numbered.c.position.between(mine - AROUND, mine + AROUND)
    return select(numbered).where(window).order_by(numbered.c.position)
