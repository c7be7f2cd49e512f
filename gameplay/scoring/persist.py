"""The engine's writes, set-wise: what one call of the engine scored reaches the database here,
in as few statements as the database allows (one executemany per table, UPDATE ... RETURNING
where a write also tells what it changed). The standings and the boards' versions are written
by gameplay.core.standings, which keeps the ranks.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, exists, insert, update
from sqlalchemy.orm import Session

from gameplay.core.models import Challenge, CountedFact, LedgerEntry, Participant
from kpi_engine.db import table_of

ENTRIES = table_of(LedgerEntry)
COUNTED = table_of(CountedFact)
CHALLENGES = table_of(Challenge)
PARTICIPANTS = table_of(Participant)


def insert_entries(session: Session, entries: list[dict[str, Any]]) -> None:
    """Insert ledger entries in one statement. Only a lone entry has its id read back (an
    adjustment answers with it, a reversal names it): for a batch, RETURNING costs more than
    the insert."""
    if len(entries) == 1:
        [entry] = entries
        entry["id"] = session.execute(insert(ENTRIES).returning(ENTRIES.c.id), entry).scalar_one()
    elif entries:
        session.execute(insert(ENTRIES), entries)


def insert_counted(session: Session, rows: list[dict[str, Any]]) -> None:
    """Record where won deals were counted (to undo them exactly), in one statement."""
    if rows:
        session.execute(insert(COUNTED), rows)


def reverse_counted(session: Session, source_ref: str, at: datetime) -> Sequence[Row[Any]]:
    """Mark as reversed, in one statement, where a fact still counts in a challenge not yet
    finalised (with its participant still there); those rows (id, challenge, user, fact) in
    the order they were counted."""
    c, p, challenge = COUNTED, PARTICIPANTS, CHALLENGES
    statement = (
        update(c)
        .where(
            c.c.source_ref == source_ref,
            c.c.reversed_at.is_(None),
            exists().where(challenge.c.id == c.c.challenge_id, challenge.c.finalized_at.is_(None)),
            exists().where(p.c.challenge_id == c.c.challenge_id, p.c.user_id == c.c.user_id),
        )
        .values(reversed_at=at)
        .returning(c.c.id, c.c.challenge_id, c.c.user_id, c.c.fact)
    )
    with session.execute(statement) as result:  # closed: SQLite holds a RETURNING open till then
        return sorted(result.all(), key=lambda row: row.id)
