"""Entry point: `flask --app wsgi ...` for the CLI, `python wsgi.py` for the dev server.

`python wsgi.py` also finalises ended challenges every SCHEDULER_INTERVAL seconds (default 5;
0 turns it off) in a background task of the server, so a challenge that ends while nobody
watches still tells its winners. Other deployments run `flask scheduled` from a timer.
It also sends the team channels' outbox to Slack and Teams every CHANNEL_SEND_INTERVAL seconds
(default 1; 0 turns it off, for a deployment that runs `flask send-channel-posts` instead),
and the phone pushes every PUSH_SEND_INTERVAL seconds (default 1; or `flask send-pushes`).
Every server process (this one, and each gunicorn process, which serves `wsgi:serving()`) runs
the boards' relay loop and heartbeat every LIVE_HEARTBEAT_SECONDS (docs/live.md).
Import jobs run in its own background tasks, and it resumes those a restart interrupted every
JOBS_STALE_SECONDS (unless JOBS_REDIS_URL puts them on a queue: see docs/ingest.md).
"""

import os

from web.app import create_app
from web.channel_sender import start_channel_sender
from web.extensions import socketio
from web.import_jobs import start_job_recovery
from web.push_sender import start_push_sender
from web.scheduler import DEFAULT_INTERVAL_SECONDS, start_finalizer, start_live_relay

app = create_app()


def serving():  # type: ignore[no-untyped-def]
    """The app as a gunicorn process serves it: with its boards' relay loop and heartbeat."""
    start_live_relay(app)
    return app


def seconds(name: str, default: float) -> float:
    """An interval from the environment; a value that is not a number stops with a sentence."""
    try:
        return float(os.environ.get(name, default))
    except ValueError:
        raise SystemExit(f"{name} must be a number of seconds (0: off)") from None


if __name__ == "__main__":
    host, port = os.environ.get("HOST", "127.0.0.1"), int(os.environ.get("PORT", "5000"))
    start_finalizer(app, seconds("SCHEDULER_INTERVAL", DEFAULT_INTERVAL_SECONDS))
    start_live_relay(app)
    start_channel_sender(app, seconds("CHANNEL_SEND_INTERVAL", 1.0))
    start_push_sender(app, seconds("PUSH_SEND_INTERVAL", 1.0))
    start_job_recovery(app)  # import jobs whose task a restart lost (docs/ingest.md)
    print(f"serving on http://{host}:{port}", flush=True)
    socketio.run(app, host=host, port=port, allow_unsafe_werkzeug=True)
