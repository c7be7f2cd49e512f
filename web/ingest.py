"""The one web-side door for sales events: API, webhook, CSV import and the activity page.

Every path hands its SalesEvents to `ingest`, which lets the game engine record them, commits,
and only then publishes what changed, so nothing is pushed for a transaction that rolled back.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from flask import current_app
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from gameplay.core.changes import Changes
from gameplay.scoring.engine import record_sales_events
from kpi_engine.crm.import_jobs import CHUNK_ROWS, chunks
from kpi_engine.crm.importer import ImportPlan, prepare_import
from kpi_engine.db import utcnow
from kpi_engine.errors import Invalid
from kpi_engine.org.models import User
from kpi_engine.org.reach import EVERYONE, Reach
from kpi_engine.sales.ingest import IngestResult, SalesEvent
from kpi_engine.words import N_
from web import realtime
from web.extensions import db

# Two deliveries that create the same new deal at the same moment race for its unique CRM id;
# the loser's transaction is rolled back and run again, when it finds the deal the winner made.
# A deadlock or serialisation failure (PostgreSQL SQLSTATE 40P01 / 40001) is retried the same way.
ATTEMPTS = 3
RETRYABLE_SQLSTATES = {"40001", "40P01"}


def ingest(
    events: Sequence[SalesEvent],
    *,
    source: str,
    now: datetime | None = None,
    before: Callable[[Session], object] | None = None,
    whole: bool = False,
    reach: Reach = EVERYONE,
    last: Callable[[Session, IngestResult], object] | None = None,
) -> IngestResult:
    """Record the events through the game engine, commit, then publish the changes.

    `before` runs in the same transaction first (an import adds its people and aliases there),
    so a retry after a lost race repeats it too; `last` (session, result) runs in it after the
    events are recorded, just before the commit (an import job's progress: its row is locked
    only for the commit, not the whole chunk). With `whole`, one rejected event rolls the
    whole batch back and raises Invalid: a file is imported entirely or not at all. `reach`
    is whom the caller may act for (kpi_engine.org.reach); EVERYONE only for the CRM and the CLI.
    """
    attempts_left = ATTEMPTS
    while True:
        try:
            if before is not None:
                before(db.session())
            result, changes = record_sales_events(
                db.session(),
                events,
                source=source,
                now=now or utcnow(),
                reach=reach,
                tz=str(current_app.config["ORG_TIMEZONE"]),
            )
            if whole and result.rejected:
                db.session.rollback()
                raise Invalid(
                    N_("%(count)s events were rejected"),
                    _reasons(result),
                    count=len(result.rejected),
                )
            if last is not None:
                last(db.session(), result)
            won = [t.deal for t in result.deal_transitions if t.became_won]
            recipients = realtime.queue_news(changes, now=now or utcnow(), won=won)
            db.session.commit()
            break
        except (IntegrityError, OperationalError) as exc:
            db.session.rollback()
            if isinstance(exc, OperationalError) and not _retryable(exc):
                raise
            attempts_left -= 1
            if not attempts_left:
                raise
    publish_after_commit(changes, recipients)
    return result


def _retryable(exc: OperationalError) -> bool:
    return getattr(exc.orig, "sqlstate", None) in RETRYABLE_SQLSTATES


def _reasons(result: IngestResult) -> dict[str, list[str]]:
    return {
        f"events[{r.index}]": [f"{field}: {m}" for field, ms in r.errors.items() for m in ms]
        for r in result.rejected
    }


def publish_after_commit(changes: Changes, recipients: realtime.Recipients) -> None:
    """The seam where committed Changes leave for the live layer.

    Ingest calls it exactly once per committed transaction, never after a rollback.
    """
    # Looked up per call: tests/faults/stalling_server.py replaces it.
    realtime.publish(changes, recipients)


def import_plan(plan: ImportPlan, *, reach: Reach, actor: User | None = None) -> IngestResult:
    """Import one planned file: its people, aliases and events in one transaction, or nothing.

    The plan already refused the rows out of `reach`; the ingest checks again in the
    transaction, so a deal moved between the dry run and the import is refused too. The people
    it adds are audited as added by `actor`'s import (None: the command line's)."""
    now = utcnow()
    return ingest(
        plan.events,
        source="import",
        now=now,
        before=lambda s: prepare_import(s, plan, now=now, actor=actor),
        whole=True,
        reach=reach,
    )


def import_in_chunks(
    plan: ImportPlan,
    *,
    reach: Reach,
    actor: User | None = None,
    skip_rows: int = 0,
    size: int = CHUNK_ROWS,
    in_transaction: Callable[[Session, int, IngestResult], object] | None = None,
    after: Callable[[int, IngestResult], object] | None = None,
) -> tuple[int, int]:
    """Import a planned file `size` rows per transaction, after its first `skip_rows` rows;
    returns the events stored and those already known.

    The first chunk's transaction also adds the plan's people and aliases. `in_transaction`
    (session, rows, result) runs inside each chunk's transaction, so progress recorded there is
    committed with exactly the rows it counts; `after` (rows, result) runs once it committed.
    A big file does not hold one transaction (and its locks) for minutes, and an interrupted
    import is finished by importing the file again: the stored rows are recognised by their
    events' keys."""
    now, stored, known = utcnow(), 0, 0
    for index, chunk in enumerate(chunks(plan.events, skip_rows=skip_rows, size=size)):

        def before(session: Session, first: bool = index == 0) -> None:
            if first:
                prepare_import(session, plan, now=now, actor=actor)

        def last(session: Session, result: IngestResult, rows: int = chunk.rows) -> None:
            if in_transaction is not None:
                in_transaction(session, rows, result)

        result = ingest(
            chunk.events,
            source="import",
            now=now,
            before=before,
            whole=True,
            reach=reach,
            last=last,
        )
        stored, known = stored + len(result.accepted), known + len(result.duplicates)
        if after is not None:
            after(chunk.rows, result)
    return stored, known
