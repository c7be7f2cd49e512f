"""Two deployments on one Redis keep their frames apart: each has its own pub/sub channel."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.conftest import make_app
from web.config import socketio_channel
from web.extensions import socketio


def test_deployments_on_different_databases_get_different_channels() -> None:
    one = socketio_channel({"SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://app@db/sales_eu"})
    other = socketio_channel({"SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://app@db/sales_us"})
    assert one != other
    assert one == socketio_channel({"SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://app@db/sales_eu"})


def test_the_password_does_not_change_the_channel() -> None:
    with_secret = socketio_channel({"SQLALCHEMY_DATABASE_URI": "postgresql://app:s3cret@db/x"})
    rotated = socketio_channel({"SQLALCHEMY_DATABASE_URI": "postgresql://app:other@db/x"})
    assert with_secret == rotated


def test_a_configured_channel_wins() -> None:
    config = {"SQLALCHEMY_DATABASE_URI": "sqlite://", "SOCKETIO_CHANNEL": "floor-paris"}
    assert socketio_channel(config) == "floor-paris"


@pytest.mark.redis
def test_the_queue_listens_on_the_deployments_channel(tmp_path: Path) -> None:
    redis_url = os.environ.get("TEST_REDIS_URL")
    if not redis_url:
        pytest.skip("needs TEST_REDIS_URL")
    first = make_app(f"sqlite:///{tmp_path / 'a.db'}", SOCKETIO_MESSAGE_QUEUE=redis_url)
    first_channel = socketio.server.manager.channel
    make_app(f"sqlite:///{tmp_path / 'b.db'}", SOCKETIO_MESSAGE_QUEUE=redis_url)
    second_channel = socketio.server.manager.channel
    assert first_channel == socketio_channel(first.config)
    assert first_channel != second_channel
