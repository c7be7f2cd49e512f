"""New customers for the demo: won deals with accounts never won before, over the last months.

The CRM sample's 85 accounts were all customers within its first weeks, so on its own the demo
never wins a new customer in a recent quarter and customer acquisition cost (and LTV / CAC)
would have nothing to divide by. These deals go through the same ingest path as the sample's,
with a fixed seed and their own idempotency keys, so loading them again adds nothing.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from kpi_engine.org.models import User
from kpi_engine.sales.folds import FIRST_STAGE
from kpi_engine.sales.ingest import SalesEvent, ingest_events
from kpi_engine.sales.models import Deal

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
    wins = [
        (rep, _noon(today - timedelta(days=rng.randint(1, DAYS))))
        for rep in session.scalars(sellers)
        for _ in range(NEW_PER_REP)
    ]
    return win_new_customers(session, wins, key="demo-new", rng=rng)


def win_new_customers(
    session: Session,
    wins: Sequence[tuple[User, datetime]],
    *,
    key: str,
    rng: random.Random,
    suffix: str = "",
) -> int:
    """Ingest one won deal with a new account per (rep, closing moment); the key names the
    batch (idempotency keys and CRM ids), the suffix keeps its account names apart."""
    names = [f"{a}{b} {c}{suffix}" for a in _FIRST for b in _SECOND for c in _KINDS]
    rng.shuffle(names)
    events = []
    for number, (rep, closed) in enumerate(wins):
        events += _won_deal(f"{key}-{number + 1:03d}", names[number], rep, closed, rng)
    ingest_events(session, events, source="demo")
    return len(wins)


def _won_deal(
    deal_id: str, account: str, rep: User, closed: datetime, rng: random.Random
) -> list[SalesEvent]:
    created = closed - timedelta(days=rng.randint(10, 80))
    data = {
        "deal_id": deal_id,
        "account": account,
        "product": rng.choice(_PRODUCTS),
        "segment": rng.choice(_SECTORS),
        "currency": "USD",
        "stage": FIRST_STAGE,
    }
    won = {"deal_id": deal_id, "amount": str(rng.randrange(1_000, 6_000, 50))}
    rep_ref = rep.crm_user_id or rep.email
    return [
        SalesEvent(f"demo:{deal_id}:created", "deal.created", created, rep_ref, data),
        SalesEvent(f"demo:{deal_id}:closed", "deal.won", closed, rep_ref, won),
    ]


def _noon(day: date) -> datetime:
    return datetime.combine(day, time(17, 0), UTC)
