"""Probes for a process manager or load balancer, and the request id on every log line."""

from __future__ import annotations

import io
import json
import logging

from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import make_app


def test_healthz_answers_without_touching_the_database(client: FlaskClient) -> None:
    assert client.get("/healthz").get_json() == {"status": "ok"}


def test_readyz_reports_database_and_queue(client: FlaskClient) -> None:
    body = client.get("/readyz").get_json()
    assert body["status"] == "ready"
    assert body["checks"] == {"database": "ok", "message_queue": "not configured"}


def test_readyz_is_503_when_the_database_is_unreachable(tmp_path) -> None:
    app = make_app("postgresql+psycopg://nobody@127.0.0.1:1/none")
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["checks"]["database"].startswith("error")


def test_readyz_is_503_when_the_queue_is_unreachable(database_url: str) -> None:
    app = make_app(database_url, SOCKETIO_MESSAGE_QUEUE="redis://127.0.0.1:1/0")
    body = app.test_client().get("/readyz").get_json()
    assert body["checks"]["message_queue"].startswith("error")


def test_every_log_line_of_a_request_carries_its_request_id(app: Flask) -> None:
    logging.getLogger("web.access").setLevel(logging.INFO)
    stream = io.StringIO()
    handler = app.logger.handlers[0]
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(stream)

    @app.get("/_log_twice")
    def _log_twice() -> str:
        app.logger.warning("first line")
        app.logger.warning("second line")
        return "ok"

    response = app.test_client().get("/_log_twice", headers={"X-Request-ID": "abc-123"})
    assert response.headers["X-Request-ID"] == "abc-123"
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert {line["request_id"] for line in lines} == {"abc-123"}
    assert len(lines) == 3


def test_a_forged_request_id_is_replaced(client: FlaskClient) -> None:
    response = client.get("/healthz", headers={"X-Request-ID": 'x y{"a":1}'})
    assert response.headers["X-Request-ID"] != 'x y{"a":1}'


def test_an_unreachable_database_answers_503_with_retry_after() -> None:
    app = make_app("postgresql+psycopg://nobody@127.0.0.1:1/none")
    response = app.test_client().get("/api/v1/users", headers={"Authorization": "Bearer sq_x"})
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert response.get_json()["error"]["code"] == "unavailable"
