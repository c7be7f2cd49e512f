"""Leaderboard frames for the live layer, read from the standings the engine materialises.

A broadcast frame carries only the rows of reps whose rank or points moved; a snapshot (sent
to a late subscriber or a reconnecting client) carries the top of the board and the rows
around the viewer. Both carry the challenge's version, so a client drops a frame older than
what it shows. Rows are keyed by participant id; an anonymised rep's name and user id stay
hidden in every frame, the viewer's own included, so a broadcast never contradicts a snapshot.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gameplay.boards.leaderboards import ANONYMOUS, BoardRow, around_me, rows_of, top_rows
from gameplay.core.lifecycle import is_frozen
from gameplay.core.models import Challenge, Participant
from kpi_engine.db import utcnow

TOP_ROWS = 50


def changed_rows_frame(
    session: Session, challenge_id: int, user_ids: Iterable[int]
) -> dict[str, Any] | None:
    """The broadcast after a change: version and the moved reps' rows; None if it is gone."""
    challenge = session.get(Challenge, challenge_id)
    if challenge is None:
        return None
    return _frame(session, challenge, lambda: rows_of(session, challenge, user_ids), False)


def snapshot_frame(session: Session, challenge: Challenge, viewer_id: int) -> dict[str, Any]:
    """The current standings for one client: the top of the board and the rows around it."""

    def rows() -> list[BoardRow]:
        top = top_rows(session, challenge, viewer_id=viewer_id, reveal=False, limit=TOP_ROWS)
        known = {row.participant_id for row in top}
        around = around_me(session, challenge, viewer_id=viewer_id, reveal=False)
        return top + [row for row in around if row.participant_id not in known]

    return _frame(session, challenge, rows, True)


def _frame(
    session: Session, challenge: Challenge, rows: Callable[[], list[BoardRow]], snapshot: bool
) -> dict[str, Any]:
    # rows is a callable: a frozen board reads none.
    frozen = is_frozen(challenge, utcnow())
    return {
        "challenge_id": challenge.id,
        "version": challenge.version or 0,
        "snapshot": snapshot,
        "frozen": frozen,
        "participants": _count(session, challenge.id),
        "rows": [] if frozen else [_frame_row(row) for row in rows()],
    }


def _frame_row(row: BoardRow) -> dict[str, Any]:
    return {
        "id": row.participant_id,
        "rank": row.rank,
        "user_id": None if row.anonymised else row.user_id,
        "points": row.points,
        "name": ANONYMOUS if row.anonymised else row.name,
    }


def _count(session: Session, challenge_id: int) -> int:
    query = select(func.count()).where(Participant.challenge_id == challenge_id)
    return session.scalar(query) or 0
