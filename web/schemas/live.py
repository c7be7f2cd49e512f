"""Forms of the rep's and the manager's live pages (every accepted field is listed here)."""

from __future__ import annotations

from typing import Any

from flask import request
from marshmallow import Schema, fields, pre_load, validate

from gameplay.scoring.profiles import NOTIFICATION_KINDS


def form_fields(*lists: str) -> dict[str, Any]:
    """The posted form without its CSRF token; `lists` name the fields sent several times."""
    data: dict[str, Any] = {k: v for k, v in request.form.items() if k != "csrf_token"}
    data.update({name: request.form.getlist(name) for name in lists})
    return data


def inline_errors(exc: Exception, names: tuple[str, ...]) -> dict[str, str]:
    """A form's errors in words, by field; what belongs to no field of the form is `_form`."""
    found = getattr(exc, "messages", None) or getattr(exc, "fields", None) or {}
    errors = {
        name: _words(found[name]) for name in names if isinstance(found, dict) and name in found
    }
    message = getattr(exc, "message", None)
    if message:  # a domain error's sentence says it better than its field codes
        sentence = message[0].upper() + message[1:] + ("" if message.endswith(".") else ".")
        errors = {name: sentence for name in errors} or {"_form": sentence}
    return errors or {"_form": "Something in the form is not valid."}


def _words(messages: Any) -> str:
    if isinstance(messages, list):
        return " ".join(str(m) for m in messages)
    return str(messages)


def drop_blank(data: Any) -> Any:
    """A field left empty in a form is absent, not an invalid value."""
    if not isinstance(data, dict):
        return data
    return {k: v for k, v in data.items() if not (isinstance(v, str) and not v.strip())}


class ProofSchema(Schema):
    text = fields.String(
        load_default=None,
        validate=validate.Length(max=2000, error="Keep it under 2,000 characters."),
    )
    link = fields.URL(
        load_default=None,
        schemes={"http", "https"},
        validate=validate.Length(max=500, error="Keep the link under 500 characters."),
        error_messages={"invalid": "Enter a full web address, starting with https://"},
    )

    @pre_load
    def _blank_is_absent(self, data: Any, **_: Any) -> Any:
        return {k: v.strip() if isinstance(v, str) else v for k, v in drop_blank(data).items()}


class ReviewSchema(Schema):
    decision = fields.String(required=True, validate=validate.OneOf(("approve", "reject")))
    comment = fields.String(load_default=None, validate=validate.Length(max=1000))


class PreferencesSchema(Schema):
    muted_kinds = fields.List(fields.String(validate=validate.OneOf(NOTIFICATION_KINDS)))
    anonymised = fields.Boolean(load_default=False)
