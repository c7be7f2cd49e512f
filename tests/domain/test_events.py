"""Ingest keeps raw events once and derives the mirror; rebuilding it gives the same state."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from kpi_engine.db import Base
from kpi_engine.org.models import User
from kpi_engine.org.reach import reach
from kpi_engine.sales.ingest import SalesEvent, ingest_events, rebuild_mirror, refusals
from kpi_engine.sales.models import Activity, Deal, RawEvent
from tests.factories import event, make_team, make_user

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def mirror(session: Session) -> list[Any]:
    """Everything a user could see of the mirror, in a comparable form."""
    session.expire_all()
    deals = [
        (
            d.crm_id, d.owner_id, d.stage, d.status, d.amount, d.product, d.created_at,
            d.engaged_at, d.closed_at,
            [(c.from_stage, c.to_stage, c.changed_at) for c in d.stage_changes],
        )
        for d in session.scalars(select(Deal).order_by(Deal.crm_id))
    ]  # fmt: skip
    activities = [
        (a.crm_id, a.rep_id, a.kind, a.outcome, a.deal_crm_id, a.occurred_at)
        for a in session.scalars(select(Activity).order_by(Activity.crm_id))
    ]
    return [deals, activities]


def test_a_repeated_id_is_a_duplicate_and_changes_nothing(session: Session) -> None:
    rep = make_user(session)
    first = event("deal.created", rep, T0, "k1", deal_id="D1", amount="10")
    assert len(ingest_events(session, [first]).accepted) == 1
    again = event("deal.created", rep, T0, "k1", deal_id="D1", amount="99")
    result = ingest_events(session, [again, again])
    assert result.duplicates == ["k1", "k1"] and not result.accepted
    assert session.scalar(select(Deal.amount)) == 10


def test_an_unknown_rep_is_rejected_with_the_reason(session: Session) -> None:
    make_user(session, email="ann@example.test")
    result = ingest_events(session, [event("deal.created", "nobody@x.test", T0, deal_id="D1")])
    assert result.rejected[0].index == 0
    assert "unknown rep" in result.rejected[0].errors["rep"][0]
    assert session.scalar(select(func.count(RawEvent.id))) == 0


def test_a_win_that_arrives_before_the_deal_still_ends_won(session: Session) -> None:
    rep = make_user(session)
    ingest_events(session, [event("deal.won", rep, T0 + timedelta(days=9), deal_id="D1")])
    created = event("deal.created", rep, T0, deal_id="D1", amount="500", stage="Qualify")
    result = ingest_events(session, [created])
    deal = session.scalar(select(Deal))
    assert deal is not None and deal.status == "won" and deal.amount == 500
    assert deal.created_at == T0
    # Still won, now worth 500: the game is told to score it again (tests/domain/test_event_order)
    [revalued] = result.deal_transitions
    assert (revalued.before, revalued.after, revalued.revalued) == ("won", "won", True)


def test_an_older_stage_change_does_not_overwrite_the_current_stage(session: Session) -> None:
    rep = make_user(session)
    ingest_events(session, [event("deal.created", rep, T0, deal_id="D1")])
    for days, stage in ((5, "Proposal"), (2, "Qualify")):
        at = T0 + timedelta(days=days)
        ingest_events(session, [event("deal.stage_changed", rep, at, deal_id="D1", stage=stage)])
    deal = session.scalar(select(Deal))
    assert deal is not None and deal.stage == "Proposal"
    assert [c.to_stage for c in deal.stage_changes] == ["Prospecting", "Qualify", "Proposal"]


def test_a_rep_may_record_only_their_own_events_and_a_manager_their_teams(
    session: Session,
) -> None:
    manager = make_user(session, app_role="manager")
    team = make_team(session, manager=manager)
    ann, bob = make_user(session, team=team), make_user(session, team=team)
    outsider = make_user(session)
    events = [event("activity.logged", u, T0, kind="call") for u in (ann, bob, outsider)]
    assert refusals(session, events, reach(session, ann)).keys() == {1, 2}
    assert refusals(session, events, reach(session, manager)).keys() == {2}
    admin = make_user(session, app_role="admin")
    assert refusals(session, events, reach(session, admin)) == {}


_TYPES = ["deal.created", "deal.updated", "deal.stage_changed", "deal.won", "deal.lost"]
_STAGES = ["Qualify", "Proposal", "Negotiation", "Closed Won", "Closed Lost"]
_deal_event = st.tuples(
    st.sampled_from(_TYPES),
    st.sampled_from(["D1", "D2", "D3"]),
    st.sampled_from(_STAGES),
    st.integers(0, 5000),
    st.sampled_from([0, 1]),
)
_activity = st.tuples(st.just("activity.logged"), st.sampled_from(["A1", "A2"]))


@st.composite
def deliveries(draw: st.DrawFn) -> tuple[list[tuple[Any, ...]], list[int], list[int]]:
    """Distinct-time events, the order they arrive in (with repeats), and the batch cuts."""
    events = draw(st.lists(st.one_of(_deal_event, _activity), min_size=1, max_size=14))
    order = draw(st.permutations(range(len(events))))
    repeats = draw(st.lists(st.sampled_from(range(len(events))), max_size=4))
    arrivals = list(order) + repeats
    cuts = draw(st.lists(st.integers(1, len(arrivals)), max_size=3))
    return events, arrivals, sorted(set(cuts))


def _sales_events(specs: list[tuple[Any, ...]], reps: list[User]) -> list[SalesEvent]:
    made = []
    for n, spec in enumerate(specs):
        at = T0 + timedelta(hours=n)
        if spec[0] == "activity.logged":
            made.append(
                event("activity.logged", reps[0], at, f"e{n}", activity_id=spec[1], kind="call")
            )
            continue
        type_, deal_id, stage, amount, owner = spec
        made.append(
            event(type_, reps[owner], at, f"e{n}", deal_id=deal_id, stage=stage, amount=amount)
        )
    return made


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(plan=deliveries())
def test_rebuild_gives_exactly_the_incremental_state(session: Session, plan: Any) -> None:
    for table in reversed(Base.metadata.sorted_tables):
        session.execute(delete(table))
    specs, arrivals, cuts = plan
    reps = [make_user(session), make_user(session)]
    events = _sales_events(specs, reps)
    stream = [events[i] for i in arrivals]
    for start, end in zip([0, *cuts], [*cuts, len(stream)], strict=True):
        ingest_events(session, stream[start:end])
    incremental = mirror(session)
    assert session.scalar(select(func.count(RawEvent.id))) == len(events)
    rebuild_mirror(session)
    assert mirror(session) == incremental
    for table in (RawEvent, Deal, Activity):
        session.execute(delete(table))
    ingest_events(session, events)
    assert mirror(session) == incremental
