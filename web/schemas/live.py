"""Forms of the rep's and the manager's live pages (every accepted field is listed here)."""

from __future__ import annotations

from typing import Any

from flask import request
from marshmallow import Schema, fields, validate

from gameplay.profiles import NOTIFICATION_KINDS


def form_fields(*lists: str) -> dict[str, Any]:
    """The posted form without its CSRF token; `lists` name the fields sent several times."""
    data: dict[str, Any] = {k: v for k, v in request.form.items() if k != "csrf_token"}
    data.update({name: request.form.getlist(name) for name in lists})
    return data


class ProofSchema(Schema):
    text = fields.String(load_default=None, validate=validate.Length(max=2000))
    link = fields.URL(
        load_default=None, schemes={"http", "https"}, validate=validate.Length(max=500)
    )


class ReviewSchema(Schema):
    decision = fields.String(required=True, validate=validate.OneOf(("approve", "reject")))
    comment = fields.String(load_default=None, validate=validate.Length(max=1000))


class PreferencesSchema(Schema):
    muted_kinds = fields.List(fields.String(validate=validate.OneOf(NOTIFICATION_KINDS)))
    anonymised = fields.Boolean(load_default=False)
