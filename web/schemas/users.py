"""People in the users API and on the People pages: who someone is (their team, roles and CRM
user id), and the fields an admin may give to add or change them. Schemas check the shape and
bounds; meaning (a taken email, a team that does not exist) is the domain's to say."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, pre_load, validate

from kpi_engine.org.models import AppRole, SalesRole
from kpi_engine.org.people import CRM_ID_MAX, EMAIL_MAX, NAME_MAX
from web.schemas.fields import BusinessDate, Id

# A form's empty choice, or an API's "", means none for these fields.
NULLABLE = ("sales_role", "team_id", "crm_user_id")


class UserQuerySchema(Schema):
    email = fields.String(load_default=None, validate=validate.Length(max=EMAIL_MAX))
    name = fields.String(load_default=None, validate=validate.Length(max=NAME_MAX))
    crm_user_id = fields.String(load_default=None, validate=validate.Length(max=CRM_ID_MAX))


class UserSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    email = fields.String()
    team = fields.Function(lambda u: u.team.name if u.team else None)
    team_id = fields.Integer(allow_none=True)
    app_role = fields.String()
    sales_role = fields.String(allow_none=True)
    crm_user_id = fields.String(allow_none=True)
    hire_date = fields.Date(allow_none=True)
    active = fields.Boolean()


class _PersonFields(Schema):
    name = fields.String(validate=validate.Length(1, NAME_MAX))
    email = fields.String(validate=validate.Length(3, EMAIL_MAX))
    app_role = fields.String(
        validate=validate.OneOf(AppRole.values(), error="one of rep, manager or admin")
    )
    sales_role = fields.String(
        allow_none=True,
        validate=validate.OneOf(SalesRole.values(), error="one of SDR, AE, AM or CSM, or none"),
    )
    team_id = Id(allow_none=True, strict=False)
    crm_user_id = fields.String(allow_none=True, validate=validate.Length(max=CRM_ID_MAX))

    @pre_load
    def _blank_is_none(self, data: Any, **_: Any) -> Any:
        if not isinstance(data, dict):
            return data
        blank = {k for k in NULLABLE if isinstance(data.get(k), str) and not data[k].strip()}
        return {k: None if k in blank else v for k, v in data.items()}


class NewPersonSchema(_PersonFields):
    """Add a person: email and name; role (rep unless said), sales role, team, CRM user id (how
    CRM exports name them as a deal's owner), hire date and a first password optional."""

    name = fields.String(
        required=True,
        validate=validate.Length(1, NAME_MAX),
        error_messages={"required": "give their full name"},
    )
    email = fields.String(
        required=True,
        validate=validate.Length(3, EMAIL_MAX),
        error_messages={"required": "give their email address"},
    )
    hire_date = BusinessDate(allow_none=True)
    password = fields.String(load_only=True, validate=validate.Length(8, 200))


class PersonChangeSchema(_PersonFields):
    """Change a person: only the fields given change. `active` false deactivates them."""

    active = fields.Boolean()
