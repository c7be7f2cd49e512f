"""Domain errors: a stable code, a sentence naming the problem, and the fields it concerns."""

from __future__ import annotations


class DomainError(Exception):
    code = "domain_error"
    status = 400

    def __init__(self, message: str, fields: dict[str, list[str]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields or {}


class NotFound(DomainError):
    code = "not_found"
    status = 404


class Forbidden(DomainError):
    code = "forbidden"
    status = 403


class Invalid(DomainError):
    code = "invalid"
    status = 422


class Conflict(DomainError):
    code = "conflict"
    status = 409
