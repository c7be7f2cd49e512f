"""One place that turns errors into answers: JSON under /api, a page elsewhere."""

from __future__ import annotations

from typing import Any

from flask import Flask, g, jsonify, redirect, render_template, request, url_for
from flask_wtf.csrf import CSRFError
from marshmallow import ValidationError
from sqlalchemy.exc import DisconnectionError, OperationalError
from werkzeug.exceptions import HTTPException

from kpi_engine.errors import DomainError
from web.error_words import (
    CSRF,
    DATABASE_DOWN,
    HTTP_ERRORS,
    INVALID_REQUEST,
    RATE_LIMITED,
    in_words,
)
from web.extensions import db, login_manager
from web.formats import translated

RETRY_AFTER_SECONDS = "5"


def error_body(code: str, message: str, fields: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "fields": fields or {}}}


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.is_json


def _answer(status: int, code: str, message: str, fields: dict[str, Any] | None = None) -> Any:
    message, fields = in_words(message), in_words(fields)
    if wants_json():
        return jsonify(error_body(code, message, fields)), status
    return render_template("error.html", status=status, message=message, fields=fields), status


def _domain_error(exc: DomainError) -> Any:
    db.session.rollback()
    return _answer(exc.status, exc.code, exc.message, exc.fields)


def _validation_error(exc: ValidationError) -> Any:
    db.session.rollback()
    messages = exc.messages if isinstance(exc.messages, dict) else {"_schema": exc.messages}
    return _answer(422, "invalid", INVALID_REQUEST, messages)


def _database_unavailable(exc: OperationalError | DisconnectionError) -> Any:
    # The transaction never committed, so nothing was half-written; the client may resend.
    db.session.rollback()
    # The page's menu reads the user, and after the rollback that is another database read:
    # the outage page is shown as to a visitor, so it answers without the database.
    g._login_user = login_manager.anonymous_user()
    response = _answer(503, "unavailable", DATABASE_DOWN)
    body, status = response
    return body, status, {"Retry-After": RETRY_AFTER_SECONDS}


def _csrf_error(exc: CSRFError) -> Any:
    return _answer(400, "csrf", str(translated(CSRF)) % {"why": translated(exc.description)})


def _http_error(exc: HTTPException) -> Any:
    if exc.code == 401 and not wants_json():
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    if exc.code == 429:
        response = _answer(
            429, "rate_limited", str(translated(RATE_LIMITED)) % {"why": exc.description}
        )
        return response
    code = (exc.name or "error").lower().replace(" ", "_")
    message = exc.description
    if not message or message == type(exc).description:
        message = HTTP_ERRORS.get(exc.code or 500, exc.name)
    return _answer(exc.code or 500, code, message)


def init_app(app: Flask) -> None:
    app.register_error_handler(DomainError, _domain_error)
    app.register_error_handler(ValidationError, _validation_error)
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(OperationalError, _database_unavailable)
    app.register_error_handler(DisconnectionError, _database_unavailable)
    app.register_error_handler(HTTPException, _http_error)
