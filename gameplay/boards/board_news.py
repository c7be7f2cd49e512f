"""The boards' outbox: one row per transaction that changed a board, written in that
transaction, so a committed change is never lost to a process that died before publishing it.

A row says which board moved, to which version, from which version (`since`: the board's latest
news before it, so rows chain) and whose rows moved. The process that wrote it relays it after
its commit (web/realtime.py); a relay loop in every server process relays what a killed worker
left. Relaying is at-least-once: a row is marked relayed after its frame went out, and clients
drop a frame whose version they already have.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, delete, func, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from gameplay.core.models import Challenge
from kpi_engine.db import Base, UTCDateTime

# Relayed news is kept this long (a chain's `since` never needs an older row), then deleted.
KEEP_RELAYED = timedelta(hours=1)


class BoardNews(Base):
    __tablename__ = "board_news"
    __table_args__ = (
        Index("ix_board_news_challenge_id_version", "challenge_id", "version"),
        Index("ix_board_news_relayed_at", "relayed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    challenge_id: Mapped[int] = mapped_column(ForeignKey("challenge.id", ondelete="CASCADE"))
    since: Mapped[int] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer)
    user_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    relayed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


@dataclass(frozen=True)
class BoardUpdate:
    """What one frame must say: the board moved from `since` to `version`; these reps moved."""

    challenge_id: int
    since: int
    version: int
    user_ids: frozenset[int]
    news_ids: tuple[int, ...]


def write_board_news(
    session: Session,
    standings: dict[int, set[int]],
    *,
    now: datetime,
    versions: Mapping[int, int] | None = None,
) -> list[BoardNews]:
    """Write one news row per changed board, at the version this transaction left it (given in
    `versions` when the write already knows it, else read); flushes. A board whose version did
    not move since its latest news gets none."""
    written = []
    for challenge_id, user_ids in sorted(standings.items()):
        version = (versions or {}).get(challenge_id) or _current_version(session, challenge_id)
        since = latest_version(session, challenge_id)
        if version is None or (since is not None and version <= since):
            continue
        row = BoardNews(
            challenge_id=challenge_id,
            since=since or 0,
            version=version,
            user_ids=sorted(user_ids),
            created_at=now,
        )
        session.add(row)
        written.append(row)
    session.flush()
    return written


def _current_version(session: Session, challenge_id: int) -> int | None:
    # A query, not the identity map: the version is whatever this transaction wrote.
    return session.scalar(select(Challenge.version).where(Challenge.id == challenge_id))


def latest_version(session: Session, challenge_id: int) -> int | None:
    """The version of a board's latest news, relayed or not (None: it has none)."""
    query = select(func.max(BoardNews.version)).where(BoardNews.challenge_id == challenge_id)
    return session.scalar(query)


def pending_updates(
    session: Session,
    *,
    challenge_ids: Iterable[int] | None = None,
    written_before: datetime | None = None,
) -> list[BoardUpdate]:
    """The unrelayed news, one update per board: from the oldest pending row's `since` to the
    newest pending version, with every rep who moved in between (relayed rows included)."""
    query = select(BoardNews).where(BoardNews.relayed_at.is_(None))
    if challenge_ids is not None:
        query = query.where(BoardNews.challenge_id.in_(set(challenge_ids)))
    if written_before is not None:
        query = query.where(BoardNews.created_at < written_before)
    pending: dict[int, list[BoardNews]] = {}
    for row in session.scalars(query.order_by(BoardNews.challenge_id, BoardNews.version)):
        pending.setdefault(row.challenge_id, []).append(row)
    return [_update(session, cid, rows) for cid, rows in pending.items()]


def _update(session: Session, challenge_id: int, pending: Sequence[BoardNews]) -> BoardUpdate:
    since, version = min(r.since for r in pending), max(r.version for r in pending)
    between = select(BoardNews.user_ids).where(
        BoardNews.challenge_id == challenge_id,
        BoardNews.version > since,
        BoardNews.version <= version,
    )
    moved: set[int] = set()
    for user_ids in session.scalars(between):
        moved.update(_ids(user_ids))
    return BoardUpdate(challenge_id, since, version, frozenset(moved), tuple(r.id for r in pending))


def _ids(value: Any) -> list[int]:
    return [int(v) for v in value or []]


def mark_relayed(session: Session, news_ids: Iterable[int], *, now: datetime) -> None:
    """Record that these rows' frame went out (a row relayed twice keeps its first time)."""
    ids = set(news_ids)
    if ids:
        session.execute(
            update(BoardNews)
            .where(BoardNews.id.in_(ids), BoardNews.relayed_at.is_(None))
            .values(relayed_at=now)
        )


def relayed_versions(session: Session, challenge_ids: Iterable[int]) -> dict[int, int]:
    """Each board's latest relayed version: what every watcher should have by now."""
    ids = set(challenge_ids)
    if not ids:
        return {}
    query = (
        select(BoardNews.challenge_id, func.max(BoardNews.version))
        .where(BoardNews.challenge_id.in_(ids), BoardNews.relayed_at.is_not(None))
        .group_by(BoardNews.challenge_id)
    )
    return {cid: int(version) for cid, version in session.execute(query)}


def forget_old_news(session: Session, *, now: datetime) -> int:
    """Delete relayed news older than KEEP_RELAYED, keeping each board's latest row."""
    latest = select(func.max(BoardNews.id)).group_by(BoardNews.challenge_id)
    gone = session.execute(
        delete(BoardNews).where(
            BoardNews.relayed_at.is_not(None),
            BoardNews.created_at < now - KEEP_RELAYED,
            BoardNews.id.not_in(latest),
        )
    )
    return int(gone.rowcount or 0)  # type: ignore[attr-defined]
