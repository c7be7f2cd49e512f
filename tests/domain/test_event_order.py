"""A deal's points follow the deal as its events describe it, whatever order and batches the
events arrive in: live state, a rebuild and a replay in order agree."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session

from gameplay.core.models import LedgerEntry, MissionProgress, Participant
from gameplay.ops.rebuild import rebuild_game
from kpi_engine.sales.ingest import SalesEvent
from kpi_engine.sales.models import Deal, DealStageChange
from tests.domain.game_setup import END, START, ingest, launched
from tests.factories import make_team, make_user

RULES = [{"fact": "deal_won", "points": 50, "points_per_amount": "0.01"}]
MISSIONS = [
    {"name": "Win 2 deals", "fact": "deal_won", "target": 2, "points": 40},
    {"name": "Sell 5k", "fact": "deal_won", "measure": "sum", "target": 5000, "points": 30},
]


def _events(reps: list[Any], ops: list[tuple[str, int, int, int, int]]) -> list[SalesEvent]:
    types = {
        "created": "deal.created",
        "won": "deal.won",
        "lost": "deal.lost",
        "reopen": "deal.stage_changed",
        "amount": "deal.updated",
    }
    events = []
    for number, (kind, deal, rep, minutes, amount) in enumerate(ops):
        data: dict[str, Any] = {"deal_id": f"D{deal}"}
        if kind in ("created", "amount"):
            data["amount"] = amount
        if kind == "reopen":
            data["stage"] = "Negotiation"
        # Two events of one deal at the same instant have no order but their arrival; a second
        # apiece keeps "in order" meaning one thing.
        at = START + timedelta(minutes=minutes, seconds=number)
        events.append(SalesEvent(f"e{number}", types[kind], at, reps[rep].email, data))
    return events


def _world(session: Session) -> list[Any]:
    admin = make_user(session, app_role="admin")
    team = make_team(session)
    reps = [make_user(session, team=team) for _ in range(2)]
    launched(session, admin, team_ids=[team.id], rules=RULES, missions=MISSIONS)
    return reps


def _state(session: Session) -> dict[str, Any]:
    session.flush()
    session.expire_all()
    return {
        "points": sorted((p.user_id, p.points) for p in session.scalars(select(Participant))),
        "progress": sorted(
            (m.mission_id, m.user_id, m.value, m.completed_at is not None)
            for m in session.scalars(select(MissionProgress))
            if m.value or m.completed_at is not None  # progress undone to nothing is none
        ),
        "deals": sorted(
            (d.crm_id, d.owner_id, d.status, d.stage, d.amount, str(d.closed_at))
            for d in session.scalars(select(Deal))
        ),
        "history": sorted(
            (c.deal.crm_id, c.from_stage or "", c.to_stage, c.changed_at)
            for c in session.scalars(select(DealStageChange))
        ),
    }


def _played(session: Session, batches: list[list[SalesEvent]]) -> dict[str, Any]:
    for number, batch in enumerate(batches):
        ingest(session, *batch, now=END + timedelta(days=1, minutes=number))
    return _state(session)


def _in_batches(events: list[SalesEvent], seed: int) -> list[list[SalesEvent]]:
    """The events shuffled, then cut into batches of 1 to 3."""
    rng = random.Random(seed)
    shuffled = rng.sample(events, len(events))
    batches = []
    while shuffled:
        size = rng.randint(1, 3)
        batches.append(shuffled[:size])
        shuffled = shuffled[size:]
    return batches


def test_a_win_that_arrives_before_the_deal_is_scored_on_the_deal_s_amount(
    session: Session,
) -> None:
    reps = _world(session)
    created, won = _events(reps, [("created", 1, 0, 60, 5800), ("won", 1, 0, 120, 0)])
    ingest(session, won)
    ingest(session, created)
    late = _state(session)
    assert late["points"][0][1] == 50 + 58 + 30  # the rule on 5,800, and "Sell 5k"
    rebuild_game(session, now=END + timedelta(days=3))
    assert _state(session) == late


def test_a_won_deal_moved_to_another_rep_moves_its_points(session: Session) -> None:
    reps = _world(session)
    created, won, moved = _events(
        reps, [("created", 1, 0, 60, 1000), ("won", 1, 0, 120, 0), ("amount", 1, 1, 180, 1000)]
    )
    ingest(session, created, won)
    ingest(session, moved)
    points = dict(_state(session)["points"])
    assert points == {reps[0].id: 0, reps[1].id: 60}


def test_an_amount_the_database_rounds_does_not_rescore_the_deal(session: Session) -> None:
    reps = _world(session)
    created, won, again = _events(
        reps, [("created", 1, 0, 60, 0), ("won", 1, 0, 120, 0), ("amount", 1, 0, 180, 0)]
    )
    created.data["amount"] = again.data["amount"] = "1000.004"
    ingest(session, created, won)
    ingest(session, again)
    assert {e.kind for e in session.scalars(select(LedgerEntry))} == {"rule"}


operations = st.lists(
    st.tuples(
        st.sampled_from(["created", "won", "lost", "reopen", "amount"]),
        st.integers(0, 2),  # deal
        st.integers(0, 1),  # rep
        st.integers(0, 6 * 24 * 60),  # minutes from the start: inside the challenge's week
        st.integers(0, 9000),  # amount
    ),
    min_size=1,
    max_size=9,
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(ops=operations, seed=st.integers(0, 10_000))
def test_any_arrival_order_ends_as_the_events_in_order(session: Session, ops, seed) -> None:
    in_order: dict[str, Any] = {}
    for arrival in ("in order", "shuffled"):
        nested = session.begin_nested()
        try:
            events = _events(_world(session), ops)
            if arrival == "in order":
                ordered = sorted(events, key=lambda e: e.occurred_at)
                in_order = _played(session, [[e] for e in ordered])
                continue
            live = _played(session, _in_batches(events, seed))
            rebuild_game(session, now=END + timedelta(days=3))
            rebuilt = _state(session)
        finally:
            nested.rollback()
    assert _without_ids(live) == _without_ids(in_order)
    assert rebuilt == live


def _without_ids(state: dict[str, Any]) -> dict[str, Any]:
    """The two worlds have their own user, mission and deal ids: compare by position."""
    users = sorted({u for u, _ in state["points"]})
    missions = sorted({m for m, *_ in state["progress"]})
    return {
        "points": [(users.index(u), p) for u, p in state["points"]],
        "progress": [
            (missions.index(m), users.index(u), *rest) for m, u, *rest in state["progress"]
        ],
        "deals": [(c, users.index(o), *rest) for c, o, *rest in state["deals"]],
        "history": state["history"],
    }
