"""A rep's own game: preferences, the rewards catalogue and redemptions."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from gameplay.scoring.profiles import NotificationKind
from web.i18n import SUPPORTED_LOCALES
from web.schemas.fields import Amount, BoundedInt, Id


class PreferencesSchema(Schema):
    """A rep's game preferences; a field left out keeps its value."""

    anonymised = fields.Boolean(load_default=None)
    muted_kinds = fields.List(
        fields.String(validate=validate.OneOf(NotificationKind.values())), load_default=None
    )
    # '' follows the organisation's default language, then the browser's.
    locale = fields.String(validate=validate.OneOf(("", *SUPPORTED_LOCALES)), load_default=None)


class RedeemSchema(Schema):
    reward_id = Id(required=True)


class CatalogueRewardSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(1, 160))
    cost = BoundedInt(1, required=True)
    cash_value = Amount(load_default=None, allow_none=True)


class RewardSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    cost = fields.Integer()
    cash_value = fields.Decimal(as_string=True, allow_none=True)


class RedemptionSchema(Schema):
    id = fields.Integer()
    user_id = fields.Integer()
    reward = fields.Nested(RewardSchema)
    cost = fields.Integer()
    status = fields.String()
    requested_at = fields.DateTime()
    fulfilled_by_id = fields.Integer(allow_none=True)
    fulfilled_at = fields.DateTime(allow_none=True)
