"""The manager's one-form challenge builder: flat form fields in, a challenge spec out.

The form names repeated rows `rules-0-points`, `missions-2-name`...; `nest_rows` turns them
into lists (blank rows dropped) before the schema validates them. Meaning-level checks (the
window, the audience, a target for a race) are the domain's, in create_challenge.
"""

from __future__ import annotations

import re
from typing import Any

from marshmallow import Schema, fields, validate

from gameplay.models import ENROLMENTS, FACT_TYPES, FORMATS, KINDS, TEAM_SCORING
from kpi_engine.models import ACTIVITY_KINDS, ACTIVITY_OUTCOMES, SALES_ROLES

ROW = re.compile(r"^(rules|missions)-(\d+)-(\w+)$")
RULE_ROWS = 4
MISSION_ROWS = 5


def nest_rows(form: dict[str, Any]) -> dict[str, Any]:
    """Group `rules-N-x` and `missions-N-x` fields into row dicts; drop rows left blank."""
    flat: dict[str, Any] = {}
    rows: dict[str, dict[int, dict[str, Any]]] = {"rules": {}, "missions": {}}
    for key, value in form.items():
        match = ROW.match(key)
        if match is None:
            flat[key] = value
        elif value not in ("", None):
            group, index, name = match.groups()
            rows[group].setdefault(int(index), {})[name] = value
    for group, found in rows.items():
        flat[group] = [found[i] for i in sorted(found) if set(found[i]) - {"fact", "manual"}]
    return flat


ACTIVITY_KIND = fields.String(load_default=None, validate=validate.OneOf(ACTIVITY_KINDS))
OUTCOME = fields.String(load_default=None, validate=validate.OneOf(ACTIVITY_OUTCOMES))
POINTS = fields.Integer(load_default=0, validate=validate.Range(min=0, max=100_000))


class RuleSchema(Schema):
    fact = fields.String(load_default="activity", validate=validate.OneOf(FACT_TYPES))
    activity_kind = ACTIVITY_KIND
    outcome = OUTCOME
    product = fields.String(load_default=None, validate=validate.Length(max=200))
    min_amount = fields.Decimal(load_default=None, validate=validate.Range(min=0))
    points = POINTS
    points_per_amount = fields.Decimal(load_default=None, validate=validate.Range(min=0))
    existing_account_multiplier = fields.Decimal(load_default=None, validate=validate.Range(min=0))
    daily_cap = fields.Integer(load_default=None, validate=validate.Range(min=1))
    min_gap_minutes = fields.Integer(load_default=None, validate=validate.Range(min=1))


class MissionSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(1, 160))
    manual = fields.Boolean(load_default=False)
    fact = fields.String(load_default="activity", validate=validate.OneOf(FACT_TYPES))
    activity_kind = ACTIVITY_KIND
    outcome = OUTCOME
    target = fields.Integer(load_default=1, validate=validate.Range(min=1))
    points = POINTS
    badge = fields.String(load_default=None, validate=validate.Length(max=40))


class BuilderSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(1, 160))
    description = fields.String(load_default=None, validate=validate.Length(max=2000))
    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    format = fields.String(required=True, validate=validate.OneOf(FORMATS))
    team_scoring = fields.String(load_default="sum", validate=validate.OneOf(TEAM_SCORING))
    target = fields.Integer(load_default=None, validate=validate.Range(min=1))
    top_n = fields.Integer(load_default=3, validate=validate.Range(min=1, max=100))
    ordered_missions = fields.Boolean(load_default=False)
    starts_at = fields.NaiveDateTime(required=True)
    ends_at = fields.NaiveDateTime(required=True)
    timezone = fields.String(load_default="UTC", validate=validate.Length(1, 64))
    team_ids = fields.List(fields.Integer(), load_default=list)
    sales_roles = fields.List(
        fields.String(validate=validate.OneOf(SALES_ROLES)), load_default=list
    )
    enrolment = fields.String(load_default="auto", validate=validate.OneOf(ENROLMENTS))
    rules = fields.List(fields.Nested(RuleSchema), load_default=list)
    missions = fields.List(fields.Nested(MissionSchema), load_default=list)


def spec_from(data: dict[str, Any]) -> dict[str, Any]:
    """The loaded form as the spec create_challenge takes (audience grouped)."""
    audience = {"team_ids": data.pop("team_ids"), "sales_roles": data.pop("sales_roles")}
    return {**data, "audience": audience}


def flat_errors(messages: dict[str, Any]) -> dict[str, Any]:
    """Marshmallow's nested messages under the form's own field names (`rules-0-points`)."""
    flat: dict[str, Any] = {}
    for name, value in messages.items():
        if name in ("rules", "missions") and isinstance(value, dict):
            for index, fields_ in value.items():
                flat.update({f"{name}-{index}-{k}": v for k, v in fields_.items()})
        else:
            flat[name] = value
    return flat
