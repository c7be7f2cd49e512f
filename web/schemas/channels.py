"""The team-channel forms on the manager's page (every accepted field is listed here)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from marshmallow import Schema, ValidationError, fields, pre_load, validate, validates

from gameplay.channels.team_channels import NEWS_KINDS, ChannelKind
from web.schemas.forms import drop_blank

# Only the test receiver runs on plain HTTP, and only where TESTING is on.
LOCAL_TEST_HOSTS = ("127.0.0.1", "localhost")


class ChannelFormSchema(Schema):
    """Connect a team's channel: which team, Slack or Teams, and its incoming-webhook URL."""

    team_id = fields.Integer(
        required=True,
        strict=False,
        error_messages={"required": "Choose a team.", "invalid": "Choose a team."},
    )
    kind = fields.String(
        required=True,
        validate=validate.OneOf(ChannelKind.values(), error="Choose Slack or Microsoft Teams."),
        error_messages={"required": "Choose Slack or Microsoft Teams."},
    )
    url = fields.String(
        required=True,
        validate=validate.Length(max=2000, error="That URL is too long for a webhook."),
        error_messages={"required": "Paste the channel's incoming-webhook URL."},
    )

    def __init__(self, *, allow_local_http: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.allow_local_http = allow_local_http

    @pre_load
    def _blank_is_absent(self, data: Any, **_: Any) -> Any:
        return {k: v.strip() if isinstance(v, str) else v for k, v in drop_blank(data).items()}

    @validates("url")
    def _https_only(self, value: str, **_: Any) -> None:
        parts = urlsplit(value)
        local = parts.scheme == "http" and parts.hostname in LOCAL_TEST_HOSTS
        if parts.scheme == "https" and parts.hostname:
            return
        if local and self.allow_local_http:
            return
        raise ValidationError(
            "Paste the webhook URL Slack or Teams gave you; it starts with https://."
        )


class ChannelNewsSchema(Schema):
    """Which kinds of news a channel takes: the ticked boxes (none ticked: nothing is sent)."""

    news = fields.List(
        fields.String(validate=validate.OneOf(NEWS_KINDS, error="Unknown kind of news.")),
        load_default=list,
    )
