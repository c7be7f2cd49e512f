"""Run the real server (`python wsgi.py`) in a subprocess for live and browser tests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def running_server(database_url: str, **env: str) -> Iterator[str]:
    """Start wsgi.py on a free port with this database; yield its base URL; stop it after."""
    port = free_port()
    environment = {
        **os.environ,
        "DATABASE_URL": database_url,
        "SECRET_KEY": "live-test-secret",
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "LOGIN_RATE_LIMIT": "1000 per minute",
        "SCHEDULER_INTERVAL": "0",  # the server's own finalizer is off unless a test turns it on
        **env,
    }
    # The log goes to a file, not a pipe: nobody reads it while the server runs, and a full
    # pipe (64 KiB of request lines, a long browser walk) would block the server mid-request.
    log = tempfile.TemporaryFile()  # noqa: SIM115 - closed below, when the server stops
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "wsgi.py")],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=log,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(base, process, log)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def _wait_until_up(
    base: str, process: subprocess.Popen[bytes], log: IO[bytes] | None = None
) -> None:
    """Wait for /healthz; if the server exits first, say why from its log (or its stderr pipe)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            if log is not None:
                log.seek(0)
            output = log if log is not None else process.stderr
            err = output.read().decode() if output else ""
            raise RuntimeError(f"server exited with {process.returncode}: {err[-2000:]}")
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=1):  # noqa: S310 - loopback
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"server at {base} did not answer within 30 s")
