"""New customers for the demo: won deals with accounts never won before, over the last months.

The CRM sample's 85 accounts were all customers within its first weeks, so on its own the demo
never wins a new customer in a recent quarter and customer acquisition cost (and LTV / CAC)
would have nothing to divide by. These deals go through the same ingest path as the sample's,
with a fixed seed and their own idempotency keys, so loading them again adds nothing.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from kpi_engine.events import SalesEvent, ingest_events
from kpi_engine.models import Deal, User

NEW_PER_REP = 4  # new customers each rep with a track record won over the last DAYS
DAYS = 150
_FIRST = ("North", "Blue", "Silver", "Bright", "Lake", "Stone", "Red", "Oak", "Iron", "Clear")
_SECOND = ("wind", "ridge", "field", "harbor", "gate", "point", "brook", "crest", "vale", "mark")
_KINDS = ("Labs", "Systems", "Foods", "Logistics", "Health", "Energy", "Retail", "Media")
_PRODUCTS = ("GTX Basic", "GTX Pro", "MG Special", "MG Advanced", "GTX Plus Basic")
_SECTORS = ("technology", "medical", "retail", "software", "finance", "marketing", "services")


def add_new_customers(session: Session, *, today: date, seed: int = 11) -> int:
    """Win a few new accounts for each rep who already has won deals; returns how many deals."""
    rng = random.Random(seed)
    sellers = (
        select(User)
        .where(User.app_role == "rep", User.id.in_(select(Deal.owner_id)))
        .order_by(User.id)
    )
    events = list(_events(list(session.scalars(sellers)), today, rng))
    ingest_events(session, events, source="demo")
    return len(events) // 2


def _events(reps: list[User], today: date, rng: random.Random) -> Iterator[SalesEvent]:
    names = [f"{a}{b} {c}" for a in _FIRST for b in _SECOND for c in _KINDS]
    rng.shuffle(names)
    for number, rep in enumerate(r for r in reps for _ in range(NEW_PER_REP)):
        closed = _noon(today - timedelta(days=rng.randint(1, DAYS)))
        created = closed - timedelta(days=rng.randint(10, 80))
        deal_id = f"demo-new-{number + 1:03d}"
        data = {
            "deal_id": deal_id,
            "account": names[number],
            "product": rng.choice(_PRODUCTS),
            "segment": rng.choice(_SECTORS),
            "currency": "USD",
            "stage": "Prospecting",
        }
        won = {"deal_id": deal_id, "amount": str(rng.randrange(1_000, 6_000, 50))}
        rep_ref = rep.crm_user_id or rep.email
        yield SalesEvent(f"demo:{deal_id}:created", "deal.created", created, rep_ref, data)
        yield SalesEvent(f"demo:{deal_id}:closed", "deal.won", closed, rep_ref, won)


def _noon(day: date) -> datetime:
    return datetime.combine(day, time(17, 0), UTC)
