"""Structured logs: one JSON object per line, each carrying the request id of its request."""

from __future__ import annotations

import json
import logging
import re
import uuid

from flask import Flask, Response, g, has_request_context, request

REQUEST_ID_HEADER = "X-Request-ID"
# An id from a proxy is kept only when it is short and plain, so it cannot forge log lines.
_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = g.get("request_id", "-") if has_request_context() else "-"
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "request_id": getattr(record, "request_id", "-"),
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry)


def _assign_request_id() -> None:
    incoming = request.headers.get(REQUEST_ID_HEADER, "")
    g.request_id = incoming if _SAFE_ID.match(incoming) else uuid.uuid4().hex


def _echo_request_id(response: Response) -> Response:
    response.headers[REQUEST_ID_HEADER] = g.get("request_id", "-")
    if request.path != "/healthz":
        logging.getLogger("web.access").info(
            "%s %s %s", request.method, request.path, response.status_code
        )
    return response


def init_app(app: Flask) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    app.logger.handlers[:] = [handler]
    access = logging.getLogger("web.access")
    access.handlers[:] = [handler]
    access.setLevel(logging.INFO if not app.testing else logging.WARNING)
    access.propagate = False
    app.before_request(_assign_request_id)
    app.after_request(_echo_request_id)
