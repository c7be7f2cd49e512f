"""The server's VAPID key: kept in the instance folder when not configured (the same key after a
restart, readable by the owner only), taken from VAPID_PRIVATE_KEY when it is, and a configured
key that does not parse stops the start instead of the first push."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from tests.conftest import make_app
from tests.push_service import b64url
from web.push_keys import KEY_FILE, application_server_key


def test_an_unset_key_is_made_once_and_kept_in_the_instance_folder(
    database_url: str, tmp_path: Path
) -> None:
    first, second = make_app(database_url), make_app(database_url)
    first.instance_path = second.instance_path = str(tmp_path)
    key = application_server_key(first)
    assert application_server_key(second) == key, "a restarted server signs with the same key"
    kept = tmp_path / KEY_FILE
    assert kept.read_text().startswith("-----BEGIN PRIVATE KEY-----")
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == [KEY_FILE]


def test_a_configured_key_is_used_as_given(database_url: str) -> None:
    private = ec.generate_private_key(ec.SECP256R1())
    raw = b64url(private.private_numbers().private_value.to_bytes(32, "big"))
    public = private.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    app = make_app(database_url, VAPID_PRIVATE_KEY=raw)
    assert application_server_key(app) == b64url(public)


def test_a_configured_key_that_does_not_parse_stops_the_start(database_url: str) -> None:
    for bad in ("not-a-key", "-----BEGIN PRIVATE KEY-----\nxx\n-----END PRIVATE KEY-----"):
        with pytest.raises(ValueError, match="VAPID_PRIVATE_KEY is not a P-256 private key"):
            make_app(database_url, VAPID_PRIVATE_KEY=bad)
