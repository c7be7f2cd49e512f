"""The forms that bring sales data in from a browser: a CRM file upload, a logged activity."""

from __future__ import annotations

import json
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate

from kpi_engine.crm.cells import DATE_FORMATS
from kpi_engine.crm.columns import EXPORT_COLUMNS, FIELDS
from kpi_engine.sales.models import ActivityKind, ActivityOutcome
from kpi_engine.words import N_
from web.input_bounds import loads_json


class ColumnMapping(fields.Field):
    """A JSON object {field: column} typed into a text box; empty means no mapping."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if not value or not str(value).strip():
            return None
        try:
            mapping = loads_json(value)
        except json.JSONDecodeError as exc:
            raise ValidationError(f"not JSON: {exc.msg}") from exc
        if not isinstance(mapping, dict) or not all(isinstance(v, str) for v in mapping.values()):
            raise ValidationError(f'write {{"field": "column", ...}} with fields from {FIELDS}')
        return mapping


class ImportFormSchema(Schema):
    format = fields.String(load_default=None, validate=validate.OneOf(list(EXPORT_COLUMNS)))
    date_format = fields.String(load_default=None, validate=validate.OneOf(DATE_FORMATS))
    mapping = ColumnMapping(load_default=None)
    action = fields.String(required=True, validate=validate.OneOf(["dry_run", "import"]))


class ImportUploadSchema(Schema):
    """POST /api/v1/imports, multipart: the files under `files`, and these fields."""

    format = fields.String(load_default=None, validate=validate.OneOf(list(EXPORT_COLUMNS)))
    date_format = fields.String(load_default=None, validate=validate.OneOf(DATE_FORMATS))
    mapping = ColumnMapping(load_default=None)


class ImportJobSchema(Schema):
    """An import job's state and progress: rows read (accepted + rejected) of rows_total."""

    id = fields.Integer()
    url = fields.String(metadata={"description": N_("where to GET the job's status")})
    page = fields.String(metadata={"description": N_("the job's page with its progress bar")})
    file_name = fields.String()
    state = fields.String(metadata={"enum": ["queued", "running", "done", "failed"]})
    stalled = fields.Boolean(
        metadata={"description": N_("running, but its worker stopped reporting: it is resumed")}
    )
    rows_total = fields.Integer()
    rows_read = fields.Integer()
    rows_accepted = fields.Integer()
    rows_rejected = fields.Integer()
    events_stored = fields.Integer()
    events_known = fields.Integer()
    attempts = fields.Integer()
    error = fields.String(allow_none=True)
    report = fields.List(fields.String())
    created_at = fields.DateTime()
    started_at = fields.DateTime(allow_none=True)
    finished_at = fields.DateTime(allow_none=True)


class ActivityFormSchema(Schema):
    key = fields.String(required=True, validate=validate.Regexp(r"^[0-9a-f]{32}$"))
    kind = fields.String(required=True, validate=validate.OneOf(ActivityKind.values()))
    outcome = fields.String(required=True, validate=validate.OneOf(ActivityOutcome.values()))
    deal_id = fields.String(load_default=None, validate=validate.Length(max=120))
    note = fields.String(load_default=None, validate=validate.Length(max=2000))
