"""Teams in the teams API and on the Teams page, and the audit trail of people and teams."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, pre_load, validate

from kpi_engine.org.teams import NAME_MAX
from web.schemas.fields import Id


class MemberSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    email = fields.String()
    app_role = fields.String()
    active = fields.Boolean()


class ManagerSchema(Schema):
    id = fields.Integer()
    name = fields.String()


class TeamSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    region = fields.String(allow_none=True)
    manager = fields.Nested(ManagerSchema, allow_none=True)
    members = fields.List(fields.Nested(MemberSchema))


class TeamListSchema(Schema):
    teams = fields.List(fields.Nested(TeamSchema))


class _TeamFields(Schema):
    name = fields.String(validate=validate.Length(1, NAME_MAX))
    region = fields.String(allow_none=True, validate=validate.Length(max=NAME_MAX))
    manager_id = Id(allow_none=True, strict=False)

    @pre_load
    def _blank_is_none(self, data: Any, **_: Any) -> Any:
        if not isinstance(data, dict):
            return data
        return {
            k: None if k != "name" and isinstance(v, str) and not v.strip() else v
            for k, v in data.items()
        }


class NewTeamSchema(_TeamFields):
    """Create a team: its name (unique), and optionally its region and manager."""

    name = fields.String(
        required=True,
        validate=validate.Length(1, NAME_MAX),
        error_messages={"required": "give the team a name"},
    )


class TeamChangeSchema(_TeamFields):
    """Rename a team, set or clear its region or manager: only the fields given change."""


class OrgChangeSchema(Schema):
    """One audited change: when, by whom, and each changed field before and after."""

    id = fields.Integer()
    at = fields.DateTime()
    actor = fields.String(attribute="actor_name")
    actor_id = fields.Integer(allow_none=True)
    action = fields.String()
    user_id = fields.Integer(allow_none=True)
    team_id = fields.Integer(allow_none=True)
    before = fields.Dict()
    after = fields.Dict()


class OrgChangeListSchema(Schema):
    changes = fields.List(fields.Nested(OrgChangeSchema))
