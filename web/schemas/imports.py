"""The forms that bring sales data in from a browser: a CRM file upload, a logged activity."""

from __future__ import annotations

import json
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate

from kpi_engine.crm.cells import DATE_FORMATS
from kpi_engine.crm.columns import EXPORT_COLUMNS, FIELDS
from kpi_engine.sales.models import ActivityKind, ActivityOutcome
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


class ActivityFormSchema(Schema):
    key = fields.String(required=True, validate=validate.Regexp(r"^[0-9a-f]{32}$"))
    kind = fields.String(required=True, validate=validate.OneOf(ActivityKind.values()))
    outcome = fields.String(required=True, validate=validate.OneOf(ActivityOutcome.values()))
    deal_id = fields.String(load_default=None, validate=validate.Length(max=120))
    note = fields.String(load_default=None, validate=validate.Length(max=2000))

