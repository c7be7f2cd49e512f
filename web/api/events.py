"""POST /api/v1/events: one sales event or a batch, idempotent, answered per event."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from flask import abort, current_app, jsonify, request
from flask_login import current_user

from kpi_engine.org.reach import Reach, reach
from kpi_engine.sales.ingest import IngestResult
from web.api import bp
from web.auth import bearer_token
from web.extensions import db, limiter
from web.ingest import ingest
from web.input_bounds import loads_json
from web.permissions import actor, login_required
from web.schemas.events import MAX_BATCH, batch_answer, event_items, load_events

DEFAULT_RATE_LIMIT = "600 per minute"


def _rate_limit() -> str:
    return current_app.config.get("EVENTS_RATE_LIMIT", DEFAULT_RATE_LIMIT)


def _client_key() -> str:
    """Limits count per API token (per user for browser sessions), not per address."""
    token = bearer_token()
    if token is not None:
        return "token:" + hashlib.sha256(token.encode()).hexdigest()
    return f"user:{current_user.get_id()}"


@bp.post("/events")
@login_required
@limiter.limit(_rate_limit, key_func=_client_key)
def post_events():
    answer, status = record_batch(json_body(), reach=reach(db.session(), actor()), source="api")
    return jsonify(answer), status


def json_body() -> Any:
    """The parsed JSON body: 413 above the size cap (raised by reading it), 400 if not JSON."""
    raw = request.get_data(cache=True)
    try:
        return loads_json(raw)
    except (UnicodeDecodeError, json.JSONDecodeError):
        abort(400, description="the body is not JSON")


def record_batch(body: Any, *, reach: Reach, source: str) -> tuple[dict[str, Any], int]:
    """Validate, ingest what the caller's reach covers (the ingest refuses the rest, naming
    why); the answer and its status."""
    items = event_items(body)
    if len(items) > MAX_BATCH:
        abort(413, description=f"at most {MAX_BATCH} events per request, got {len(items)}")
    valid, rejected = load_events(items)
    events = [e for _, e in valid]
    result = ingest(events, source=source, reach=reach) if events else IngestResult()
    answer = batch_answer(result, rejected, [pos for pos, _ in valid])
    return answer, 200 if answer["accepted"] or answer["duplicates"] else 422
