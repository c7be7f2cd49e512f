"""Big imports as background jobs (issue 18 item 7): a 100,000-row export runs as a job in the
web process and on the RQ queue with a worker process, its progress rising; a killed worker's
job is resumed after its committed chunks, and one that keeps dying is failed with the reason."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from kpi_engine.crm.import_jobs import ImportJob, queue_import
from kpi_engine.crm.importer import CsvFile, ImportOptions
from kpi_engine.db import utcnow
from kpi_engine.org.models import User
from kpi_engine.sales.models import Deal, RawEvent
from tests.big_exports import REPS, events_of, hubspot_export, rep_email
from tests.conftest import PASSWORD, log_in
from tests.factories import make_team, make_user
from tests.live_server import ROOT
from web.auth import hash_password, issue_token
from web.extensions import db
from web.import_jobs import recover_stalled

FINISHED = ("done", "failed")


@pytest.fixture
def token(app: Flask) -> str:
    """An admin's API token, with REPS reps to own the generated deals."""
    with app.app_context():
        s = db.session()
        admin = make_user(
            s, app_role="admin", email="admin@big.test", password_hash=hash_password(PASSWORD)
        )
        team = make_team(s)
        for i in range(REPS):
            make_user(s, email=rep_email(i), team=team)
        secret = issue_token(admin, "jobs")
        s.commit()
    return secret


def post_import(client: FlaskClient, token: str, data: bytes, name: str = "big.csv") -> Any:
    fields = {
        "files": FileStorage(io.BytesIO(data), filename=name),
        "format": "hubspot",
        "date_format": "us",
    }
    # Encoded in memory: the test client spools a body above 500 KiB to a temporary file it
    # never closes (a ResourceWarning, an error here).
    boundary, body = encode_multipart(fields)
    kind = f"multipart/form-data; boundary={boundary}"
    return client.post("/api/v1/imports", data=body, content_type=kind, headers=auth(token))


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def follow(
    client: FlaskClient, token: str, url: str, until: Any = None, timeout: float = 240
) -> tuple[dict[str, Any], list[int]]:
    """Poll the job's status until `until(status)` (default: finished); the last status and
    every rows_read figure seen on the way."""
    seen: list[int] = []
    deadline = time.monotonic() + timeout
    while True:
        status = client.get(url, headers=auth(token)).get_json()
        seen.append(status["rows_read"])
        if (until or (lambda s: s["state"] in FINISHED))(status):
            return status, seen
        assert time.monotonic() < deadline, f"the job did not get there in time: {status}"
        time.sleep(0.2)


def stored(app: Flask) -> tuple[int, int]:
    with app.app_context():
        deals = db.session.scalar(select(func.count(Deal.id)))
        events = db.session.scalar(select(func.count(RawEvent.id)))
        return deals or 0, events or 0


def assert_rising(seen: list[int], total: int) -> None:
    assert seen == sorted(seen), f"progress went back: {seen}"
    between = {n for n in seen if 0 < n < total}
    assert len(between) >= 3, f"no rising progress seen, only {sorted(set(seen))}"


@pytest.mark.slow
def test_a_100000_row_export_runs_in_the_web_process_with_rising_progress(
    app: Flask, client: FlaskClient, token: str
) -> None:
    rows = 100_000
    answer = post_import(client, token, hubspot_export(rows))
    assert answer.status_code == 202, answer.get_data(as_text=True)
    job = answer.get_json()
    assert answer.headers["Location"] == job["url"] and job["state"] in ("queued", "running")
    final, seen = follow(client, token, job["url"])
    assert final["state"] == "done" and final["error"] is None, final
    assert (final["rows_total"], final["rows_accepted"], final["rows_rejected"]) == (rows, rows, 0)
    assert final["events_stored"] == events_of(rows) and final["attempts"] == 1
    assert_rising(seen, rows)
    assert stored(app) == (rows, events_of(rows))
    assert any("deals to create: 100,000" in line for line in final["report"])


def test_a_refused_file_fails_its_job_naming_the_rows_and_stores_nothing(
    app: Flask, client: FlaskClient, token: str
) -> None:
    data = hubspot_export(3).replace(b"rep1@big.test", b"ghost@big.test")
    final, _ = follow(client, token, post_import(client, token, data).get_json()["url"])
    assert final["state"] == "failed" and final["rows_rejected"] == 1
    assert final["error"] == "nothing imported from big.csv: 3 rows: 2 accepted, 1 rejected"
    assert any("unknown owner 'ghost@big.test'" in line for line in final["report"])
    assert stored(app) == (0, 0)


