"""Running import jobs: in the web process by default, on an RQ queue with JOBS_REDIS_URL.

The upload is kept as a job (kpi_engine.crm.import_jobs) and answered at once; the job is
then run by

- the embedded default: a background task of the process that took the upload (a thread, or
  a greenlet under gevent);
- with `JOBS_REDIS_URL` set: a worker process, `flask --app wsgi jobs worker` (started by
  `make serve-prod` too), which takes jobs from the deployment's RQ queue.

A job whose runner died (the process was killed, the machine restarted) stops moving its
heartbeat. After JOBS_STALE_SECONDS (default 120) without one, the next recovery resumes it
after its committed chunks, or fails it with the reason after MAX_ATTEMPTS runs: a worker
looks when it starts and then every stale period; the embedded server (`python wsgi.py`)
every stale period; `flask --app wsgi jobs recover` once.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from flask import Flask, abort, current_app, request
from flask_babel import get_locale
from flask_babel import gettext as _
from redis import Redis, RedisError
from rq import Queue
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from kpi_engine.crm.import_jobs import (
    ImportJob,
    TakenOver,
    beat,
    fail_job,
    find_job,
    finish_job,
    job_files,
    job_options,
    queue_import,
    record_chunk,
    requeue_stalled,
    stalled_jobs,
    start_job,
)
from kpi_engine.crm.importer import CsvFile, ImportOptions, ImportPlan, plan_import
from kpi_engine.db import utcnow
from kpi_engine.errors import DomainError, Invalid
from kpi_engine.org.models import User
from kpi_engine.org.reach import Reach, reach
from kpi_engine.sales.ingest import IngestResult
from kpi_engine.words import N_
from web.cli_sales import describe
from web.extensions import db, socketio
from web.formats import words, written
from web.i18n import in_locale, locale_of
from web.ingest import import_in_chunks
from web.scheduler import run_every

JOB_TIMEOUT_SECONDS = 6 * 3600  # RQ's limit on one run; a big import is far below it


def uploaded_files() -> list[CsvFile]:
    """The request's chosen files; Invalid naming `files` when there are none."""
    uploads = [f for f in request.files.getlist("files") if f.filename]
    if not uploads:
        raise Invalid(N_("choose at least one CSV file"), {"files": [N_("no file was chosen")]})
    return [CsvFile(f.filename or "upload.csv", f.read()) for f in uploads]


def upload_options(form: Mapping[str, Any], uploader: User) -> ImportOptions:
    """The options of an upload by `uploader` (form fields from ImportFormSchema)."""
    return ImportOptions(
        format=form["format"],
        mapping=form["mapping"],
        date_format=form["date_format"],
        timezone=current_app.config["ORG_TIMEZONE"],
        may_add_people=uploader.app_role == "admin",
        reach=reach(db.session(), uploader),
    )


def submit_import(files: Sequence[CsvFile], options: ImportOptions, actor: User) -> ImportJob:
    """Keep the upload as a queued job, commit, and hand it to a runner."""
    # The report is written later, outside this request: in the language read here.
    locale = str(get_locale() or "en")
    job = queue_import(db.session(), files, options, actor=actor, now=utcnow(), locale=locale)
    db.session.commit()
    try:
        dispatch(job.id)
    except RedisError as exc:
        with in_locale(locale):  # the uploader reads it on the job's page
            reason = _("the job queue (JOBS_REDIS_URL) could not be reached")
            fail_job(job, reason, now=utcnow(), words=words())
        db.session.commit()
        abort(503, description=_("the job queue is unreachable; nothing was imported, try again"))
        raise AssertionError("abort raises") from exc
    return job


def dispatch(job_id: int) -> None:
    """Enqueue the job on RQ when JOBS_REDIS_URL is set; else run it in a background task."""
    url = current_app.config.get("JOBS_REDIS_URL")
    if url:
        job_queue(url).enqueue(
            run_queued_job, job_id, job_timeout=JOB_TIMEOUT_SECONDS, result_ttl=3600
        )
    else:
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        socketio.start_background_task(_run_in_app, app, job_id)


def job_queue(url: str) -> Queue:
    return Queue(queue_name(current_app.config), connection=Redis.from_url(url))


def queue_name(config: Mapping[str, Any]) -> str:
    """One queue per deployment (its database), so two deployments on one Redis never take
    each other's jobs; JOBS_QUEUE names it explicitly."""
    if config.get("JOBS_QUEUE"):
        return str(config["JOBS_QUEUE"])
    database = make_url(config["SQLALCHEMY_DATABASE_URI"]).render_as_string(hide_password=True)
    return "salesquest-imports-" + hashlib.sha256(database.encode()).hexdigest()[:12]


def _run_in_app(app: Flask, job_id: int) -> None:
    with app.app_context():
        run_job(job_id)


def run_queued_job(job_id: int) -> None:
    """The RQ task: the worker (`flask jobs worker`) runs it inside its app context."""
    run_job(job_id)


def run_job(job_id: int) -> None:
    """Run (or resume) one job to its end: plan its files, store the accepted rows chunk by
    chunk with the progress, then the outcome. Any error fails it, saying what is in."""
    session = db.session()
    job = find_job(session, job_id)
    if not start_job(job, now=utcnow()):
        return
    session.commit()
    stop = threading.Event()
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    heart = threading.Thread(target=_beat, args=(app, job_id, job.attempts, stop), daemon=True)
    heart.start()
    try:
        _run(session, job_id)
    finally:
        stop.set()
        heart.join()


