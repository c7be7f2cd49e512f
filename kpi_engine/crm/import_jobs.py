"""Big imports as background jobs: the stored upload, its state and progress, and its chunks.

A job keeps the uploaded files and the options they were sent with, so any process can run it:
the web process itself (the embedded default) or a queue worker. Running it re-plans the files
(kpi_engine.crm.importer) and then stores the accepted rows chunk by chunk, each chunk in its
own transaction together with the job's progress (`rows_accepted`, the cursor). A job whose
runner dies is therefore never half-applied silently: what is committed is exactly the chunks
its progress counts, and running it again re-plans the same files and goes on after them (the
events' keys are derived from the rows, so a chunk stored twice would be duplicates anyway).
A job whose runner stopped reporting (its heartbeat is older than the stale limit) is resumed
by the next worker or recovery tick, or marked failed with the reason once it has been tried
`MAX_ATTEMPTS` times.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, LargeBinary, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from kpi_engine.crm.importer import CsvFile, ImportOptions
from kpi_engine.db import Base, Choices, UTCDateTime
from kpi_engine.errors import Conflict, NotFound
from kpi_engine.org.models import User
from kpi_engine.org.reach import Reach
from kpi_engine.sales.ingest import SalesEvent
from kpi_engine.words import ENGLISH, N_, Words, said, write

CHUNK_ROWS = 2_000  # rows stored per transaction; each commit moves the progress
MAX_ATTEMPTS = 3  # runs of one job (the first and two resumptions) before it is failed


class JobState(Choices):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


FINISHED = (JobState.DONE.value, JobState.FAILED.value)


class ImportJob(Base):
    """One upload imported in the background, with its progress and its outcome."""

    __tablename__ = "import_job"
    __table_args__ = (JobState.check("state"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    file_name: Mapped[str] = mapped_column(String(500))  # the uploaded files' names, joined
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"), index=True
    )
    state: Mapped[str] = mapped_column(String(16), default=JobState.QUEUED.value)
    options: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    rows_total: Mapped[int] = mapped_column(Integer, default=0)
    rows_accepted: Mapped[int] = mapped_column(Integer, default=0)  # stored: the resume cursor
    rows_rejected: Mapped[int] = mapped_column(Integer, default=0)
    events_stored: Mapped[int] = mapped_column(Integer, default=0)
    events_known: Mapped[int] = mapped_column(Integer, default=0)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    report: Mapped[list[str]] = mapped_column(JSON, default=list)  # the files' reports, lines
    # The language the uploader read the product in when they uploaded: the report and the
    # error are stored as text, written in it (None: a job queued before it was kept).
    locale: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    actor: Mapped[User | None] = relationship()
    files: Mapped[list[ImportJobFile]] = relationship(
        order_by="ImportJobFile.position", cascade="all, delete-orphan", passive_deletes=True
    )

    @property
    def rows_read(self) -> int:
        """Rows whose fate is settled: stored, or rejected by the plan."""
        return self.rows_accepted + self.rows_rejected

    @property
    def finished(self) -> bool:
        return self.state in FINISHED

    def stalled(self, now: datetime, stale_after: timedelta) -> bool:
        """Running, but its runner has not reported for longer than `stale_after`."""
        last = self.heartbeat_at or self.started_at or self.created_at
        return self.state == JobState.RUNNING.value and now - last > stale_after


class ImportJobFile(Base):
    """One file of a job's upload, kept until the job is deleted."""

    __tablename__ = "import_job_file"

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("import_job.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(255))
    data: Mapped[bytes] = mapped_column(LargeBinary)


def queue_import(
    session: Session,
    files: Sequence[CsvFile],
    options: ImportOptions,
    *,
    actor: User | None,
    now: datetime,
    locale: str | None = None,
) -> ImportJob:
    """Keep the upload and its options as a queued job (flushed); the caller starts a runner.
    `locale`: the language its report is to be written in (the uploader's, as they upload)."""
    job = ImportJob(
        file_name=", ".join(f.name for f in files)[:500],
        actor=actor,
        locale=locale,
        state=JobState.QUEUED.value,
        options=_stored_options(options),
        created_at=now,
        report=[],
    )
    job.files = [
        ImportJobFile(position=i, name=f.name[:255], data=f.data) for i, f in enumerate(files)
    ]
    session.add(job)
    session.flush()
    return job


def _stored_options(options: ImportOptions) -> dict[str, Any]:
    return {
        "format": options.format,
        "mapping": options.mapping,
        "date_format": options.date_format,
        "email_domain": options.email_domain,
        "may_add_people": options.may_add_people,
    }


def job_files(job: ImportJob) -> list[CsvFile]:
    return [CsvFile(f.name, f.data) for f in job.files]


def job_options(job: ImportJob, *, timezone: str, reach: Reach) -> ImportOptions:
    """The options the upload was sent with, in the organisation's zone and the actor's reach
    as they are when the job runs."""
    stored = job.options
    return ImportOptions(
        format=stored.get("format"),
        mapping=stored.get("mapping"),
        date_format=stored.get("date_format"),
        timezone=timezone,
        email_domain=stored.get("email_domain") or "example.com",
        may_add_people=bool(stored.get("may_add_people")),
        reach=reach,
    )


def find_job(session: Session, job_id: int) -> ImportJob:
    job = session.get(ImportJob, job_id)
    if job is None:
        raise NotFound(
            N_("no import job %(id)s"), {"job": [N_("no such import job")]}, id=str(job_id)
        )
    return job


def visible_job(session: Session, job_id: int, viewer: User) -> ImportJob:
    """The job for its uploader or an admin; NotFound for anyone else, as for a missing one."""
    job = session.get(ImportJob, job_id)
    if job is None or (viewer.app_role != "admin" and job.actor_id != viewer.id):
        raise NotFound(
            N_("no import job %(id)s"), {"job": [N_("no such import job")]}, id=str(job_id)
        )
    return job


def recent_jobs(session: Session, viewer: User, *, limit: int = 10) -> list[ImportJob]:
    """The latest jobs the viewer may see (their own; an admin's: everyone's), newest first."""
    query = select(ImportJob).order_by(ImportJob.id.desc()).limit(limit)
    if viewer.app_role != "admin":
        query = query.where(ImportJob.actor_id == viewer.id)
    return list(session.scalars(query))


def start_job(job: ImportJob, *, now: datetime) -> bool:
    """Mark the job running for one more attempt; False when it is finished already."""
    if job.finished:
        return False
    job.state = JobState.RUNNING.value
    job.attempts += 1
    job.started_at = job.started_at or now
    job.heartbeat_at = now
    return True


class TakenOver(Conflict):
    """A later run of the job (a resumption) has taken it over: this run stops quietly."""


def beat(session: Session, job_id: int, *, attempt: int, now: datetime) -> bool:
    """The runner of `attempt` is alive: move the job's heartbeat (its own small transaction,
    while the run plans or stores); False once the job is finished or taken over."""
    job = session.get(ImportJob, job_id)
    if job is None or job.attempts != attempt or job.state != JobState.RUNNING.value:
        return False
    job.heartbeat_at = now
    return True


def record_chunk(
    job: ImportJob,
    rows: int,
    *,
    stored: int = 0,
    known: int = 0,
    attempt: int,
    now: datetime,
) -> None:
    """Count a chunk's rows (and its events stored and already known) as in: called inside
    the chunk's own transaction by the run `attempt`; TakenOver (the chunk rolls back) when a
    later run has taken the job over."""
    if job.attempts != attempt or job.state != JobState.RUNNING.value:
        raise TakenOver(
            N_("import job %(id)s was taken over by another run"),
            {"job": [N_("resumed by another worker")]},
            id=str(job.id),
        )
    job.rows_accepted += rows
    job.events_stored += stored
    job.events_known += known
    job.heartbeat_at = now


def finish_job(job: ImportJob, *, now: datetime, error: str | None = None) -> None:
    """Done (refused files, if any, named in `error`); failed when nothing could be stored
    because every file was refused."""
    nothing_in = error is not None and not job.rows_accepted and not job.events_known
    job.state = JobState.FAILED.value if nothing_in else JobState.DONE.value
    job.error = error or job.error  # a resumed job keeps saying that it was
    job.finished_at = job.heartbeat_at = now


def fail_job(job: ImportJob, reason: str, *, now: datetime, words: Words = ENGLISH) -> None:
    """Failed, saying why (`reason`: a `Said`, or text already in the reader's language) and
    what of it is in (the chunks already committed), in the words of `words` (its uploader's
    language: the job page shows the text as it is stored)."""
    job.state = JobState.FAILED.value
    if job.rows_accepted:
        error = said(
            N_(
                "%(reason)s; %(stored)s of %(total)s rows were stored before it stopped; import"
                " the same file again to add the rest (stored rows are recognised)"
            ),
            reason=reason,
            stored=job.rows_accepted,
            total=job.rows_total,
        )
    else:
        error = said(N_("%(reason)s; nothing was stored"), reason=reason)
    job.error = write(error, words)
    job.finished_at = job.heartbeat_at = now


def stalled_jobs(
    session: Session, *, now: datetime, stale_after: timedelta, queued: bool = False
) -> list[ImportJob]:
    """Running jobs whose runner has not reported for longer than `stale_after`; with
    `queued`, also jobs queued longer than that (in-process runners, whose task a restart
    lost: a queue keeps its jobs until a worker comes)."""
    states = [JobState.RUNNING.value] + ([JobState.QUEUED.value] if queued else [])
    jobs = session.scalars(
        select(ImportJob).where(ImportJob.state.in_(states)).order_by(ImportJob.id)
    )
    return [
        job
        for job in jobs
        if job.stalled(now, stale_after)
        or (job.state == JobState.QUEUED.value and now - job.created_at > stale_after)
    ]


def requeue_stalled(job: ImportJob, *, now: datetime, words: Words = ENGLISH) -> bool:
    """A stalled job back in the queue to be resumed (True), or failed with the reason once it
    has had MAX_ATTEMPTS runs (False); the reason in the words of `words`."""
    since = (job.heartbeat_at or job.created_at).strftime("%Y-%m-%d %H:%M:%S UTC")
    if job.state == JobState.QUEUED.value:
        return True  # never started: handed to a runner again as it is
    if job.attempts >= MAX_ATTEMPTS:
        reason = said(
            N_("its worker stopped %(count)s times (last heard of at %(since)s)"),
            count=job.attempts,
            since=since,
        )
        fail_job(job, reason, now=now, words=words)
        return False
    job.state = JobState.QUEUED.value
    job.error = write(
        said(
            N_("its worker stopped (last heard of at %(since)s); resumed after the stored rows"),
            since=since,
        ),
        words,
    )
    return True


@dataclass(frozen=True)
class Chunk:
    rows: int
    events: list[SalesEvent]


def chunks(
    events: Sequence[SalesEvent], *, skip_rows: int, size: int = CHUNK_ROWS
) -> Iterator[Chunk]:
    """A plan's events in chunks of `size` rows, after the first `skip_rows` rows.

    A plan lists each accepted row's events together (created, engaged, closed: one deal id,
    which no other row of the file has), so a row is a run of events with one deal id."""
    rows: list[list[SalesEvent]] = []
    for event in events:
        if rows and rows[-1][0].data["deal_id"] == event.data["deal_id"]:
            rows[-1].append(event)
        else:
            rows.append([event])
    for start in range(skip_rows, len(rows), size):
        part = rows[start : start + size]
        yield Chunk(len(part), [e for row in part for e in row])
