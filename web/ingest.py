"""The one web-side door for sales events: API, webhook, CSV import and the activity page.

Every path hands its SalesEvents to `ingest`, which lets the game engine record them, commits,
and only then publishes what changed, so nothing is pushed for a transaction that rolled back.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gameplay.changes import Changes
from gameplay.engine import record_sales_events
from kpi_engine.db import utcnow
from kpi_engine.events import IngestResult, SalesEvent
from web.extensions import db

# Two deliveries that create the same new deal at the same moment race for its unique CRM id;
# the loser's transaction is rolled back and run again, when it finds the deal the winner made.
ATTEMPTS = 3


def ingest(
    events: Sequence[SalesEvent],
    *,
    source: str,
    now: datetime | None = None,
    before: Callable[[Session], object] | None = None,
) -> IngestResult:
    """Record the events through the game engine, commit, then publish the changes.

    `before` runs in the same transaction first (an import adds its people and aliases there),
    so a retry after a lost race repeats it too.
    """
    attempts_left = ATTEMPTS
    while True:
        try:
            if before is not None:
                before(db.session())
            result, changes = record_sales_events(
                db.session(), events, source=source, now=now or utcnow()
            )
            db.session.commit()
            break
        except IntegrityError:
            db.session.rollback()
            attempts_left -= 1
            if not attempts_left:
                raise
    publish_after_commit(changes)
    return result


def publish_after_commit(changes: Changes) -> None:
    """The seam where committed Changes leave for the live layer.

    Ingest calls it exactly once per committed transaction, never after a rollback.
    """
    from web.realtime import publish  # the live layer owns this seam; imported where it is used

    publish(changes)