def test_a_job_without_a_deal_file_fails_saying_so_and_the_page_lists_it(
    app: Flask, client: FlaskClient, token: str
) -> None:
    roster = b"First Name,Last Name,Email\nAda,Lovelace,ada@big.test\n"
    final, _ = follow(
        client, token, post_import(client, token, roster, "users.csv").get_json()["url"]
    )
    assert final["state"] == "failed"
    assert final["error"] == "the import stopped: no deal file among the files; nothing was stored"
    log_in(client, "admin@big.test")
    page = client.get("/imports").get_data(as_text=True)
    assert "Recent imports" in page and "users.csv" in page and "failed" in page
    job_page = client.get(final["page"]).get_data(as_text=True)
    assert "Failed." in job_page and "The import stopped: no deal file among the files" in job_page


def test_a_job_is_seen_only_by_its_uploader_and_admins(
    app: Flask, client: FlaskClient, token: str
) -> None:
    url = post_import(client, token, hubspot_export(2)).get_json()["url"]
    follow(client, token, url)
    with app.app_context():
        s = db.session()
        other = issue_token(make_user(s, app_role="manager", email="m@big.test"), "other")
        s.commit()
    assert client.get(url, headers=auth(other)).status_code == 404
    empty = client.post("/api/v1/imports", data={"format": "hubspot"}, headers=auth(token))
    assert empty.status_code == 422 and "files" in empty.get_json()["error"]["fields"]


def test_a_job_that_keeps_dying_is_failed_with_the_reason_and_what_is_in(
    app: Flask, client: FlaskClient, token: str
) -> None:
    url = post_import(client, token, hubspot_export(2)).get_json()["url"]
    follow(client, token, url)
    with app.app_context():
        job = db.session.scalars(select(ImportJob)).one()
        job.state, job.attempts, job.rows_accepted = "running", 3, 1
        job.heartbeat_at = utcnow() - timedelta(hours=1)
        db.session.commit()
    status = client.get(url, headers=auth(token)).get_json()
    assert status["stalled"] and status["state"] == "running"  # reads never write
    assert recover_stalled(app) == []
    status = client.get(url, headers=auth(token)).get_json()
    assert status["state"] == "failed" and not status["stalled"]
    assert status["error"].startswith("its worker stopped 3 times (last heard of at ")
    assert (
        "1 of 2 rows were stored before it stopped; import the same file again" in (status["error"])
    )


def test_an_unreachable_queue_answers_503_and_fails_the_job(
    app: Flask, client: FlaskClient, token: str
) -> None:
    app.config["JOBS_REDIS_URL"] = "redis://127.0.0.1:1/0"
    answer = post_import(client, token, hubspot_export(5))
    assert answer.status_code == 503 and "queue" in answer.get_json()["error"]["message"]
    with app.app_context():
        job = db.session.scalars(select(ImportJob)).one()
        assert job.state == "failed" and "could not be reached" in (job.error or "")
    assert stored(app) == (0, 0)


def test_a_job_whose_task_a_restart_lost_is_run_by_the_servers_recovery(
    app: Flask, client: FlaskClient, token: str
) -> None:
    with app.app_context():
        s = db.session()
        admin = s.scalars(select(User).where(User.app_role == "admin")).one()
        files = [CsvFile("lost.csv", hubspot_export(5))]
        options = ImportOptions(format="hubspot", date_format="us")
        lost = queue_import(s, files, options, actor=admin, now=utcnow() - timedelta(hours=1))
        s.commit()
        url = f"/api/v1/imports/{lost.id}"
    assert recover_stalled(app) == [lost.id]
    final, _ = follow(client, token, url)
    assert final["state"] == "done" and final["rows_accepted"] == 5
    assert stored(app) == (5, events_of(5))


def test_import_crm_shows_a_progress_bar_for_a_file_of_several_chunks(
    app: Flask, token: str, tmp_path: Any
) -> None:
    path = tmp_path / "big.csv"
    path.write_bytes(hubspot_export(5_000))
    result = app.test_cli_runner().invoke(
        args=["import-crm", "--format", "hubspot", "--date-format", "us", str(path)]
    )
    assert result.exit_code == 0, result.output
    assert "  importing big.csv" in result.output
    assert f"imported: {events_of(5_000)} events stored, 0 already known" in result.output
    assert stored(app) == (5_000, events_of(5_000))


