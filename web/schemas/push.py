"""A device's Web Push subscription as the browser hands it over (PushSubscription.toJSON(),
plus the rep's name for the device), and the devices listed back."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from marshmallow import Schema, ValidationError, fields, validate, validates

from kpi_engine.words import N_

# The push services' own endpoints are a few hundred characters; the column holds 1000.
ENDPOINT_MAX = 1000
LABEL_MAX = 120
# Only the tests' local push service runs on plain HTTP, and only where TESTING is on.
LOCAL_TEST_HOSTS = ("127.0.0.1", "localhost")


def _urlsafe_bytes(value: str) -> bytes | None:
    try:
        return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError):
        return None


def _p256dh(value: str) -> None:
    raw = _urlsafe_bytes(value)
    # An uncompressed P-256 point: 0x04, then 32 bytes of x and 32 of y.
    if raw is None or len(raw) != 65 or raw[0] != 4:
        raise ValidationError("must be the browser's P-256 public key (base64url, 65 bytes)")


def _auth(value: str) -> None:
    raw = _urlsafe_bytes(value)
    if raw is None or len(raw) != 16:
        raise ValidationError("must be the browser's 16-byte auth secret (base64url)")


class PushKeysSchema(Schema):
    p256dh = fields.String(required=True, validate=[validate.Length(max=100), _p256dh])
    auth = fields.String(required=True, validate=[validate.Length(max=40), _auth])


class PushSubscriptionSchema(Schema):
    """A subscription: where the push service takes messages for the device, and its keys."""

    endpoint = fields.String(required=True, validate=validate.Length(max=ENDPOINT_MAX))
    # Sent by browsers and not needed: a push service says when a subscription expired.
    expiration_time = fields.Raw(data_key="expirationTime", load_default=None, allow_none=True)
    keys = fields.Nested(PushKeysSchema, required=True)
    label = fields.String(
        load_default="This device",
        validate=validate.Length(1, LABEL_MAX, error=f"must be 1 to {LABEL_MAX} characters"),
    )

    def __init__(
        self, *, hosts: Sequence[str] = (), allow_local_http: bool = False, **kw: Any
    ) -> None:
        super().__init__(**kw)
        self.hosts, self.allow_local_http = hosts, allow_local_http

    @validates("endpoint")
    def _known_push_service(self, value: str, **_: Any) -> None:
        """The server posts to this URL, so it must be a browser's push service, not any
        address someone would like the server to call."""
        parts = urlsplit(value)
        host = (parts.hostname or "").lower()
        if parts.scheme == "http" and host in LOCAL_TEST_HOSTS and self.allow_local_http:
            return
        known = any(host == h or host.endswith("." + h) for h in self.hosts)
        if parts.scheme != "https" or not known:
            raise ValidationError("must be an https:// address of a browser's push service")


class DeviceSchema(Schema):
    id = fields.Integer()
    label = fields.String()
    created_at = fields.DateTime()


class DeviceListSchema(Schema):
    public_key = fields.String(
        metadata={"description": N_("the server's VAPID key, for pushManager.subscribe")}
    )
    devices = fields.List(fields.Nested(DeviceSchema))
