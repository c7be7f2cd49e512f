"""Membership has a history: a rep who moves team keeps their past deals and activities in the
old team's past periods, while what they do after the move, and their deals still open, count for
the new team. Team and region scopes, and the split of a card by team, read it alike."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from kpi_engine.kpis.registry import REGISTRY
from kpi_engine.kpis.scorecards import breakdown, frames_for
from kpi_engine.org.history import teams_at
from kpi_engine.org.models import Team, User
from kpi_engine.org.people import change_person
from kpi_engine.periods import parse_period
from kpi_engine.sales.dataframes import Frames, Scope
from kpi_engine.sales.ingest import ingest_events
from tests.factories import event, make_team, make_user

MOVED_AT = datetime(2026, 4, 15, 9, 0, tzinfo=UTC)
NOW = datetime(2026, 7, 1, tzinfo=UTC)
H1 = "2026-01-01..2026-06-30"


def won(rep: User, deal: str, created: str, closed: str, amount: int) -> list:  # type: ignore[type-arg]
    return [
        event("deal.created", rep, f"{created}T10:00:00+00:00", deal_id=deal, stage="Prospecting"),
        event("deal.won", rep, f"{closed}T10:00:00+00:00", deal_id=deal, amount=str(amount)),
    ]


def revenue(session: Session, scope: str, period: str) -> float | None:
    kind, _, ref = scope.partition(":")
    frames = frames_for(session, Scope(kind, ref), parse_period(period), NOW)
    return REGISTRY["revenue_won"].formula(frames).value


@pytest.fixture
def moved(session: Session) -> tuple[Team, Team, User]:
    """Rita won a deal in East in Q1, moved to West in April, won one there in May, and has a
    deal from March still open; Bob stayed in East and won one in May."""
    east = make_team(session, "East", region="East")
    west = make_team(session, "West", region="West")
    rita = make_user(session, name="Rita", team=east)
    bob = make_user(session, name="Bob", team=east)
    admin = make_user(session, app_role="admin")
    still_open = event(
        "deal.created", rita, "2026-03-01T10:00:00+00:00", deal_id="R3", stage="Prospecting",
        amount="700",
    )  # fmt: skip
    early_call = event("activity.logged", rita, "2026-02-01T10:00:00+00:00", kind="call")
    ingest_events(session, [*won(rita, "R1", "2026-01-05", "2026-02-10", 1000), still_open,
                            early_call])  # fmt: skip
    change_person(session, rita.id, {"team_id": west.id}, actor=admin, now=MOVED_AT)
    late_call = event("activity.logged", rita, "2026-05-02T10:00:00+00:00", kind="call")
    ingest_events(
        session,
        [*won(rita, "R2", "2026-04-20", "2026-05-10", 500),
         *won(bob, "B1", "2026-04-02", "2026-05-01", 300), late_call],
    )  # fmt: skip
    return east, west, rita


def test_past_deals_stay_in_the_old_team_and_new_ones_count_for_the_new(
    session: Session, moved: tuple[Team, Team, User]
) -> None:
    east, west, _ = moved
    assert revenue(session, f"team:{east.id}", "2026-Q1") == 1000
    assert revenue(session, f"team:{west.id}", "2026-Q1") is None
    assert revenue(session, f"team:{east.id}", "2026-Q2") == 300
    assert revenue(session, f"team:{west.id}", "2026-Q2") == 500
    assert revenue(session, "region:East", H1) == 1300
    assert revenue(session, "region:West", H1) == 500
    assert revenue(session, "org", H1) == 1800


def test_activities_count_for_the_team_the_rep_was_in_that_day(
    session: Session, moved: tuple[Team, Team, User]
) -> None:
    east, west, _ = moved
    counts = {
        (team.name, quarter): REGISTRY["activities"]
        .formula(frames_for(session, Scope("team", str(team.id)), parse_period(quarter), NOW))
        .value
        for team in (east, west)
        for quarter in ("2026-Q1", "2026-Q2")
    }
    # A team with no activity in a period has no data there, not zero.
    assert counts == {("East", "2026-Q1"): 1, ("East", "2026-Q2"): None,
                      ("West", "2026-Q1"): None, ("West", "2026-Q2"): 1}  # fmt: skip


def test_an_open_deal_moves_with_its_owner(
    session: Session, moved: tuple[Team, Team, User]
) -> None:
    quarter = parse_period("2026-Q2")
    teams = moved[:2]
    frames = {t.name: Frames(session, Scope("team", str(t.id)), quarter, {}, NOW) for t in teams}
    open_in = {name: set(f.open_at_end()["amount"]) for name, f in frames.items()}
    assert open_in == {"East": set(), "West": {700.0}}


def test_a_card_split_by_team_gives_each_deal_to_the_team_of_its_close(
    session: Session, moved: tuple[Team, Team, User]
) -> None:
    slices = breakdown(session, Scope("org"), parse_period(H1), "team", NOW)
    assert {s.label: s.measures["revenue_won"].value for s in slices} == {
        "East": 1300, "West": 500,
    }  # fmt: skip


# Each rep's life: up to three moves at day offsets, each to a team (or none); their deals close
# at day offsets. A deal belongs to the team its owner was in on its close day.
lives = st.lists(
    st.tuples(
        st.lists(st.tuples(st.integers(1, 170), st.sampled_from([0, 1, 2, None])), max_size=3),
        st.lists(st.integers(0, 179), min_size=1, max_size=4),
    ),
    min_size=1,
    max_size=3,
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(lives=lives)
def test_every_deal_counts_once_for_the_team_its_owner_was_in_when_it_closed(
    session: Session, lives: list[tuple[list[tuple[int, int | None]], list[int]]]
) -> None:
    nested = session.begin_nested()
    try:
        teams = [make_team(session, f"T{n}") for n in range(3)]
        admin = make_user(session, app_role="admin")
        start = datetime(2026, 1, 1, tzinfo=UTC)
        expected: dict[int | None, float] = {}
        for n, (moves, closes) in enumerate(lives):
            rep = make_user(session, team=teams[0])
            timeline = [(start - timedelta(days=1), teams[0].id)]
            for day, team in sorted(set(moves), key=lambda m: m[0]):
                moment = start + timedelta(days=day, hours=12)
                team_id = None if team is None else teams[team].id
                change_person(session, rep.id, {"team_id": team_id}, actor=admin, now=moment)
                timeline.append((moment, rep.team_id))
            for k, day in enumerate(closes):
                closed = start + timedelta(days=day, hours=10)
                ingest_events(session, won(rep, f"D{n}-{k}", "2025-12-01",
                                           closed.date().isoformat(), 100 + k))  # fmt: skip
                team = [t for moment, t in timeline if moment <= closed][-1]
                expected[team] = expected.get(team, 0) + 100 + k
        half = parse_period("2026-01-01..2026-06-29")
        for team in teams:
            got = revenue(session, f"team:{team.id}", half.label)
            assert (got or 0) == expected.get(team.id, 0), team.name
        split = breakdown(session, Scope("org"), half, "team", NOW)
        named = {s.label: s.measures["revenue_won"].value for s in split}
        assert named == {t.name: expected[t.id] for t in teams if t.id in expected}
    finally:
        nested.rollback()


def test_teams_at_changes_only_the_rows_of_people_who_moved(session: Session) -> None:
    owners = pd.Series([1, 2])
    moments = pd.Series([pd.Timestamp("2026-01-01", tz="UTC"), pd.NaT])
    now = pd.Series([5, 6])
    assert teams_at(session, owners, moments, now) is now
