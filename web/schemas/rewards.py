"""The manager's rewards catalogue form (every accepted field is listed here)."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, pre_load, validate

from web.schemas.forms import drop_blank


class RewardFormSchema(Schema):
    """The catalogue form on the manager's page: a field left empty is absent."""

    name = fields.String(
        required=True,
        validate=validate.Length(1, 160, error="Keep the name under 160 characters."),
        error_messages={"required": "Give the reward a name."},
    )
    cost = fields.Integer(
        required=True,
        strict=False,
        validate=validate.Range(min=1, error="A reward costs at least 1 point."),
        error_messages={
            "required": "Say how many points it costs.",
            "invalid": "Write a whole number of points, such as 500.",
        },
    )
    cash_value = fields.Decimal(
        load_default=None,
        allow_nan=False,
        places=2,
        validate=validate.Range(min=0, error="A cash value cannot be negative."),
        error_messages={"invalid": "Write an amount such as 25 or 25.50."},
    )

    @pre_load
    def _blank_is_absent(self, data: Any, **_: Any) -> Any:
        return {k: v.strip() if isinstance(v, str) else v for k, v in drop_blank(data).items()}
