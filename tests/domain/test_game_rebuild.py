"""Rebuilding the game from the raw events gives exactly the state the incremental path built,
whatever the events: duplicates, reversals, out-of-order arrivals, events outside the window."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session

from gameplay.core.models import Challenge, LedgerEntry, MissionProgress, Participant, PlayerProfile
from gameplay.core.standings import recompute_ranks
from gameplay.ops.rebuild import rebuild_game
from kpi_engine.org.models import User
from kpi_engine.sales.ingest import SalesEvent
from tests.domain.game_setup import END, START, ingest, launched
from tests.factories import make_team, make_user

RULES = [
    {
        "fact": "activity",
        "activity_kind": "call",
        "points": 5,
        "daily_cap": 20,
        "min_gap_minutes": 30,
    },
    {"fact": "activity", "outcome": "meeting_booked", "points": 10},
    {"fact": "deal_won", "points": 100, "points_per_amount": "0.01"},
]
MISSIONS = [
    {
        "name": "Make 3 calls",
        "fact": "activity",
        "activity_kind": "call",
        "target": 3,
        "points": 15,
    },
    {"name": "Win 2 deals", "fact": "deal_won", "target": 2, "points": 50},
    {"name": "Sell 5k", "fact": "deal_won", "measure": "sum", "target": 5000, "points": 30},
]
SPAN_MINUTES = int((END - START).total_seconds() // 60)

operations = st.tuples(
    st.sampled_from(["call", "meeting", "won", "lost", "reopen"]),
    st.integers(0, 2),  # rep, or deal number for deal operations
    st.integers(-2 * 24 * 60, SPAN_MINUTES + 2 * 24 * 60),  # minutes from the start
    st.integers(0, 30),  # idempotency key: a small pool makes duplicates
    st.integers(0, 4000),  # amount
)
deliveries = st.lists(st.lists(operations, min_size=1, max_size=6), min_size=1, max_size=8)


def _event(op: tuple[str, int, int, int, int], reps: list[Any], batch: int) -> SalesEvent:
    kind, who, minutes, key, amount = op
    at = START + timedelta(minutes=minutes)
    if kind in ("call", "meeting"):
        outcome = "meeting_booked" if kind == "meeting" else "connected"
        data: dict[str, Any] = {"kind": "call", "outcome": outcome}
        return SalesEvent(f"k{key}", "activity.logged", at, reps[who].email, data)
    deal = {"deal_id": f"D{who}", "amount": amount}
    types = {"won": "deal.won", "lost": "deal.lost", "reopen": "deal.stage_changed"}
    if kind == "reopen":
        deal["stage"] = "Negotiation"
    return SalesEvent(f"k{key}", types[kind], at, reps[who].email, deal)


def _snapshot(session: Session) -> dict[str, Any]:
    session.flush()
    session.expire_all()
    return {
        "standings": sorted(
            (p.challenge_id, p.user_id, p.points, p.rank, p.reached_at, p.target_reached_at)
            for p in session.scalars(select(Participant))
        ),
        "progress": sorted(
            (m.mission_id, m.user_id, m.value, m.completed_at)
            for m in session.scalars(select(MissionProgress))
        ),
        "ledger": sorted(
            (
                e.challenge_id,
                e.user_id,
                e.points,
                e.kind,
                e.rule_id or 0,
                e.mission_id or 0,
                e.source_ref or "",
                e.occurred_at,
            )
            for e in session.scalars(select(LedgerEntry))
        ),
        "lifetime": sorted(
            (p.user_id, p.lifetime_points) for p in session.scalars(select(PlayerProfile))
        ),
    }


def play(session: Session, batches: list[list[Any]]) -> tuple[User, list[Challenge]]:
    """Three reps in two challenges (a race with missions, and a board on Tokyo time whose
    window is shifted), after these deliveries: the admin and the challenges."""
    admin = make_user(session, app_role="admin")
    team = make_team(session)
    reps = [make_user(session, team=team) for _ in range(3)]
    race = launched(
        session, admin, team_ids=[team.id], rules=RULES, missions=MISSIONS,
        format="race", target=150,
    )  # fmt: skip
    board = launched(
        session, admin, team_ids=[team.id], rules=RULES[:2], timezone="Asia/Tokyo",
        starts_at=START + timedelta(days=2), ends_at=END + timedelta(days=1),
    )  # fmt: skip
    for number, batch in enumerate(batches):
        now = END + timedelta(days=1, minutes=number)
        ingest(session, *[_event(op, reps, number) for op in batch], now=now)
    return admin, [race, board]


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(batches=deliveries)
def test_rebuild_from_raw_events_equals_the_incremental_state(session: Session, batches) -> None:
    nested = session.begin_nested()
    try:
        play(session, batches)
        incremental = _snapshot(session)
        rebuild_game(session, now=END + timedelta(days=3))
        assert _snapshot(session) == incremental
    finally:
        nested.rollback()


def test_incrementally_kept_ranks_equal_ranks_computed_from_scratch(session: Session) -> None:
    admin = make_user(session, app_role="admin")
    team = make_team(session)
    reps = [make_user(session, team=team) for _ in range(5)]
    challenge = launched(session, admin, team_ids=[team.id], rules=RULES)
    for number, who in enumerate([0, 1, 1, 2, 3, 3, 3, 0, 4, 1]):
        at = datetime(2026, 3, 3, 9, tzinfo=START.tzinfo) + timedelta(hours=number)
        op = ("call", who, int((at - START).total_seconds() // 60), 100 + number, 0)
        ingest(session, _event(op, reps, 0))
    kept = sorted((p.user_id, p.rank) for p in session.scalars(select(Participant)))
    recompute_ranks(session, challenge.id)
    assert sorted((p.user_id, p.rank) for p in session.scalars(select(Participant))) == kept


def test_ranks_stay_right_when_reps_overtake_each_other_in_one_delivery(session: Session) -> None:
    admin = make_user(session, app_role="admin")
    team = make_team(session)
    reps = [make_user(session, team=team) for _ in range(4)]
    challenge = launched(session, admin, team_ids=[team.id], rules=RULES)
    order = [0, 1, 2, 1, 3, 0, 2, 2, 3, 3, 3, 1]
    events = []
    for number, who in enumerate(order):
        minutes = 24 * 60 + 45 * number
        events.append(_event(("call", who, minutes, 200 + number, 0), reps, 0))
    ingest(session, *events)
    session.expire_all()
    kept = sorted((p.user_id, p.points, p.rank) for p in session.scalars(select(Participant)))
    recompute_ranks(session, challenge.id)
    fresh = session.scalars(select(Participant).execution_options(populate_existing=True))
    assert sorted((p.user_id, p.points, p.rank) for p in fresh) == kept
