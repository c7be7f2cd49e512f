"""The game engine's entry point: record sales events, then apply them to the live challenges."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.orm import Session

from gameplay.changes import Changes
from kpi_engine.events import IngestResult, SalesEvent, ingest_events


def record_sales_events(
    session: Session, events: Sequence[SalesEvent], *, source: str, now: datetime
) -> tuple[IngestResult, Changes]:
    """Store the events once each, update the mirror, score them in live challenges; flushes."""
    result = ingest_events(session, events, source=source, now=now)
    return result, Changes()
