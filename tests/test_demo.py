"""The demo org is the real CRM sample, whole, and each role's first page shows their data; the
demo world around it tells the product's story (ended and live challenges, proofs, rewards,
inputs, a measured effect)."""

from __future__ import annotations

import random
from datetime import timedelta

from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gameplay.core.lifecycle import challenge_status
from gameplay.core.models import (
    BadgeAward,
    Challenge,
    ChallengeAward,
    LedgerEntry,
    Participant,
    Proof,
    Redemption,
    Reward,
)
from gameplay.demo.story import BLITZ_NAME, SPRING_NAME, load_demo_world
from gameplay.impact.pooled import pool_by_kind
from gameplay.impact.report import challenge_impact, compare_challenges, ended_challenges
from gameplay.manage.challenges import list_challenges
from gameplay.manage.rewards import catalogue
from gameplay.scoring.missions import pending_proofs
from kpi_engine.db import utcnow
from kpi_engine.demo.inputs import demo_periods
from kpi_engine.demo.org import load_demo
from kpi_engine.kpis.models import KpiInput
from kpi_engine.kpis.scorecards import scorecard
from kpi_engine.org.models import Team, User
from kpi_engine.sales.dataframes import parse_scope
from kpi_engine.sales.models import Activity, Deal, RawEvent
from tests.conftest import DEMO_TODAY, DEMO_WORLD_NOW, log_in
from web.cli_live import ingest_here, live_reps, next_events
from web.extensions import db


def test_demo_holds_every_deal_rep_and_manager_of_the_sample(demo_app: Flask) -> None:
    with demo_app.app_context():
        s = db.session
        assert s.scalar(select(func.count(Deal.id))) == 8800
        assert s.scalar(select(func.count(User.id)).where(User.app_role == "rep")) == 35
        assert s.scalar(select(func.count(User.id)).where(User.app_role == "manager")) == 6
        assert s.scalar(select(func.count(func.distinct(Team.region)))) == 3
        won = s.scalar(select(func.sum(Deal.amount)).where(Deal.status == "won"))
        assert won == 10_005_534
        statuses = dict(s.execute(select(Deal.status, func.count()).group_by(Deal.status)).all())
        assert statuses == {"won": 4238, "lost": 2473, "open": 2089}


def test_demo_dates_end_yesterday_and_new_hires_have_no_deals(demo_app: Flask) -> None:
    with demo_app.app_context():
        s = db.session
        latest = s.scalar(select(func.max(Deal.closed_at)))
        assert latest.date() == DEMO_TODAY - timedelta(days=1)
        new_hires = s.scalars(
            select(User).where(User.app_role == "rep", ~User.id.in_(select(Deal.owner_id)))
        ).all()
        assert len(new_hires) == 5
        assert all(u.hire_date >= DEMO_TODAY - timedelta(days=30) for u in new_hires)
        assert s.scalar(select(func.count(Activity.id))) > 5000
        assert s.scalar(select(func.count(Deal.id)).where(Deal.product == "GTXPro")) == 0


def test_loading_the_demo_again_duplicates_nothing(demo_app: Flask) -> None:
    with demo_app.app_context():
        s = db.session
        before = [s.scalar(select(func.count(m.id))) for m in (User, Deal, Activity, RawEvent)]
        load_demo(s, password_hash="x", today=DEMO_TODAY)
        s.commit()
        after = [s.scalar(select(func.count(m.id))) for m in (User, Deal, Activity, RawEvent)]
        assert after == before


def test_demo_manager_sees_their_team_and_rep_sees_their_deals(demo_app: Flask) -> None:
    client = demo_app.test_client()
    log_in(client, "melvin.marxen@example.com")
    page = client.get("/").get_data(as_text=True)
    assert "Team Marxen" in page and "Darcel Schlecht" in page and "Win rate" in page
    client.post("/logout", data={"csrf_token": log_in(demo_app.test_client(), "admin@example.com")})
    rep = demo_app.test_client()
    log_in(rep, "darcel.schlecht@example.com")
    page = rep.get("/").get_data(as_text=True)
    assert "My recent deals" in page and "$" in page  # amounts carry their currency symbol


