"""Entry point: `flask --app wsgi ...` for the CLI, `python wsgi.py` for the dev server.

`python wsgi.py` also finalises ended challenges every SCHEDULER_INTERVAL seconds (default 5;
0 turns it off) in a background task of the server, so a challenge that ends while nobody
watches still tells its winners. Other deployments run `flask scheduled` from a timer.
It also sends the team channels' outbox to Slack and Teams every CHANNEL_SEND_INTERVAL seconds
(default 1; 0 turns it off, for a deployment that runs `flask send-channel-posts` instead).
"""

import os

from web.app import create_app
from web.channel_sender import start_channel_sender
from web.extensions import socketio
from web.scheduler import DEFAULT_INTERVAL_SECONDS, start_finalizer

app = create_app()

if __name__ == "__main__":
    host, port = os.environ.get("HOST", "127.0.0.1"), int(os.environ.get("PORT", "5000"))
    try:
        interval = float(os.environ.get("SCHEDULER_INTERVAL", DEFAULT_INTERVAL_SECONDS))
    except ValueError:
        raise SystemExit("SCHEDULER_INTERVAL must be a number of seconds (0: off)") from None
    start_finalizer(app, interval)
    try:
        channel_interval = float(os.environ.get("CHANNEL_SEND_INTERVAL", "1"))
    except ValueError:
        raise SystemExit("CHANNEL_SEND_INTERVAL must be a number of seconds (0: off)") from None
    start_channel_sender(app, channel_interval)
    print(f"serving on http://{host}:{port}", flush=True)
    socketio.run(app, host=host, port=port, allow_unsafe_werkzeug=True)