def _beat(app: Flask, job_id: int, attempt: int, stop: threading.Event) -> None:
    """The run's heartbeat, a quarter of the stale limit apart, in its own transactions: a
    long plan or chunk is not taken for a dead runner."""
    interval = max(0.5, stale_after(app.config).total_seconds() / 4)
    while not stop.wait(interval):
        try:
            with app.app_context():
                alive = beat(db.session(), job_id, attempt=attempt, now=utcnow())
                db.session.commit()
        except Exception:
            app.logger.exception("import job %s: heartbeat failed; trying again", job_id)
            continue
        if not alive:
            return


def _run(session: Session, job_id: int) -> None:
    try:
        _import(session, job_id)
    except TakenOver:
        db.session.rollback()  # a resumption runs it now; its progress is its own
    except Exception as exc:
        db.session.rollback()
        job = find_job(db.session(), job_id)
        with in_locale(_uploaders_locale(job)):
            reason = (
                written(exc.message)
                if isinstance(exc, DomainError)
                else f"{type(exc).__name__}: {exc}"
            )
            stopped = _("the import stopped: %(reason)s", reason=reason)
            fail_job(job, stopped, now=utcnow(), words=words())
        db.session.commit()
        if not isinstance(exc, DomainError):
            current_app.logger.exception("import job %s failed", job_id)


def _import(session: Session, job_id: int) -> None:
    job = find_job(session, job_id)
    options = job_options(
        job, timezone=str(current_app.config["ORG_TIMEZONE"]), reach=_reach_of(session, job.actor)
    )
    plans = plan_import(session, job_files(job), options, now=utcnow())
    job.rows_total = sum(p.rows for p in plans)
    job.rows_rejected = sum(len(p.rejected) for p in plans)
    with in_locale(_uploaders_locale(job)):  # stored as text: written once, as the uploader reads
        job.report = [line for plan in plans for line in describe(plan)]
    job.heartbeat_at = utcnow()
    session.commit()
    skip = job.rows_accepted  # rows a run before this one committed
    for plan in plans:
        if plan.ok:
            skip = _import_plan(plan, job_id, options.reach, skip)
    job = find_job(db.session(), job_id)
    with in_locale(_uploaders_locale(job)):  # the uploader reads it, later, on the job's page
        refused = [
            _("nothing imported from %(file)s: %(totals)s", file=p.file, totals=written(p.totals()))
            for p in plans
            if not p.ok
        ]
    finish_job(job, now=utcnow(), error="; ".join(refused) or None)
    db.session.commit()


def _import_plan(
    plan: ImportPlan,
    job_id: int,
    reach_: Reach,
    skip: int,
) -> int:
    """Store one plan's rows after the first `skip` (already stored); returns what is left of
    `skip` for the next plan."""
    mine = min(skip, plan.accepted)
    attempt = find_job(db.session(), job_id).attempts

    def count(session: Session, rows: int, result: IngestResult) -> None:
        job = find_job(session, job_id)
        stored, known = len(result.accepted), len(result.duplicates)
        record_chunk(job, rows, stored=stored, known=known, attempt=attempt, now=utcnow())

    actor = find_job(db.session(), job_id).actor
    import_in_chunks(plan, reach=reach_, actor=actor, skip_rows=mine, in_transaction=count)
    return skip - mine


def _reach_of(session: Session, actor: User | None) -> Reach:
    """Whom the job may write for: its uploader's reach as it is now. Jobs come from the web,
    each with its uploader; one whose uploader was deleted may write for nobody."""
    if actor is None:
        raise Invalid(N_("its uploader no longer exists"), {"actor": [N_("no such user")]})
    return reach(session, actor)


def stale_after(config: Mapping[str, Any]) -> timedelta:
    return timedelta(seconds=float(config["JOBS_STALE_SECONDS"]))


def recover_stalled(app: Flask) -> list[int]:
    """Resume (or fail, after MAX_ATTEMPTS runs) every job whose runner stopped reporting;
    returns the ids handed to a runner again."""
    with app.app_context():
        session = db.session()
        now = utcnow()
        in_process = not app.config.get("JOBS_REDIS_URL")
        stalled = stalled_jobs(
            session, now=now, stale_after=stale_after(app.config), queued=in_process
        )
        resumed = [job.id for job in stalled if _requeued(job, now)]
        session.commit()
        for job_id in resumed:
            dispatch(job_id)
        return resumed


def _uploaders_locale(job: ImportJob) -> str:
    """The language the job's report and error are written in: the one its uploader read the
    product in when they uploaded (else theirs now, for a job queued before it was kept)."""
    return job.locale or locale_of(job.actor)


def _requeued(job: ImportJob, now: datetime) -> bool:
    """Requeue (or fail) a stalled job, saying why in its uploader's language."""
    with in_locale(_uploaders_locale(job)):
        return requeue_stalled(job, now=now, words=words())


def start_job_recovery(app: Flask) -> bool:
    """The embedded server's own recovery, every stale period, when jobs run in process."""
    if app.config.get("JOBS_REDIS_URL"):
        return False  # the workers recover the queue's jobs
    interval = stale_after(app.config).total_seconds()
    return run_every(app, interval, recover_stalled, "import job recovery")


def watch_stalled(app: Flask, stop: threading.Event) -> None:
    """Recover stalled jobs every stale period until `stop` is set (a worker's watchman)."""
    interval = max(1.0, stale_after(app.config).total_seconds() / 2)
    while not stop.wait(interval):
        try:
            recover_stalled(app)
        except Exception:
            app.logger.exception("recovering stalled import jobs failed; trying again")