# The whole demo world, as `flask demo` loads it: the story each role finds on first login.


def _blitz(s: Session) -> Challenge:
    blitz = s.scalar(select(Challenge).where(Challenge.name == BLITZ_NAME))
    assert blitz is not None
    return blitz


def _user(s: Session, email: str) -> User:
    user = s.scalar(select(User).where(User.email == email))
    assert user is not None
    return user


def test_the_ended_blitz_is_finalised_with_winners_places_badges_and_prizes(
    demo_world_app: Flask,
) -> None:
    with demo_world_app.app_context():
        s = db.session()
        blitz, now = _blitz(s), utcnow()
        assert challenge_status(blitz, now) == "ended" and blitz.finalized_at is not None
        awards = s.scalars(
            select(ChallengeAward)
            .where(ChallengeAward.challenge_id == blitz.id)
            .order_by(ChallengeAward.place)
        ).all()
        assert [a.place for a in awards] == [1, 2, 3]
        assert all({r["name"] for r in a.rewards} == {"$50 gift card", "Winner's bonus"}
                   for a in awards)  # fmt: skip
        assert blitz.budget_spent == 150
        badges = s.scalars(
            select(BadgeAward.user_id).where(
                BadgeAward.code == "challenge_winner", BadgeAward.scope == f"challenge:{blitz.id}"
            )
        ).all()
        assert sorted(badges) == sorted(a.user_id for a in awards)
        bonus = select(func.count(LedgerEntry.id)).where(
            LedgerEntry.challenge_id == blitz.id, LedgerEntry.reason == "prize: Winner's bonus"
        )
        assert s.scalar(bonus) == 3


def test_challenges_run_on_some_teams_so_comparison_groups_exist(demo_world_app: Flask) -> None:
    with demo_world_app.app_context():
        s = db.session()
        every_team = set(s.scalars(select(Team.id)))
        challenges = s.scalars(select(Challenge)).all()
        assert len(challenges) == 5
        assert all(set(c.audience["team_ids"]) < every_team for c in challenges)
        blitz = _blitz(s)
        marxen = s.scalar(select(Team).where(Team.name == "Team Marxen"))
        brinkmann = s.scalar(select(Team).where(Team.name == "Team Brinkmann"))
        assert marxen is not None and brinkmann is not None and marxen.region == brinkmann.region
        assert blitz.audience["team_ids"] == [marxen.id]
        manager = _user(s, "melvin.marxen@example.com")
        seen = {c.name for c in list_challenges(s, manager, now=utcnow())}
        assert seen == {c.name for c in challenges if marxen.id in c.audience["team_ids"]}
        assert len(seen) == 4


def test_the_demo_manager_has_proofs_of_their_reps_to_review(demo_world_app: Flask) -> None:
    with demo_world_app.app_context():
        s = db.session()
        manager = _user(s, "melvin.marxen@example.com")
        team_ids = {t.id for t in s.scalars(select(Team).where(Team.manager_id == manager.id))}
        waiting = [
            p
            for c in list_challenges(s, manager, status="live", now=utcnow())
            for p in pending_proofs(s, c.id, manager)
        ]
        assert len(waiting) == 3
        assert {s.get(User, p.user_id).team_id for p in waiting} == team_ids  # type: ignore[union-attr]


def test_the_blitz_measures_its_planted_effects_with_intervals_above_zero(
    demo_world_app: Flask,
) -> None:
    with demo_world_app.app_context():
        s = db.session()
        manager = _user(s, "melvin.marxen@example.com")
        report = challenge_impact(
            s, _blitz(s).id, manager, now=utcnow(), kpis=("revenue_won", "meetings_booked")
        )
        for key in ("meetings_booked", "revenue_won"):
            kpi = report.impact.kpis[key]
            assert kpi.verdict == "effect", (key, kpi.warnings)
            assert kpi.ci_low is not None and kpi.ci_low > 0, key
            assert kpi.n_participants == 6 and kpi.n_control >= 20, key
        # Prizes were paid, so the report sets the extra revenue against them.
        assert report.reward_cost == 150 and report.return_on_cost is not None
        assert report.return_on_cost.low is not None and report.return_on_cost.low > 0


