"""POST /api/v1/webhooks/crm: CRM pushes, signed with the shared WEBHOOK_SECRET.

The signature is HMAC-SHA256 over `<timestamp>.<raw body>`: binding the timestamp into what is
signed is what makes the tolerance window a defence against replays, since a captured request
cannot be resent with a fresh timestamp. A replay inside the window changes nothing either: its
events carry the ids already stored. See docs/webhooks.md.
"""

from __future__ import annotations

import hashlib
import hmac
import time

from flask import abort, current_app, jsonify, request

from kpi_engine.org.reach import EVERYONE
from web.api import bp
from web.api.events import json_body, record_batch
from web.extensions import csrf

SIGNATURE_HEADER = "X-SalesQuest-Signature"
TIMESTAMP_HEADER = "X-SalesQuest-Timestamp"
DEFAULT_TOLERANCE_SECONDS = 300
MAX_TIMESTAMP_DIGITS = 12  # Unix seconds until the year 33658; more overflows a float


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """The header value a sender computes: `sha256=` and the hex HMAC of `<timestamp>.<body>`."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


def verify_delivery(body: bytes, timestamp: str, signed: str, *, now: float) -> None:
    """Abort with 401 unless the delivery is signed with our secret and recent enough."""
    secret = current_app.config.get("WEBHOOK_SECRET")
    if not secret:
        abort(503, description="the CRM webhook is off: set WEBHOOK_SECRET to turn it on")
    if not timestamp.isdigit() or len(timestamp) > MAX_TIMESTAMP_DIGITS:
        digits = f"at most {MAX_TIMESTAMP_DIGITS} digits"
        abort(401, description=f"the {TIMESTAMP_HEADER} header must be Unix seconds, {digits}")
    tolerance = current_app.config.get("WEBHOOK_TOLERANCE_SECONDS", DEFAULT_TOLERANCE_SECONDS)
    if abs(now - int(timestamp)) > tolerance:
        abort(401, description=f"the timestamp is more than {tolerance} seconds from now")
    if not hmac.compare_digest(signature(secret, timestamp, body), signed):
        abort(401, description=f"the {SIGNATURE_HEADER} header does not match the body")


@bp.post("/webhooks/crm")
@csrf.exempt  # the HMAC signature authenticates the sender; there is no browser session
def crm_webhook():
    body = request.get_data(cache=True)
    headers = request.headers
    verify_delivery(
        body, headers.get(TIMESTAMP_HEADER, ""), headers.get(SIGNATURE_HEADER, ""), now=time.time()
    )
    # A signed delivery is the CRM itself, the source of truth for who owns what.
    answer, status = record_batch(json_body(), reach=EVERYONE, source="webhook")
    return jsonify(answer), status
