"""Missions and proofs, ordered journeys, finalisation, prizes and budget, the rewards shop,
adjustments, badges, levels and streaks, templates and the preview on past data."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from gameplay.core.enrollment import participant_for
from gameplay.core.lifecycle import challenge_status
from gameplay.core.models import ChallengeAward, LedgerEntry, PlayerProfile
from gameplay.manage.challenges import create_challenge, launch_challenge
from gameplay.manage.finalization import finalize_challenge, finalize_due
from gameplay.manage.preview import preview_challenge
from gameplay.manage.rewards import (
    add_catalogue_reward,
    catalogue,
    change_catalogue_reward,
    fulfil_redemption,
    full_catalogue,
    pending_redemptions,
    redeem,
    refuse_redemption,
    retire_reward,
)
from gameplay.manage.templates import spec_from_template
from gameplay.ops.ledger_standings import derived_standings
from gameplay.scoring.badges import badges_of
from gameplay.scoring.ledger import adjust_points, entries_for
from gameplay.scoring.levels import level_for, level_table
from gameplay.scoring.missions import mission_board, mission_states, review_proof, submit_proof
from gameplay.scoring.profiles import profile_of
from gameplay.scoring.streaks import current_streaks, streak_of
from kpi_engine.errors import Conflict, Forbidden, Invalid, NotFound
from tests.domain.game_setup import BEFORE, END, START, ingest, launched, spec
from tests.factories import event, make_team, make_user

LIVE = START + timedelta(days=1)


def _onboarding(session: Session):
    manager = make_user(session, app_role="manager")
    team = make_team(session, manager=manager)
    hire = make_user(session, team=team)
    form = {
        "name": "Welcome",
        "starts_at": START,
        "ends_at": END,
        "timezone": "UTC",
        "audience": {"team_ids": [team.id]},
        "enrolment": "auto",
    }
    challenge = create_challenge(
        session, spec_from_template("onboarding", form), manager, now=BEFORE
    )
    launch_challenge(session, challenge.id, manager, now=BEFORE)
    return manager, team, hire, challenge


def _done(session: Session, challenge, user) -> list[str]:
    return [
        m.name for m, p in mission_board(session, challenge.id, user.id) if p and p.completed_at
    ]


def test_onboarding_journey_completes_missions_in_order(session: Session) -> None:
    manager, _, hire, challenge = _onboarding(session)
    ingest(session, event("activity.logged", hire, LIVE, kind="call", outcome="meeting_booked"))
    assert _done(session, challenge, hire) == []  # the training comes first
    for mission in challenge.missions[:2]:
        proof = submit_proof(session, mission.id, hire, text="done", link=None, now=LIVE)
        review_proof(session, proof.id, manager, approve=True, comment=None, now=LIVE)
    assert _done(session, challenge, hire) == ["Complete the product training", "Shadow 3 calls"]
    ingest(
        session,
        *[
            event("activity.logged", hire, LIVE + timedelta(hours=h), kind="email")
            for h in range(19)
        ],
    )
    ingest(session, event("deal.won", hire, LIVE + timedelta(days=1), deal_id="first"))
    assert len(_done(session, challenge, hire)) == 5
    assert participant_for(session, challenge.id, hire.id).points == 100
    assert {b.code for b in badges_of(session, hire.id)} >= {"onboarding_completed", "first_deal"}


def test_nobody_approves_their_own_proof(session: Session) -> None:
    manager, team, _, _ = _onboarding(session)
    admin = make_user(session, app_role="admin")
    audience = {"team_ids": [team.id], "sales_roles": [], "user_ids": [manager.id]}
    mission = {"name": "Record a demo", "manual": True, "points": 10}
    challenge = launched(session, admin, audience=audience, missions=[mission])
    proof = submit_proof(
        session, challenge.missions[0].id, manager, text="my demo", link=None, now=LIVE
    )
    with pytest.raises(Forbidden, match="own proof"):
        review_proof(session, proof.id, manager, approve=True, comment=None, now=LIVE)
    assert proof.status == "pending"


def test_rejected_proof_needs_a_comment_and_tells_the_rep(session: Session) -> None:
    manager, _, hire, challenge = _onboarding(session)
    proof = submit_proof(
        session, challenge.missions[0].id, hire, text=None, link="https://lms/x", now=LIVE
    )
    with pytest.raises(Invalid):
        review_proof(session, proof.id, manager, approve=False, comment="", now=LIVE)
    _, changes = review_proof(
        session, proof.id, manager, approve=False, comment="Wrong course", now=LIVE
    )
    assert [(n.user_id, n.kind) for n in changes.notifications] == [(hire.id, "proof_reviewed")]
    assert _done(session, challenge, hire) == []


def test_a_manager_of_another_team_cannot_review(session: Session) -> None:
    _, _, hire, challenge = _onboarding(session)
    stranger = make_user(session, app_role="manager")
    make_team(session, manager=stranger)
    proof = submit_proof(session, challenge.missions[0].id, hire, text="done", link=None, now=LIVE)
    with pytest.raises(Forbidden):
        review_proof(session, proof.id, stranger, approve=True, comment=None, now=LIVE)


def test_finalising_twice_awards_nothing_twice(session: Session) -> None:
    admin = make_user(session, app_role="admin")
    team = make_team(session)
    rep = make_user(session, team=team)
    challenge = launched(
        session, admin, team_ids=[team.id], rewards=[{"name": "Lunch", "bonus_points": 25}]
    )
    ingest(session, event("activity.logged", rep, LIVE, kind="call"))
    assert not finalize_challenge(session, challenge, now=LIVE)  # still live: nothing happens
    finalize_challenge(session, challenge, now=END)
    finalize_challenge(session, challenge, now=END + timedelta(days=1))
    done, _ = finalize_due(session, now=END + timedelta(days=2))
    assert done == []
    assert len(session.scalars(select(ChallengeAward)).all()) == 1
    # The prize's 25 points go to the rep's total, not onto the board the winner was named by.
    assert participant_for(session, challenge.id, rep.id).points == 10
    assert session.get_one(PlayerProfile, rep.id).lifetime_points == 35
    assert derived_standings(session, challenge)[rep.id]["points"] == 10
    assert [b.code for b in badges_of(session, rep.id)].count("challenge_winner") == 1
    assert challenge_status(challenge, END) == "ended"


def test_cash_prizes_stop_once_the_budget_is_spent(session: Session) -> None:
    admin = make_user(session, app_role="admin")
    team = make_team(session)
    reps = [make_user(session, team=team) for _ in range(3)]
    challenge = launched(
        session,
        admin,
        team_ids=[team.id],
        reward_budget=Decimal(250),
        rewards=[{"name": "Gift card", "cash_value": Decimal(100)}],
    )
    ingest(
        session,
        *[
            event("activity.logged", r, LIVE + timedelta(hours=i), kind="call")
            for i, r in enumerate(reps)
        ],
    )
    finalize_challenge(session, challenge, now=END)
    awards = session.scalars(select(ChallengeAward).order_by(ChallengeAward.place)).all()
    assert [len(a.rewards) for a in awards] == [1, 1, 0]
    assert challenge.budget_spent == Decimal(200)


def test_redemption_is_refused_when_the_balance_would_go_negative(session: Session) -> None:
    admin = make_user(session, app_role="admin")
    manager = make_user(session, app_role="manager")
    team = make_team(session, manager=manager)
    rep = make_user(session, team=team)
    challenge = launched(session, admin, team_ids=[team.id])
    ingest(
        session,
        *[event("activity.logged", rep, LIVE + timedelta(hours=h), kind="call") for h in range(3)],
    )
    mug = add_catalogue_reward(session, admin, name="Mug", cost=20)
    first = redeem(session, mug.id, rep, now=END)
    with pytest.raises(Conflict, match="you have 10 points"):
        redeem(session, mug.id, rep, now=END)
    assert profile_of(session, rep.id).balance == 10
    with pytest.raises(Forbidden):
        fulfil_redemption(session, first.id, rep, now=END)
    assert fulfil_redemption(session, first.id, manager, now=END).status == "fulfilled"
    assert challenge.id


def test_manual_adjustment_needs_a_reason_and_records_who(session: Session) -> None:
    admin = make_user(session, app_role="admin")
    team = make_team(session)
    rep = make_user(session, team=team)
    challenge = launched(session, admin, team_ids=[team.id])
    participant = participant_for(session, challenge.id, rep.id)
    with pytest.raises(Invalid):
        adjust_points(session, challenge, participant, 15, reason=" ", actor=admin, now=LIVE)
    adjust_points(
        session,
        challenge,
        participant,
        15,
        reason="Call logged in the wrong CRM",
        actor=admin,
        now=LIVE,
    )
    [entry] = entries_for(session, challenge.id, rep.id)
    assert (entry.kind, entry.points, entry.actor_id) == ("adjustment", 15, admin.id)


def test_levels_follow_lifetime_points() -> None:
    table = [(1, "Rookie", 0), (2, "Closer", 100), (3, "Pro", 500)]
    assert (level_for(table, 99).number, level_for(table, 99).next_at) == (1, 100)
    assert level_for(table, 100).name == "Closer"
    assert level_for(table, 900).next_at is None


def test_reaching_a_level_is_announced(session: Session) -> None:
    admin = make_user(session, app_role="admin")
    team = make_team(session)
    rep = make_user(session, team=team)
    launched(session, admin, team_ids=[team.id], rules=[{"fact": "deal_won", "points": 120}])
    changes = ingest(session, event("deal.won", rep, LIVE, deal_id="D"))
    assert "level_reached" in [n.kind for n in changes.notifications]
    assert level_for(level_table(session), profile_of(session, rep.id).lifetime_points).number == 2


def test_streak_counts_working_days_and_skips_weekends() -> None:
    friday, monday, tuesday = date(2026, 3, 6), date(2026, 3, 9), date(2026, 3, 10)
    days = {date(2026, 3, 5), friday, monday}
    assert streak_of(days, tuesday).current == 3  # nothing yet today does not break it
    assert streak_of(days | {tuesday}, tuesday).current == 4
    assert streak_of({date(2026, 3, 4), monday}, tuesday).current == 1


def test_a_streak_is_counted_from_stored_activities_in_the_rep_time_zone(
    session: Session,
) -> None:
    rep, idle = make_user(session), make_user(session)
    # Thursday 5 to Monday 9 March 2026; many calls a day count as one day. The last call is
    # at 03:00 UTC on Tuesday: still Monday evening in New York.
    moments = ["2026-03-05T15:00", "2026-03-05T16:00", "2026-03-06T15:00", "2026-03-10T03:00"]
    ingest(session, *[event("activity.logged", rep, at, kind="call") for at in moments])
    tuesday = date(2026, 3, 10)
    in_new_york = current_streaks(session, {rep.id, idle.id}, today=tuesday, tz="America/New_York")
    assert in_new_york[rep.id].current == 3 and in_new_york[rep.id].last_day == date(2026, 3, 9)
    assert in_new_york[idle.id].current == 0 and in_new_york[idle.id].last_day is None
    in_utc = current_streaks(session, {rep.id}, today=tuesday)
    assert in_utc[rep.id].current == 1  # Tuesday; Monday has nothing in UTC
    assert in_utc[rep.id].last_day == tuesday


def test_five_working_days_in_a_row_earn_the_streak_badge(session: Session) -> None:
    rep = make_user(session)
    week = [START + timedelta(days=d, hours=10) for d in range(5)]  # Monday to Friday
    ingest(session, *[event("activity.logged", rep, at, kind="email") for at in week[:4]])
    assert "streak_5" not in [b.code for b in badges_of(session, rep.id)]
    ingest(session, event("activity.logged", rep, week[4], kind="email"), now=week[4])
    assert "streak_5" in [b.code for b in badges_of(session, rep.id)]


def test_preview_plays_the_draft_on_the_last_comparable_period(session: Session) -> None:
    manager = make_user(session, app_role="manager")
    team = make_team(session, manager=manager)
    rep = make_user(session, team=team)
    last_week = START - timedelta(days=4)
    ingest(
        session,
        *[
            event("activity.logged", rep, last_week + timedelta(hours=h), kind="call")
            for h in range(3)
        ],
        event("activity.logged", rep, START + timedelta(hours=1), kind="call"),
    )
    challenge = create_challenge(session, spec([team.id]), manager, now=BEFORE)
    preview = preview_challenge(session, challenge)
    assert [(r.user_id, r.points) for r in preview.rows] == [(rep.id, 30)]
    assert preview.ends_at == START
    assert challenge_status(challenge, LIVE) == "draft" and challenge.starts_at == START


def test_launching_twice_is_refused(session: Session) -> None:
    admin = make_user(session, app_role="admin")
    team = make_team(session)
    challenge = launched(session, admin, team_ids=[team.id])
    with pytest.raises(Conflict):
        launch_challenge(session, challenge.id, admin, now=BEFORE)


def _states(session: Session, challenge, user) -> list[tuple[str, str, int]]:
    return [(s.name, s.state, s.shown) for s in mission_states(session, challenge, user.id)]


def test_an_ordered_journey_shows_locked_steps_with_progress_capped_at_the_target(
    session: Session,
) -> None:
    _, _, hire, challenge = _onboarding(session)
    calls = [
        event(
            "activity.logged",
            hire,
            LIVE + timedelta(minutes=m),
            kind="call",
            outcome="meeting_booked",
        )
        for m in range(25)
    ]
    ingest(session, *calls)
    assert _states(session, challenge, hire) == [
        ("Complete the product training", "next", 0),
        ("Shadow 3 calls", "locked", 0),
        ("Log 20 activities", "locked", 20),  # 25 counted, shown against its target
        ("Book a first meeting", "locked", 1),
        ("Win a first deal", "locked", 0),
    ]
    locked = mission_states(session, challenge, hire.id)[2]
    assert (locked.unlocks_after, locked.percent) == ("Shadow 3 calls", 100)


def test_a_sent_proof_is_pending_and_an_approved_one_is_done_and_unlocks_what_was_met(
    session: Session,
) -> None:
    manager, _, hire, challenge = _onboarding(session)
    ingest(session, event("activity.logged", hire, LIVE, kind="call", outcome="meeting_booked"))
    first, second = challenge.missions[:2]
    proof = submit_proof(session, first.id, hire, text="done", link=None, now=LIVE)
    assert [s.state for s in mission_states(session, challenge, hire.id)][:3] == [
        "pending",
        "locked",
        "locked",
    ]
    review_proof(session, proof.id, manager, approve=True, comment=None, now=LIVE)
    proof = submit_proof(session, second.id, hire, text="shadowed", link=None, now=LIVE)
    review_proof(session, proof.id, manager, approve=True, comment=None, now=LIVE)
    assert _states(session, challenge, hire) == [
        ("Complete the product training", "done", 1),
        ("Shadow 3 calls", "done", 1),
        ("Log 20 activities", "next", 1),
        ("Book a first meeting", "locked", 1),  # met already: completes once step 3 is done
        ("Win a first deal", "locked", 0),
    ]


def test_a_rejected_proof_reopens_the_step_with_the_reviewers_words(session: Session) -> None:
    manager, _, hire, challenge = _onboarding(session)
    proof = submit_proof(session, challenge.missions[0].id, hire, text="x", link=None, now=LIVE)
    review_proof(session, proof.id, manager, approve=False, comment="Wrong course", now=LIVE)
    first = mission_states(session, challenge, hire.id)[0]
    assert (first.state, first.rejected_comment) == ("next", "Wrong course")


def test_a_completed_step_whose_points_were_reversed_is_not_done(session: Session) -> None:
    admin = make_user(session, app_role="admin")
    team = make_team(session)
    rep = make_user(session, team=team)
    mission = {"name": "Win a deal", "fact": "deal_won", "points": 30}
    challenge = launched(session, admin, team_ids=[team.id], missions=[mission])
    ingest(session, event("deal.won", rep, LIVE, deal_id="d1"))
    assert [s.state for s in mission_states(session, challenge, rep.id)] == ["done"]
    paid = session.scalars(select(LedgerEntry).where(LedgerEntry.kind == "mission")).one()
    session.add(
        LedgerEntry(
            challenge_id=challenge.id,
            user_id=rep.id,
            points=-30,
            kind="reversal",
            reason="deal reopened",
            mission_id=paid.mission_id,
            reverses_id=paid.id,
            occurred_at=LIVE,
        )
    )
    session.flush()
    assert [s.state for s in mission_states(session, challenge, rep.id)] == ["pending"]


def _shop(session: Session):
    admin = make_user(session, app_role="admin")
    manager = make_user(session, app_role="manager")
    team = make_team(session, manager=manager)
    rep = make_user(session, team=team)
    launched(session, admin, team_ids=[team.id])
    calls = [
        event("activity.logged", rep, LIVE + timedelta(hours=h), kind="call") for h in range(5)
    ]
    ingest(session, *calls)  # 50 points
    return admin, manager, rep


def test_a_refused_redemption_gives_the_points_back_and_cannot_be_handled_twice(
    session: Session,
) -> None:
    _, manager, rep = _shop(session)
    mug = add_catalogue_reward(session, manager, name="Mug", cost=30)
    request = redeem(session, mug.id, rep, now=END)
    assert profile_of(session, rep.id).balance == 20
    assert pending_redemptions(session, manager) == [request]
    refused = refuse_redemption(session, request.id, manager, now=END)
    assert (refused.status, refused.fulfilled_by_id) == ("cancelled", manager.id)
    assert profile_of(session, rep.id).balance == 50
    assert profile_of(session, rep.id).lifetime_points == 50  # the level does not move
    with pytest.raises(Conflict, match="already cancelled"):
        fulfil_redemption(session, request.id, manager, now=END)
    assert pending_redemptions(session, manager) == []


def test_only_a_manager_of_the_reps_team_or_an_admin_handles_a_request(session: Session) -> None:
    admin, _, rep = _shop(session)
    mug = add_catalogue_reward(session, admin, name="Mug", cost=30)
    request = redeem(session, mug.id, rep, now=END)
    stranger = make_user(session, app_role="manager")
    make_team(session, manager=stranger)
    assert pending_redemptions(session, stranger) == []
    with pytest.raises(Forbidden):
        refuse_redemption(session, request.id, stranger, now=END)
    with pytest.raises(Forbidden):
        refuse_redemption(session, request.id, rep, now=END)
    assert fulfil_redemption(session, request.id, admin, now=END).status == "fulfilled"


def test_a_retired_reward_leaves_the_shop_and_an_edit_keeps_what_was_paid(
    session: Session,
) -> None:
    _, manager, rep = _shop(session)
    mug = add_catalogue_reward(session, manager, name="Mug", cost=30)
    request = redeem(session, mug.id, rep, now=END)
    change_catalogue_reward(session, mug.id, manager, name="Big mug", cost=45)
    assert (request.cost, mug.name, mug.cost) == (30, "Big mug", 45)
    retire_reward(session, mug.id, manager)
    assert catalogue(session) == [] and full_catalogue(session) == [mug]
    with pytest.raises(NotFound):
        redeem(session, mug.id, rep, now=END)
    with pytest.raises(Forbidden):
        retire_reward(session, mug.id, rep)
    with pytest.raises(Invalid):
        change_catalogue_reward(session, mug.id, manager, name=" ", cost=10)
