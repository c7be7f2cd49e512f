"""Shared set-up for the game engine's domain tests: an org, a challenge spec, an ingest."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from gameplay.core.changes import Changes
from gameplay.core.models import Challenge
from gameplay.manage.challenges import create_challenge, launch_challenge
from gameplay.scoring.engine import record_sales_events
from kpi_engine.org.models import User
from kpi_engine.sales.ingest import SalesEvent

START = datetime(2026, 3, 2, tzinfo=UTC)
END = datetime(2026, 3, 9, tzinfo=UTC)
BEFORE = datetime(2026, 2, 20, tzinfo=UTC)


def spec(team_ids: list[int], **overrides: Any) -> dict[str, Any]:
    """A leaderboard challenge for these teams, one week in March 2026, +10 per call."""
    base: dict[str, Any] = {
        "name": "March blitz",
        "kind": "prospecting",
        "format": "leaderboard",
        "starts_at": START,
        "ends_at": END,
        "timezone": "UTC",
        "audience": {"team_ids": team_ids, "sales_roles": [], "user_ids": []},
        "enrolment": "auto",
        "rules": [{"fact": "activity", "activity_kind": "call", "points": 10}],
        "missions": [],
        "rewards": [],
    }
    base.update(overrides)
    return base


def launched(session: Session, admin: User, **overrides: Any) -> Challenge:
    """Create and launch a challenge (before its start) from `spec` overrides."""
    team_ids = overrides.pop("team_ids", [])
    challenge = create_challenge(session, spec(team_ids, **overrides), admin, now=BEFORE)
    launch_challenge(session, challenge.id, admin, now=BEFORE)
    return challenge


def ingest(session: Session, *events: SalesEvent, now: datetime | None = None) -> Changes:
    """Record events as one delivery; returns the engine's Changes."""
    _, changes = record_sales_events(session, list(events), source="api", now=now or END)
    return changes
