"""The processes `make serve-prod` starts do not share gunicorn's control socket."""

from __future__ import annotations

import subprocess
import sys

from web.serve_prod import gunicorn_args


def test_no_process_opens_the_shared_default_control_socket() -> None:
    assert "--no-control-socket" in gunicorn_args()


def test_gunicorn_accepts_the_arguments() -> None:
    # --version stops after parsing, so a flag this gunicorn does not know fails here.
    args = [a for a in gunicorn_args() if not a.startswith("wsgi:")]
    done = subprocess.run(
        [sys.executable, *args, "--version"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
