"""Entry point: `flask --app wsgi ...` for the CLI, `python wsgi.py` for the dev server."""

import os

from web.app import create_app
from web.extensions import socketio

app = create_app()

if __name__ == "__main__":
    host, port = os.environ.get("HOST", "127.0.0.1"), int(os.environ.get("PORT", "5000"))
    print(f"serving on http://{host}:{port}", flush=True)
    socketio.run(app, host=host, port=port, allow_unsafe_werkzeug=True)
