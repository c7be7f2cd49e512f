"""A local stand-in for a browser's push service (FCM, Mozilla, Apple), started by the test, and
the browser's half of Web Push: a device's keys, and reading what arrives with them.

Nothing here uses the library the server sends with: the message is decrypted by RFC 8291
(aes128gcm, RFC 8188) and the VAPID token checked by RFC 8292 with `cryptography` alone, so a
test passes only if a real browser could read the push and a real push service would take it.
"""

from __future__ import annotations

import base64
import json
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _point(key: ec.EllipticCurvePublicKey) -> bytes:
    return key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )


@dataclass
class BrowserKeys:
    """What pushManager.subscribe makes on a device: a P-256 key pair and an auth secret."""

    private: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1())
    )
    auth: bytes = field(default_factory=lambda: os.urandom(16))

    def subscription(self, endpoint: str, **extra: Any) -> dict[str, Any]:
        """PushSubscription.toJSON() as the browser hands it to the page's script."""
        keys = {"p256dh": b64url(_point(self.private.public_key())), "auth": b64url(self.auth)}
        return {"endpoint": endpoint, "expirationTime": None, "keys": keys, **extra}

    def decrypt(self, body: bytes) -> bytes:
        """Open an aes128gcm message (RFC 8291 keys, RFC 8188 framing), as the browser does."""
        salt, record_size, id_length = body[:16], int.from_bytes(body[16:20]), body[20]
        sender = body[21 : 21 + id_length]
        records = body[21 + id_length :]
        assert len(records) <= record_size, "one record holds a push message"
        secret = self.private.exchange(
            ec.ECDH(), ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), sender)
        )
        info = b"WebPush: info\0" + _point(self.private.public_key()) + sender
        ikm = HKDF(hashes.SHA256(), 32, self.auth, info).derive(secret)
        key = HKDF(hashes.SHA256(), 16, salt, b"Content-Encoding: aes128gcm\0").derive(ikm)
        nonce = HKDF(hashes.SHA256(), 12, salt, b"Content-Encoding: nonce\0").derive(ikm)
        padded = AESGCM(key).decrypt(nonce, records, None).rstrip(b"\0")
        assert padded.endswith(b"\x02"), "the last record ends with the delimiter 0x02"
        return padded[:-1]


def vapid_claims(authorization: str, public_key: str) -> dict[str, Any]:
    """The claims of a `vapid t=<jwt>, k=<key>` header (RFC 8292) after checking that `k` is
    the server's public key and the JWT's ES256 signature verifies with it."""
    scheme, _, params = authorization.partition(" ")
    assert scheme.lower() == "vapid", authorization
    parts = dict(p.strip().split("=", 1) for p in params.split(","))
    assert parts["k"] == public_key, "the push service is shown the server's own key"
    header, claims, signature = parts["t"].split(".")
    assert json.loads(unb64url(header)) == {"typ": "JWT", "alg": "ES256"}
    raw = unb64url(signature)
    der = encode_dss_signature(int.from_bytes(raw[:32]), int.from_bytes(raw[32:]))
    key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64url(public_key))
    key.verify(der, f"{header}.{claims}".encode(), ec.ECDSA(hashes.SHA256()))
    result: dict[str, Any] = json.loads(unb64url(claims))
    return result


@dataclass(frozen=True)
class PushRequest:
    path: str
    headers: dict[str, str]
    body: bytes


class PushService:
    """Records each POST by path; answers 201, or the statuses queued for a path first."""

    def __init__(self) -> None:
        self.requests: list[PushRequest] = []
        self.answers: dict[str, list[int]] = {}
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                headers = {k.lower(): v for k, v in self.headers.items()}
                service.requests.append(PushRequest(self.path, headers, body))
                queued = service.answers.get(self.path) or [201]
                status = queued.pop(0) if len(queued) > 1 else queued[0]
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def wait_for(self, count: int, seconds: float = 5.0) -> list[PushRequest]:
        deadline = time.monotonic() + seconds
        while len(self.requests) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.requests


@pytest.fixture(name="push_service")
def push_service_fixture() -> Iterator[PushService]:
    """A push service on a free local port, for one test."""
    service = PushService()
    thread = threading.Thread(target=service.server.serve_forever, daemon=True)
    thread.start()
    yield service
    service.server.shutdown()
    service.server.server_close()