# On the RQ queue, with real worker processes.

needs_redis = pytest.mark.skipif(
    not os.environ.get("TEST_REDIS_URL"), reason="needs TEST_REDIS_URL"
)


@pytest.fixture
def queued_app(app: Flask) -> Flask:
    """The app enqueuing its jobs on TEST_REDIS_URL, on a queue of this test's own."""
    app.config["JOBS_REDIS_URL"] = os.environ["TEST_REDIS_URL"]
    app.config["JOBS_QUEUE"] = f"test-imports-{uuid.uuid4().hex[:8]}"
    return app


@contextmanager
def worker(app: Flask, **env: str) -> Iterator[subprocess.Popen[bytes]]:
    """`flask --app wsgi jobs worker` in its own process, on the app's database and queue."""
    with app.app_context():
        url = db.engine.url.render_as_string(hide_password=False)
    environment = {
        **os.environ,
        "DATABASE_URL": url,
        "SECRET_KEY": "worker-test-secret",
        "JOBS_REDIS_URL": app.config["JOBS_REDIS_URL"],
        "JOBS_QUEUE": app.config["JOBS_QUEUE"],
        **env,
    }
    command = [sys.executable, "-m", "flask", "--app", "wsgi", "jobs", "worker"]
    process = subprocess.Popen(
        command, cwd=ROOT, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@pytest.mark.slow
@pytest.mark.redis
@needs_redis
def test_a_100000_row_export_runs_on_the_queue_with_a_worker_process(
    queued_app: Flask, client: FlaskClient, token: str
) -> None:
    rows = 100_000
    answer = post_import(client, token, hubspot_export(rows))
    assert answer.status_code == 202
    job = answer.get_json()
    status = client.get(job["url"], headers=auth(token)).get_json()
    assert status["state"] == "queued"  # nobody takes it before a worker runs
    with worker(queued_app):
        final, seen = follow(client, token, job["url"])
    assert final["state"] == "done" and final["rows_accepted"] == rows, final
    assert_rising(seen, rows)
    assert stored(queued_app) == (rows, events_of(rows))


@pytest.mark.redis
@needs_redis
def test_a_killed_workers_job_is_resumed_by_the_next_worker_after_its_stored_rows(
    queued_app: Flask, client: FlaskClient, token: str
) -> None:
    rows = 30_000
    url = post_import(client, token, hubspot_export(rows)).get_json()["url"]
    with worker(queued_app) as first:
        midway, _ = follow(client, token, url, until=lambda s: 0 < s["rows_accepted"] < rows)
        first.send_signal(signal.SIGKILL)
        first.wait()
    after_kill = client.get(url, headers=auth(token)).get_json()
    assert after_kill["state"] == "running" and 0 < after_kill["rows_accepted"] < rows
    # Exactly the committed chunks are in, and the progress counts them.
    assert stored(queued_app)[0] == after_kill["rows_accepted"]
    with worker(queued_app, JOBS_STALE_SECONDS="3"):
        final, seen = follow(client, token, url)
    assert final["state"] == "done", final
    assert final["attempts"] == 2 and final["error"].startswith("its worker stopped (last heard")
    assert final["rows_accepted"] == rows and min(seen) >= midway["rows_read"]
    assert (final["events_stored"], final["events_known"]) == (events_of(rows), 0)
    assert stored(queued_app) == (rows, events_of(rows))


def test_a_part_without_a_readable_name_is_refused_as_a_field_not_a_server_error(
    app: Flask, client: FlaskClient, token: str
) -> None:
    boundary = "b0undary"
    body = (
        f"--{boundary}\r\nContent-Disposition: form-data\r\n\r\n1\r\n"
        f'--{boundary}\r\nContent-Disposition: form-data; name=""\r\n\r\n2\r\n'
        f"--{boundary}--\r\n"
    ).encode()
    kind = f"multipart/form-data; boundary={boundary}"
    answer = client.post("/api/v1/imports", data=body, content_type=kind, headers=auth(token))
    assert answer.status_code == 422, answer.get_data(as_text=True)