def test_the_spring_blitz_kept_a_holdout_and_leadership_pools_the_two_blitzes(
    demo_world_app: Flask,
) -> None:
    with demo_world_app.app_context():
        s = db.session()
        spring = s.scalar(select(Challenge).where(Challenge.name == SPRING_NAME))
        assert spring is not None and spring.holdout_seed is not None
        held = spring.held_out_ids
        assert 0 < len(held) < len(spring.assignments)
        manager = _user(s, "melvin.marxen@example.com")
        report = challenge_impact(s, spring.id, manager, now=utcnow(), kpis=("meetings_booked",))
        meetings = report.impact.kpis["meetings_booked"]
        assert meetings.design == "randomised" and meetings.n_control == len(held)
        assert meetings.verdict == "effect", (meetings.ci_low, meetings.warnings)
        ended = ended_challenges(s, manager, now=utcnow(), kind="prospecting")
        reports = compare_challenges(s, [c.id for c in ended], manager, now=utcnow(),
                                     kpis=["meetings_booked"])  # fmt: skip
        [pool] = pool_by_kind(reports, ["meetings_booked"])
        assert pool.kind == "prospecting" and pool.effects["meetings_booked"].campaigns == 2
        assert pool.effects["meetings_booked"].estimate.excludes_zero


def test_every_kpi_of_the_manager_and_leadership_cards_has_a_value(demo_world_app: Flask) -> None:
    with demo_world_app.app_context():
        s = db.session()
        now = utcnow()
        team = s.scalar(select(Team).where(Team.name == "Team Marxen"))
        assert team is not None
        for scope in (f"team:{team.id}", "org"):
            for period in demo_periods(now)[:2]:
                card = scorecard(s, parse_scope(scope), period, now=now)
                empty = {r.kpi.key: r.measure.reason for r in card.rows if r.measure.value is None}
                assert not empty, (scope, period.label, empty)
                assert {"quota_attainment", "cac", "ltv_to_cac", "forecast_accuracy"} <= {
                    r.kpi.key for r in card.rows
                }


def test_the_catalogue_is_stocked_and_two_redemptions_wait_for_the_manager(
    demo_world_app: Flask,
) -> None:
    with demo_world_app.app_context():
        s = db.session()
        names = {r.name: r.cost for r in catalogue(s)}
        assert {"Team lunch", "Extra day off", "Company hoodie"} <= set(names)
        assert all(cost > 0 for cost in names.values())
        waiting = s.scalars(select(Redemption).where(Redemption.status == "requested")).all()
        assert len(waiting) == 2
        manager = _user(s, "melvin.marxen@example.com")
        assert all(s.get(User, r.user_id).team.manager_id == manager.id for r in waiting)  # type: ignore[union-attr]


def test_demo_simulate_moves_a_live_challenge(demo_world_app: Flask) -> None:
    with demo_world_app.app_context():
        s = db.session()
        reps = live_reps(utcnow())
        assert "darcel.schlecht@example.com" in reps
        total = select(func.sum(Participant.points)).where(
            Participant.challenge_id.in_(select(Challenge.id).where(Challenge.ends_at > utcnow()))
        )
        before = s.scalar(total)
        rng = random.Random(3)
        for _ in range(20):
            ingest_here(next_events(rng, rng.choice(reps)))
        s.expire_all()
        assert s.scalar(total) > before


def test_loading_the_demo_world_again_adds_nothing(demo_world_app: Flask) -> None:
    tables = (User, Deal, Activity, RawEvent, Challenge, Participant, LedgerEntry, Proof,
              Reward, Redemption, ChallengeAward, BadgeAward, KpiInput)  # fmt: skip
    with demo_world_app.app_context():
        s = db.session()
        before = [s.scalar(select(func.count(m.id))) for m in tables]
        world = load_demo_world(s, password_hash="x", now=DEMO_WORLD_NOW)
        s.commit()
        after = [s.scalar(select(func.count(m.id))) for m in tables]
        assert after == before
        assert (world.story.ended, world.story.live, world.story.proofs) == ([], [], 0)
