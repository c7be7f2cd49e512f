"""What a subject's raw events say: a deal is the fold of its events in occurred_at order (its
row and its stage history), an activity is its latest event. Plain functions of the events, so
the mirror and the game's rebuild derive exactly the same thing."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, NamedTuple

from kpi_engine.sales.models import Deal
from kpi_engine.words import N_

DEAL_FIELDS = ("account", "product", "segment", "source", "amount", "currency")
DEAL_COLUMNS = tuple(c.name for c in Deal.__table__.columns if c.name != "id")
WON_STAGES = {"won", "closed won", "closedwon"}
LOST_STAGES = {"lost", "closed lost", "closedlost"}
# The stage names the product gives a deal whose events name none (the sample CRM's own): marked
# for the catalogue, so a page shows them in the reader's language; a CRM's other stage names
# show as they are.
FIRST_STAGE, ENGAGED_STAGE = N_("Prospecting"), N_("Engaging")
WON_STAGE, LOST_STAGE = N_("Won"), N_("Lost")


class StoredEvent(NamedTuple):
    """A raw event as stored (the columns of raw_event, in order): what the mirror folds."""

    id: int
    idempotency_key: str
    type: str
    rep_id: int
    subject: str
    occurred_at: datetime
    occurred_on: date | None
    received_at: datetime
    source: str
    payload: dict[str, Any]


Stage = tuple[str | None, str, datetime]  # (from, to, when): one row of a deal's stage history


@dataclass(slots=True)
class FoldedDeal:
    """A deal as its raw events leave it: the deal row's columns and its stage history."""

    crm_id: str
    owner_id: int
    created_at: datetime | None
    created_on: date | None
    updated_at: datetime
    account: str | None = None
    product: str | None = None
    segment: str | None = None
    source: str | None = None
    amount: Decimal | None = None
    currency: str = "USD"
    stage: str = ""
    status: str = "open"
    engaged_at: datetime | None = None
    engaged_on: date | None = None
    closed_at: datetime | None = None
    closed_on: date | None = None
    history: list[Stage] = field(default_factory=list)

    def row(self) -> dict[str, Any]:
        """The deal table's columns (all but the id)."""
        return {name: getattr(self, name) for name in DEAL_COLUMNS}


class NewActivity(NamedTuple):
    """An activity as this ingest inserted it (the activity table's columns but the id)."""

    crm_id: str
    rep_id: int
    kind: str
    outcome: str
    deal_crm_id: str | None
    note: str | None
    occurred_at: datetime


WinTerms = tuple[int, datetime | None, Decimal | None, str | None, str | None, str | None]
CENT = Decimal("0.01")


def win_terms(
    owner_id: int,
    closed_at: datetime | None,
    amount: Decimal | None,
    product: str | None,
    segment: str | None,
    account: str | None,
) -> WinTerms:
    """What a won deal's credit depends on: who won it, when, for how much, and what it was.

    The amount is compared as the deal table keeps it (to the cent), so an amount the column
    rounds (half up, as both databases do) does not read as a change on every later event."""
    cents = amount.quantize(CENT, ROUND_HALF_UP) if amount is not None else None
    return (owner_id, closed_at, cents, product, segment, account)


def terms_of(deal: FoldedDeal) -> WinTerms:
    return win_terms(
        deal.owner_id, deal.closed_at, deal.amount, deal.product, deal.segment, deal.account
    )


def stage_status(stage: str) -> str:
    """The status a CRM stage name stands for: won, lost, or open."""
    name = stage.strip().lower()
    if name in WON_STAGES:
        return "won"
    if name in LOST_STAGES:
        return "lost"
    return "open"


def fold_deal(raws: Sequence[StoredEvent], aliases: dict[str, str], now: datetime) -> FoldedDeal:
    """The deal its raw events (in occurred_at order) describe, with its stage history."""
    first = raws[0]
    deal = FoldedDeal(first.subject, first.rep_id, *_dated(first), now)
    for raw in raws:
        data = raw.payload["data"]
        deal.owner_id = raw.rep_id
        for name in DEAL_FIELDS:
            if data.get(name) is not None:
                setattr(deal, name, _deal_value(name, data[name], aliases))
        if raw.type == "deal.created":
            deal.created_at, deal.created_on = _dated(raw)
        if data.get("engaged_at"):
            deal.engaged_at = datetime.fromisoformat(data["engaged_at"])
            deal.engaged_on = date.fromisoformat(data["engaged_on"])
        stage = _stage_of(raw, deal.stage)
        if stage and stage != deal.stage:
            deal.history.append((deal.stage or None, stage, raw.occurred_at))
            _enter_stage(deal, stage, raw)
    if not deal.stage:
        deal.stage = FIRST_STAGE
    return deal


def _dated(raw: StoredEvent) -> tuple[datetime | None, date | None]:
    """The instant and the day a raw event dates its fact by; neither for an undated one, whose
    occurred_at only placed it among its deal's events."""
    if raw.occurred_on is None:
        return None, None
    return raw.occurred_at, raw.occurred_on


def _stage_of(raw: StoredEvent, current: str) -> str | None:
    stage = raw.payload["data"].get("stage")
    if raw.type == "deal.won":
        return stage if stage and stage_status(stage) == "won" else WON_STAGE
    if raw.type == "deal.lost":
        return stage if stage and stage_status(stage) == "lost" else LOST_STAGE
    if raw.type == "deal.created":
        return stage or current or FIRST_STAGE
    return stage


def _enter_stage(deal: FoldedDeal, stage: str, raw: StoredEvent) -> None:
    previous = deal.stage
    deal.stage = stage
    deal.status = stage_status(stage)
    deal.closed_at, deal.closed_on = _dated(raw) if deal.status != "open" else (None, None)
    if previous and deal.engaged_at is None and deal.status == "open":
        deal.engaged_at, deal.engaged_on = _dated(raw)


def _deal_value(name: str, value: Any, aliases: dict[str, str]) -> Any:
    if name == "amount":
        return Decimal(str(value))
    if name == "product":
        return aliases.get(value, value)
    if name == "currency":
        return str(value).upper()
    return value


def activity_of(raws: Sequence[StoredEvent]) -> NewActivity:
    """An activity is what its latest raw event (in occurred_at order) says."""
    latest = raws[-1]
    data = latest.payload["data"]
    return NewActivity(
        crm_id=latest.subject,
        rep_id=latest.rep_id,
        kind=data["kind"],
        outcome=data.get("outcome") or "none",
        deal_crm_id=data.get("deal_id"),
        note=data.get("note"),
        occurred_at=latest.occurred_at,
    )
