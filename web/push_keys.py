"""The server's VAPID key pair (RFC 8292): push services accept a message only when it is signed
by the key a subscription was made with, so the key must outlive restarts.

VAPID_PRIVATE_KEY sets it (PEM, or the base64url raw key that `web-push generate-vapid-keys` and
`vapid --gen` print); unset, one is generated on first use and kept in the instance folder
(`instance/vapid_private_key.pem`, readable by the owner only), as SECRET_KEY is. Changing the
key silently orphans every subscription: the phones must subscribe again.
"""

from __future__ import annotations

import base64
import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from flask import Flask, current_app
from py_vapid import Vapid, Vapid01

KEY_FILE = "vapid_private_key.pem"
EXTENSION = "salesquest.vapid"


def vapid(app: Flask | None = None) -> Vapid01:
    """The app's VAPID signer, read (or made) once per app."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    if EXTENSION not in app.extensions:
        configured = app.config.get("VAPID_PRIVATE_KEY")
        app.extensions[EXTENSION] = _parse(configured) if configured else _kept(app)
    signer: Vapid01 = app.extensions[EXTENSION]
    return signer


def application_server_key(app: Flask | None = None) -> str:
    """The public key as browsers' pushManager.subscribe wants it: base64url, no padding."""
    point = vapid(app).public_key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return base64.urlsafe_b64encode(point).rstrip(b"=").decode()


def _parse(text: str) -> Vapid01:
    text = text.strip()
    try:
        if text.startswith("-----BEGIN"):
            return Vapid.from_pem(text.encode())
        return Vapid.from_string(text)
    except ValueError as exc:  # binascii.Error is one too
        raise ValueError(
            "VAPID_PRIVATE_KEY is not a P-256 private key: give it as PEM, or as the base64url "
            f"raw key `web-push generate-vapid-keys` prints ({exc})"
        ) from exc


def _kept(app: Flask) -> Vapid01:
    path = Path(app.instance_path) / KEY_FILE
    if not path.exists():
        _make_once(path)
    return _parse(path.read_text())


def _make_once(path: Path) -> None:
    """Write a new key where none is; two processes starting at once keep the first one's."""
    path.parent.mkdir(parents=True, exist_ok=True)
    pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    draft = path.with_name(f"{path.name}.{os.getpid()}.new")
    draft.touch(mode=0o600)
    draft.write_bytes(pem)
    try:
        os.link(draft, path)  # atomic, and refuses to replace a key another process kept
    except FileExistsError:
        pass
    finally:
        draft.unlink()
