"""The sales event as integrations post it, and the batch answer (see DESIGN.md contract)."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate

from kpi_engine.sales.ingest import EVENT_TYPES, IngestResult, Rejection, SalesEvent
from web.error_words import in_words
from web.schemas.fields import Amount, BusinessAwareDateTime

MAX_BATCH = 1000


class EventDataSchema(Schema):
    """Every field an event's data may carry; which ones a type needs is the domain's rule."""

    deal_id = fields.String(validate=validate.Length(1, 120))
    activity_id = fields.String(validate=validate.Length(1, 120))
    account = fields.String(allow_none=True, validate=validate.Length(max=200))
    product = fields.String(allow_none=True, validate=validate.Length(max=200))
    segment = fields.String(allow_none=True, validate=validate.Length(max=120))
    source = fields.String(allow_none=True, validate=validate.Length(max=120))
    amount = Amount(allow_none=True)
    currency = fields.String(validate=validate.Regexp(r"^[A-Za-z]{3}$"))
    stage = fields.String(validate=validate.Length(1, 60))
    engaged_at = BusinessAwareDateTime()
    kind = fields.String()
    outcome = fields.String()
    note = fields.String(allow_none=True, validate=validate.Length(max=2000))


class EventSchema(Schema):
    id = fields.String(required=True, validate=validate.Length(1, 200))
    type = fields.String(required=True, validate=validate.OneOf(EVENT_TYPES))
    occurred_at = BusinessAwareDateTime(required=True)
    rep = fields.String(required=True, validate=validate.Length(1, 254))
    data = fields.Nested(EventDataSchema, load_default=dict)


def event_items(body: Any) -> list[Any]:
    """The events of a body: one event object, or {"events": [...]}; ValidationError otherwise."""
    if isinstance(body, dict) and set(body) == {"events"}:
        if not isinstance(body["events"], list) or not body["events"]:
            raise ValidationError({"events": ["must be a non-empty list of events"]})
        return list(body["events"])
    if isinstance(body, dict):
        return [body]
    raise ValidationError({"_schema": ['send one event object or {"events": [...]}']})


def load_events(items: list[Any]) -> tuple[list[tuple[int, SalesEvent]], list[Rejection]]:
    """Each valid item as (its index, SalesEvent); each invalid one as a Rejection."""
    valid: list[tuple[int, SalesEvent]] = []
    rejected: list[Rejection] = []
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            rejected.append(Rejection(index, None, {"_schema": ["an event is a JSON object"]}))
            continue
        key = item.get("id")
        try:
            loaded = EventSchema().load(item)
        except ValidationError as exc:
            rejected.append(Rejection(index, key if isinstance(key, str) else None, flat(exc)))
            continue
        valid.append((index, SalesEvent(**loaded)))
    return valid, rejected


def flat(exc: ValidationError) -> dict[str, list[str]]:
    """Nested marshmallow messages as {"data.amount": [...]}, the domain's field names."""
    messages = exc.messages if isinstance(exc.messages, dict) else {"_schema": exc.messages}
    return dict(_flatten(messages, ""))


def _flatten(messages: Any, prefix: str) -> list[tuple[str, list[str]]]:
    pairs: list[tuple[str, list[str]]] = []
    for name, value in messages.items():
        key = f"{prefix}{name}"
        if isinstance(value, dict):
            pairs.extend(_flatten(value, key + "."))
        else:
            pairs.append((key, [str(v) for v in value]))
    return pairs


def batch_answer(
    result: IngestResult, earlier: list[Rejection], positions: list[int]
) -> dict[str, Any]:
    """The contract's answer; the engine's rejections are renumbered to the posted positions."""
    moved = [Rejection(positions[r.index], r.id, r.errors) for r in result.rejected]
    rejected = sorted(earlier + moved, key=lambda r: r.index)
    return {
        "accepted": len(result.accepted),
        "duplicates": len(result.duplicates),
        "rejected": [
            {"index": r.index, "id": r.id, "errors": in_words(r.errors)} for r in rejected
        ],
    }
