"""A client that stops reading: the others keep getting their frames promptly, and the server
drops it once it misses the heartbeat (ping interval + ping timeout, shortened here)."""

from __future__ import annotations

import json
import time

import pytest
import websocket

from tests.live.conftest import Org, connect, post_call, session_cookie
from tests.live_server import running_server

pytestmark = [pytest.mark.live, pytest.mark.slow]

HEARTBEAT = {"SOCKETIO_PING_INTERVAL": "1", "SOCKETIO_PING_TIMEOUT": "1"}


def stuck_client(base: str, cookie: str, challenge_id: int) -> websocket.WebSocket:
    """A raw Engine.IO client that subscribes, then never reads nor answers a ping again."""
    url = base.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
    ws = websocket.create_connection(url, header=[f"Cookie: {cookie}"], origin=base, timeout=5)
    ws.recv()
    ws.send("40")
    ws.recv()
    ws.send("420" + json.dumps(["subscribe", {"challenge_id": challenge_id}]))
    while not str(ws.recv()).startswith("430"):
        pass
    return ws


def closed_by_server(ws: websocket.WebSocket) -> bool:
    """Read what piled up; True when the server has closed the connection."""
    ws.settimeout(2)
    try:
        while True:
            opcode, _ = ws.recv_data(control_frame=True)
            if opcode == websocket.ABNF.OPCODE_CLOSE:
                return True
    except websocket.WebSocketConnectionClosedException:
        return True
    except websocket.WebSocketTimeoutException:
        return False


def test_a_client_that_stops_reading_neither_slows_the_others_nor_stays(
    org: Org, database_url: str
) -> None:
    with running_server(database_url, **HEARTBEAT) as base:
        cookie = session_cookie(base, "bob@example.test")
        stuck = stuck_client(base, cookie, org.challenge_id)
        reader = connect(base, cookie)
        reader.subscribe(org.challenge_id)
        delays = []
        for n in range(3):
            sent = time.monotonic()
            post_call(base, org.token, "ann@example.test", f"call-{n}")
            reader.wait_for("leaderboard", lambda f, n=n: f["version"] and _ann(f) == 10 * (n + 1))
            delays.append(time.monotonic() - sent)
            time.sleep(0.4)
        time.sleep(3)
        dropped = closed_by_server(stuck)
        stuck.shutdown()
        still_connected = reader.sio.connected
        reader.sio.disconnect()
    assert max(delays) < 2, delays
    assert dropped
    assert still_connected


def _ann(frame: dict) -> int | None:
    return next((r["points"] for r in frame["rows"] if r["name"] == "Ann"), None)
