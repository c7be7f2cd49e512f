"""The live tests' small org (a manager, two reps in a live challenge, one rep outside)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask

from tests.live.conftest import Org, build_org
from web import realtime


@pytest.fixture(autouse=True)
def frames_sent_before_teardown(app: Flask) -> Iterator[None]:
    """Send any trailing frame now, while the test's database is still there."""
    yield
    realtime.throttle.flush()


@pytest.fixture
def org(app: Flask) -> Org:
    return build_org(app)
