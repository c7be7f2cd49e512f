from __future__ import annotations

from marshmallow import Schema, fields


class UserQuerySchema(Schema):
    email = fields.String(load_default=None)
    name = fields.String(load_default=None)


class UserSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    email = fields.String()
    team = fields.Function(lambda u: u.team.name if u.team else None)
    team_id = fields.Integer(allow_none=True)
    app_role = fields.String()
    sales_role = fields.String(allow_none=True)
    hire_date = fields.Date(allow_none=True)
    active = fields.Boolean()
