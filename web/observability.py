"""Structured logs: one JSON object per line, each carrying the request id of its request.

No log line holds a secret from a URL: a wall-screen link's token (in its path) and any query
parameter that names a token, key, signature or password are written as [redacted], in our
access log and in the development server's own request log alike.
"""

from __future__ import annotations

import json
import logging
import re
import uuid

from flask import Flask, Response, g, has_request_context, request

REQUEST_ID_HEADER = "X-Request-ID"
# An id from a proxy is kept only when it is short and plain, so it cannot forge log lines.
_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
REDACTED = "[redacted]"
_SECRET_IN_PATH = re.compile(r"(/wall/)[^/?#\s]+")
_SECRET_PARAM = re.compile(
    r"([?&](?:[\w.-]*token|key|api_key|secret|password|signature|sig|sid|wall|code)=)[^&#\s\"]*",
    re.IGNORECASE,
)


def redact(url: str) -> str:
    """The URL (or a request line holding one) with its secrets replaced by [redacted]."""
    return _SECRET_PARAM.sub(r"\1" + REDACTED, _SECRET_IN_PATH.sub(r"\1" + REDACTED, url))


class RedactFilter(logging.Filter):
    """Redacts URL secrets in another library's log records (werkzeug's request lines)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        return True


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
        path = request.full_path if request.query_string else request.path
        logging.getLogger("web.access").info(
            "%s %s %s", request.method, redact(path), response.status_code
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
    werkzeug_log = logging.getLogger("werkzeug")
    if not any(isinstance(f, RedactFilter) for f in werkzeug_log.filters):
        werkzeug_log.addFilter(RedactFilter())
    app.before_request(_assign_request_id)
    app.after_request(_echo_request_id)
