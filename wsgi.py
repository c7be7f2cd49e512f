"""Entry point: `flask --app wsgi ...` for the CLI, `python wsgi.py` for the dev server."""

import os

from web.app import create_app
from web.extensions import socketio

app = create_app()

if __name__ == "__main__":
    socketio.run(
        app,
        host=os.environ.get("HOST", "127.0.0.1"),
        port=int(os.environ.get("PORT", "5000")),
        allow_unsafe_werkzeug=True,
    )
