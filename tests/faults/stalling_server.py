"""wsgi.py with a stall at the seam between commit and publish, so a test can kill it there.

web.ingest looks web.realtime.publish up at every call, so replacing it here stops each
ingestion after its commit and before any frame leaves; STALL_MARKER tells the test when.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # this checkout, not an installed copy

import web.realtime
from gameplay.core.changes import Changes
from web.app import create_app
from web.extensions import socketio


def stalled_publish(_changes: Changes, _recipients: object = None) -> None:
    Path(os.environ["STALL_MARKER"]).write_text("committed, not published")
    time.sleep(600)


web.realtime.publish = stalled_publish
app = create_app()
socketio.run(app, host="127.0.0.1", port=int(os.environ["PORT"]), allow_unsafe_werkzeug=True)
