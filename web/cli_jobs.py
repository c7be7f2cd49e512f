"""`flask --app wsgi jobs worker|recover`: the process that runs import jobs from the queue."""

from __future__ import annotations

import threading

import click
from flask import current_app
from flask.cli import with_appcontext
from redis import Redis
from rq import SimpleWorker

from web.import_jobs import queue_name, recover_stalled, watch_stalled


@click.group("jobs")
def jobs_command() -> None:
    """Background import jobs (docs/ingest.md)."""


@jobs_command.command("worker")
@with_appcontext
@click.option("--burst", is_flag=True, help="Stop once the queue is empty.")
def worker_command(burst: bool) -> None:
    """Run import jobs from the RQ queue on JOBS_REDIS_URL until stopped.

    Jobs run in this process, one at a time, inside the app; a second worker takes the next
    job. On start, and then every half JOBS_STALE_SECONDS, jobs whose runner died are resumed
    after their committed chunks (or failed with the reason after three runs)."""
    url = current_app.config.get("JOBS_REDIS_URL")
    if not url:
        raise click.ClickException("set JOBS_REDIS_URL (redis://host:6379/N) to run a worker")
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    connection = Redis.from_url(url)
    name = queue_name(app.config)
    resumed = recover_stalled(app)
    click.echo(f"import worker on queue {name}; resumed jobs: {resumed or 'none'}")
    stop = threading.Event()
    watchman = threading.Thread(target=watch_stalled, args=(app, stop), daemon=True)
    watchman.start()
    try:
        # SimpleWorker runs each job in this process, inside this app context (a forked
        # work-horse would share the database pool across the fork).
        SimpleWorker([name], connection=connection).work(burst=burst, with_scheduler=False)
    finally:
        stop.set()


@jobs_command.command("recover")
@with_appcontext
def recover_command() -> None:
    """Resume, once, the jobs whose runner stopped reporting (or fail them after three runs)."""
    resumed = recover_stalled(current_app._get_current_object())  # type: ignore[attr-defined]
    click.echo(f"resumed jobs: {', '.join(map(str, resumed)) or 'none'}")
