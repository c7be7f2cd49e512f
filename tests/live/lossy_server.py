"""wsgi.py whose board frames after a commit are all lost on the way: the relay marks the news
relayed, but nothing reaches a client. Only the heartbeat can tell a page it is behind."""

from __future__ import annotations

import runpy
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))  # this checkout's code, not an installed copy

import web.board_relay  # noqa: E402


def lost(_frame: dict[str, Any]) -> None:
    """The publish is dropped (a network blip, a message queue that lost it)."""


web.board_relay.send_frame = lost
runpy.run_path(str(ROOT / "wsgi.py"), run_name="__main__")
