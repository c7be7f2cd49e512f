"""Scoring rules: fixed and proportional points, multipliers, daily caps, minimum gaps,
reversals of won deals, the window's edges in a non-UTC time zone, and late arrivals."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from gameplay.core.enrollment import participant_for
from gameplay.core.models import LedgerEntry
from tests.domain.game_setup import END, ingest, launched
from tests.factories import event, make_team, make_user


def _org(session: Session):
    admin = make_user(session, app_role="admin")
    team = make_team(session)
    rep = make_user(session, team=team)
    return admin, team, rep


def _points(session: Session, challenge_id: int, user_id: int) -> int:
    participant = participant_for(session, challenge_id, user_id)
    assert participant is not None
    return participant.points


def test_each_matching_call_earns_the_rule_points(session: Session) -> None:
    admin, team, rep = _org(session)
    challenge = launched(session, admin, team_ids=[team.id])
    ingest(
        session,
        event("activity.logged", rep, "2026-03-03T10:00:00+00:00", kind="call"),
        event("activity.logged", rep, "2026-03-03T11:00:00+00:00", kind="email"),
    )
    assert _points(session, challenge.id, rep.id) == 10


def test_daily_cap_stops_points_for_the_rest_of_the_day_only(session: Session) -> None:
    admin, team, rep = _org(session)
    rules = [{"fact": "activity", "activity_kind": "call", "points": 10, "daily_cap": 25}]
    challenge = launched(session, admin, team_ids=[team.id], rules=rules)
    calls = [
        event("activity.logged", rep, f"2026-03-03T1{h}:00:00+00:00", kind="call") for h in range(4)
    ]
    ingest(session, *calls, event("activity.logged", rep, "2026-03-04T09:00:00+00:00", kind="call"))
    assert _points(session, challenge.id, rep.id) == 25 + 10


def test_daily_cap_counts_days_in_the_challenge_time_zone(session: Session) -> None:
    admin, team, rep = _org(session)
    rules = [{"fact": "activity", "activity_kind": "call", "points": 10, "daily_cap": 10}]
    challenge = launched(
        session, admin, team_ids=[team.id], rules=rules, timezone="America/New_York"
    )
    # 23:30 and 02:30 UTC are the same New York evening: one capped day.
    ingest(
        session,
        event("activity.logged", rep, "2026-03-03T23:30:00+00:00", kind="call"),
        event("activity.logged", rep, "2026-03-04T02:30:00+00:00", kind="call"),
    )
    assert _points(session, challenge.id, rep.id) == 10


def test_identical_actions_inside_the_minimum_gap_earn_nothing(session: Session) -> None:
    admin, team, rep = _org(session)
    rules = [{"fact": "activity", "activity_kind": "call", "points": 5, "min_gap_minutes": 10}]
    challenge = launched(session, admin, team_ids=[team.id], rules=rules)
    times = ["10:00", "10:03", "10:09", "10:11"]
    ingest(
        session,
        *[event("activity.logged", rep, f"2026-03-03T{t}:00+00:00", kind="call") for t in times],
    )
    assert _points(session, challenge.id, rep.id) == 10


def test_won_deal_points_are_proportional_to_amount_with_filters(session: Session) -> None:
    admin, team, rep = _org(session)
    rules = [
        {"fact": "deal_won", "product": "GTX Pro", "min_amount": 1000, "points_per_amount": "0.01"}
    ]
    challenge = launched(session, admin, team_ids=[team.id], rules=rules)
    ingest(
        session,
        event(
            "deal.won",
            rep,
            "2026-03-03T10:00:00+00:00",
            deal_id="D1",
            product="GTX Pro",
            amount=4500,
        ),
        event(
            "deal.won",
            rep,
            "2026-03-03T11:00:00+00:00",
            deal_id="D2",
            product="GTX Pro",
            amount=900,
        ),
        event(
            "deal.won",
            rep,
            "2026-03-03T12:00:00+00:00",
            deal_id="D3",
            product="MG Special",
            amount=9000,
        ),
    )
    assert _points(session, challenge.id, rep.id) == 45


def test_time_boxed_multiplier_applies_only_inside_its_hours(session: Session) -> None:
    admin, team, rep = _org(session)
    rule = {
        "fact": "activity",
        "activity_kind": "call",
        "points": 10,
        "multiplier": 2,
        "multiplier_from": END.replace(day=3, hour=9),
        "multiplier_until": END.replace(day=3, hour=12),
    }
    challenge = launched(session, admin, team_ids=[team.id], rules=[rule])
    ingest(
        session,
        event("activity.logged", rep, "2026-03-03T10:00:00+00:00", kind="call"),
        event("activity.logged", rep, "2026-03-03T13:00:00+00:00", kind="call"),
    )
    assert _points(session, challenge.id, rep.id) == 30


def test_upsell_to_an_existing_account_earns_the_account_multiplier(session: Session) -> None:
    admin, team, rep = _org(session)
    rule = {"fact": "deal_won", "points": 100, "existing_account_multiplier": "1.5"}
    challenge = launched(session, admin, team_ids=[team.id], rules=[rule])
    ingest(
        session, event("deal.won", rep, "2026-02-01T10:00:00+00:00", deal_id="OLD", account="Acme")
    )
    ingest(
        session,
        event("deal.won", rep, "2026-03-03T10:00:00+00:00", deal_id="NEW", account="Acme"),
        event("deal.won", rep, "2026-03-03T11:00:00+00:00", deal_id="LOGO", account="Initech"),
    )
    assert _points(session, challenge.id, rep.id) == 250


def test_lost_deal_after_win_reverses_its_points_with_a_reversing_entry(session: Session) -> None:
    admin, team, rep = _org(session)
    challenge = launched(
        session, admin, team_ids=[team.id], rules=[{"fact": "deal_won", "points": 50}]
    )
    ingest(session, event("deal.won", rep, "2026-03-03T10:00:00+00:00", deal_id="D1"))
    ingest(session, event("deal.lost", rep, "2026-03-04T10:00:00+00:00", deal_id="D1"))
    entries = session.scalars(select(LedgerEntry).order_by(LedgerEntry.id)).all()
    assert [(e.kind, e.points) for e in entries] == [("rule", 50), ("reversal", -50)]
    assert entries[1].reverses_id == entries[0].id
    assert _points(session, challenge.id, rep.id) == 0


def test_reopened_deal_reverses_and_winning_again_earns_again(session: Session) -> None:
    admin, team, rep = _org(session)
    challenge = launched(
        session, admin, team_ids=[team.id], rules=[{"fact": "deal_won", "points": 50}]
    )
    ingest(session, event("deal.won", rep, "2026-03-03T10:00:00+00:00", deal_id="D1"))
    ingest(
        session,
        event(
            "deal.stage_changed",
            rep,
            "2026-03-04T10:00:00+00:00",
            deal_id="D1",
            stage="Negotiation",
        ),
    )
    assert _points(session, challenge.id, rep.id) == 0
    ingest(session, event("deal.won", rep, "2026-03-05T10:00:00+00:00", deal_id="D1"))
    assert _points(session, challenge.id, rep.id) == 50


def test_window_edges_are_read_in_the_challenge_time_zone(session: Session) -> None:
    admin, team, rep = _org(session)
    challenge = launched(
        session,
        admin,
        team_ids=[team.id],
        timezone="Europe/Berlin",
        starts_at=END.replace(day=2, tzinfo=None),
        ends_at=END.replace(day=9, tzinfo=None),
    )
    ingest(
        session,
        event(
            "activity.logged", rep, "2026-03-01T22:59:00+00:00", kind="call"
        ),  # 23:59 Berlin, before
        event(
            "activity.logged", rep, "2026-03-01T23:00:00+00:00", kind="call"
        ),  # 00:00 Berlin, inside
        event(
            "activity.logged", rep, "2026-03-08T22:59:00+00:00", kind="call"
        ),  # 23:59 Berlin, inside
        event(
            "activity.logged", rep, "2026-03-08T23:00:00+00:00", kind="call"
        ),  # 00:00 Berlin, after
    )
    assert _points(session, challenge.id, rep.id) == 20


def test_late_event_inside_the_window_counts_after_the_end(session: Session) -> None:
    admin, team, rep = _org(session)
    challenge = launched(session, admin, team_ids=[team.id])
    changes = ingest(
        session,
        event("activity.logged", rep, "2026-03-08T10:00:00+00:00", kind="call"),
        now=END.replace(day=10),
    )
    assert _points(session, challenge.id, rep.id) == 10
    assert rep.id in changes.standings[challenge.id]


def test_duplicate_delivery_scores_once(session: Session) -> None:
    admin, team, rep = _org(session)
    challenge = launched(session, admin, team_ids=[team.id])
    call = event("activity.logged", rep, "2026-03-03T10:00:00+00:00", key="same", kind="call")
    ingest(session, call)
    changes = ingest(session, call)
    assert _points(session, challenge.id, rep.id) == 10
    assert not changes


def test_scoring_raises_the_version_and_reports_points_earned(session: Session) -> None:
    admin, team, rep = _org(session)
    challenge = launched(session, admin, team_ids=[team.id])
    before = challenge.version
    changes = ingest(
        session, event("activity.logged", rep, "2026-03-03T10:00:00+00:00", kind="call")
    )
    assert challenge.version > before
    assert [n.kind for n in changes.notifications if n.user_id == rep.id] == ["points_earned"]


def test_quota_normalised_scoring_lets_a_small_territory_compete(session: Session) -> None:
    admin = make_user(session, app_role="admin")
    team = make_team(session)
    big, small = make_user(session, team=team), make_user(session, team=team)
    rules = [{"fact": "deal_won", "points_per_amount": 1}]
    quotas = {str(big.id): 100_000, str(small.id): 20_000}
    challenge = launched(
        session, admin, team_ids=[team.id], rules=rules, quota_normalised=True, quotas=quotas
    )
    ingest(
        session,
        event("deal.won", big, "2026-03-03T10:00:00+00:00", deal_id="B", amount=30_000),
        event("deal.won", small, "2026-03-03T11:00:00+00:00", deal_id="S", amount=10_000),
    )
    # 30 % of the big quota against 50 % of the small one
    assert _points(session, challenge.id, big.id) == 30
    assert _points(session, challenge.id, small.id) == 50
