"""Leaderboard frames for the live layer: the Socket.IO wire format, built at the edge from the
domain's board rows (gameplay.boards.leaderboards) with the clock passed in.

A broadcast frame carries only the rows of reps whose rank or points moved between `since`
and `version` (the board's versions; see web/board_news.py); a snapshot (sent to a late
subscriber or a client re-syncing) carries the top of the board and the rows around the
viewer. A client drops a frame whose version it already has, and re-syncs when a frame's
`since` is newer than what it shows. Rows are keyed by participant id and dumped by the HTTP
API's RowSchema; an anonymised rep's name and user id stay hidden in every frame, the
viewer's own included, so a broadcast never contradicts a snapshot.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from gameplay.boards.leaderboards import (
    ANONYMOUS,
    BoardRow,
    participant_count,
    rows_of,
    snapshot_rows,
)
from gameplay.core.lifecycle import is_frozen
from gameplay.core.models import Challenge
from web.schemas.challenges import FRAME_ROW_FIELDS, RowSchema

TOP_ROWS = 50
_ROWS = RowSchema(many=True, only=FRAME_ROW_FIELDS)


def changed_rows_frame(
    session: Session,
    challenge_id: int,
    user_ids: Iterable[int],
    *,
    now: datetime,
    version: int | None = None,
    since: int | None = None,
) -> dict[str, Any] | None:
    """The broadcast after a change: the moved reps' rows at `version` (the challenge's, unless
    given), covering the changes after `since`; None if the challenge is gone."""
    challenge = session.get(Challenge, challenge_id)
    if challenge is None:
        return None
    frame = _frame(session, challenge, lambda: rows_of(session, challenge, user_ids), now)
    if version is not None:
        frame["version"] = version
    frame["since"] = frame["version"] - 1 if since is None else since
    return frame


def snapshot_frame(
    session: Session, challenge: Challenge, viewer_id: int, *, now: datetime
) -> dict[str, Any]:
    """The current standings for one client: the top of the board and the rows around it."""

    def rows() -> list[BoardRow]:
        return snapshot_rows(session, challenge, viewer_id=viewer_id, limit=TOP_ROWS)

    return {**_frame(session, challenge, rows, now), "snapshot": True}


def heartbeat_frame(versions: dict[int, int], *, every: float, now: datetime) -> dict[str, Any]:
    """The periodic word to a process's watchers: each watched board's latest relayed version."""
    boards = [{"challenge_id": cid, "version": v} for cid, v in sorted(versions.items())]
    return {"boards": boards, "every": every, "at": now.isoformat()}


def _frame(
    session: Session, challenge: Challenge, rows: Callable[[], list[BoardRow]], now: datetime
) -> dict[str, Any]:
    # rows is a callable: a frozen board reads none.
    frozen = is_frozen(challenge, now)
    shown = [] if frozen else [_onlooker(row) for row in rows()]
    return {
        "challenge_id": challenge.id,
        "version": challenge.version or 0,
        "snapshot": False,
        "frozen": frozen,
        "participants": participant_count(session, challenge.id),
        "at": now.isoformat(),
        "rows": _ROWS.dump(shown),
    }


def _onlooker(row: BoardRow) -> BoardRow:
    """The row as everyone sees it: an anonymised rep stays hidden, even from themselves."""
    return replace(row, user_id=None, name=ANONYMOUS) if row.anonymised else row
