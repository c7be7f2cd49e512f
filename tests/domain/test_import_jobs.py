"""Import jobs in the domain: chunks of whole rows, a run taken over stops, what a failure says."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from kpi_engine.crm.import_jobs import (
    TakenOver,
    beat,
    chunks,
    fail_job,
    queue_import,
    record_chunk,
    requeue_stalled,
    stalled_jobs,
    start_job,
)
from kpi_engine.crm.importer import CsvFile, ImportOptions
from tests.factories import event

NOW = datetime(2026, 3, 2, 10, tzinfo=UTC)


def row(deal: str, events: int) -> list:
    return [event("deal.created", "a@x.test", NOW, deal_id=deal) for _ in range(events)]


def test_chunks_keep_a_rows_events_together_and_skip_the_stored_rows() -> None:
    events = row("D1", 2) + row("D2", 1) + row("D3", 3) + row("D4", 1) + row("D5", 2)
    parts = list(chunks(events, skip_rows=0, size=2))
    assert [(c.rows, len(c.events)) for c in parts] == [(2, 3), (2, 4), (1, 2)]
    resumed = list(chunks(events, skip_rows=3, size=2))
    assert [[e.data["deal_id"] for e in c.events] for c in resumed] == [["D4", "D5", "D5"]]


def job(session: Session):
    files = [CsvFile("deals.csv", b"Record ID\n1\n")]
    return queue_import(session, files, ImportOptions(), actor=None, now=NOW)


def test_a_run_taken_over_by_a_resumption_may_not_count_its_chunk(session: Session) -> None:
    taken = job(session)
    start_job(taken, now=NOW)
    first_run = taken.attempts
    taken.heartbeat_at = NOW - timedelta(minutes=10)
    assert stalled_jobs(session, now=NOW, stale_after=timedelta(minutes=2)) == [taken]
    assert requeue_stalled(taken, now=NOW) and taken.state == "queued"
    start_job(taken, now=NOW)
    with pytest.raises(TakenOver):
        record_chunk(taken, 2_000, attempt=first_run, now=NOW)
    assert not beat(session, taken.id, attempt=first_run, now=NOW)
    record_chunk(taken, 2_000, attempt=taken.attempts, now=NOW)
    assert taken.rows_accepted == 2_000 and taken.attempts == 2


def test_a_failed_job_says_why_and_how_much_is_in(session: Session) -> None:
    failed = job(session)
    start_job(failed, now=NOW)
    failed.rows_total, failed.rows_accepted = 10_000, 4_000
    fail_job(failed, "the import stopped: the database went away", now=NOW)
    assert failed.state == "failed" and failed.error == (
        "the import stopped: the database went away; 4,000 of 10,000 rows were stored before it"
        " stopped; import the same file again to add the rest (stored rows are recognised)"
    )
