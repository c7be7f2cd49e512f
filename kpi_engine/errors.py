"""Domain errors: a stable code, a sentence naming the problem, and the fields it concerns.

The sentence is a template marked with `N_` and the values that fill it, so web/ writes it in
the reader's language: `NotFound(N_("no team %(id)s"), id=str(team_id))`. `message` is the
English sentence (logs, the command line); the fields' messages are fixed words marked with
`N_` or `said(...)` sentences."""

from __future__ import annotations

from typing import Any

from kpi_engine.words import Said


class DomainError(Exception):
    code = "domain_error"
    status = 400

    def __init__(
        self, message: str, fields: dict[str, list[str]] | None = None, **values: Any
    ) -> None:
        said = message if isinstance(message, Said) and not values else Said(message, values)
        super().__init__(said)
        self.message: str = said
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
