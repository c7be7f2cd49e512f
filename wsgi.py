"""Entry point: `flask --app wsgi ...` for the CLI, `python wsgi.py` for the dev server.

`python wsgi.py` also finalises ended challenges every SCHEDULER_INTERVAL seconds (default 5;
0 turns it off) in a background task of the server, so a challenge that ends while nobody
watches still tells its winners. Other deployments run `flask scheduled` from a timer.
"""

import os

from web.app import create_app
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
    print(f"serving on http://{host}:{port}", flush=True)
    socketio.run(app, host=host, port=port, allow_unsafe_werkzeug=True)
