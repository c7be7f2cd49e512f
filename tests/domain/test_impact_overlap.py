"""Overlapping challenges: each report says so, counts the shared days and reps, and estimates on
the reps who were in no other challenge at the time, so a null challenge does not borrow the
effect of a real one running beside it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session

import gameplay.impact.report as report_module
from gameplay.impact.past_campaigns import record_past_campaign
from gameplay.impact.report import ChallengeImpact, challenge_impact
from kpi_engine.org.models import User
from tests.factories import make_team, make_user
from tests.impact_org import PlantedOrg, Truth, plant_org


def campaign(org: PlantedOrg, team_id: int, name: str, **changes: Any) -> dict[str, Any]:
    return {
        "name": name,
        "kind": "upsell",
        "format": "leaderboard",
        "starts_at": org.start,
        "ends_at": org.end,
        "timezone": "UTC",
        "audience": {"team_ids": [team_id], "sales_roles": [], "user_ids": []},
        "rules": [{"fact": "deal_won", "points": 10}],
        **changes,
    }


def two_campaigns(session: Session) -> tuple[ChallengeImpact, ChallengeImpact]:
    """A real campaign (+15 win-rate points for its 40 participants) and a null one over the same
    window, of 30 of those participants and 10 reps who took no part: the reports of both."""
    manager = make_user(session, app_role="manager", sales_role=None)
    team = make_team(session, manager=manager)
    org = plant_org(session, Truth(win_rate=0.15), seed=21, reps=80, participants=40)
    ids = org.participant_ids | org.control_ids
    session.execute(update(User).where(User.id.in_(ids)).values(team_id=team.id))
    session.expire_all()
    now = org.end + timedelta(days=2)
    real, _ = record_past_campaign(
        session, campaign(org, team.id, "Real"), org.participant_ids, manager, now=now
    )
    null_ids = sorted(org.participant_ids)[:30] + sorted(org.control_ids)[:10]
    null, _ = record_past_campaign(
        session, campaign(org, team.id, "Null"), null_ids, manager, now=now
    )
    return (
        challenge_impact(session, real.id, manager, now=now),
        challenge_impact(session, null.id, manager, now=now),
    )


def test_a_null_challenge_beside_a_real_one_claims_nothing_and_the_real_one_is_recovered(
    session: Session,
) -> None:
    real, null = two_campaigns(session)
    assert real.overlap is not None and null.overlap is not None
    [other] = real.overlap.others
    assert (other.challenge_id, other.shared_reps, other.days) == (null.challenge.id, 30, 30.0)
    assert "overlap controlled" in str(real.overlap.handling)
    assert (real.overlap.participants_in_other, real.overlap.comparison_in_other) == (30, 10)
    win = real.impact.kpis["win_rate"]
    assert win.verdict == "effect", (win.ci_low, win.ci_high, win.warnings)
    assert win.ci_low is not None and win.ci_high is not None
    assert win.ci_low <= 0.15 <= win.ci_high
    assert (win.n_participants, win.n_control) == (40, 40)
    # The planted effect is on win rate: the null challenge must not borrow it.
    null_win = null.impact.kpis["win_rate"]
    assert (null_win.n_participants, null_win.n_control) == (40, 40)
    assert null_win.verdict != "effect", (null_win.ci_low, null_win.ci_high)
    assert null_win.ci_low is not None and null_win.ci_high is not None
    assert null_win.ci_low <= 0 <= null_win.ci_high


def test_with_the_overlap_ignored_the_null_challenge_would_borrow_the_real_effect(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What the test above guards against: the same two campaigns, overlap not left out."""
    monkeypatch.setattr(report_module, "overlapping_challenges", lambda *_: [])
    _, null = two_campaigns(session)
    assert null.impact.kpis["win_rate"].verdict == "effect"


def test_a_challenge_alone_in_its_window_reports_no_overlap(session: Session) -> None:
    manager = make_user(session, app_role="manager", sales_role=None)
    team = make_team(session, manager=manager)
    org = plant_org(session, Truth(), seed=3, reps=20, participants=10)
    ids = org.participant_ids | org.control_ids
    session.execute(update(User).where(User.id.in_(ids)).values(team_id=team.id))
    session.expire_all()
    now = org.end + timedelta(days=2)
    alone, _ = record_past_campaign(
        session, campaign(org, team.id, "Alone"), org.participant_ids, manager, now=now
    )
    assert challenge_impact(session, alone.id, manager, now=now).overlap is None


def test_two_challenges_with_the_same_reps_cannot_be_told_apart_and_say_so(
    session: Session,
) -> None:
    manager = make_user(session, app_role="manager", sales_role=None)
    team = make_team(session, manager=manager)
    org = plant_org(session, Truth(win_rate=0.15), seed=5, reps=40, participants=20)
    ids = org.participant_ids | org.control_ids
    session.execute(update(User).where(User.id.in_(ids)).values(team_id=team.id))
    session.expire_all()
    now = org.end + timedelta(days=2)
    first, _ = record_past_campaign(
        session, campaign(org, team.id, "First"), org.participant_ids, manager, now=now
    )
    record_past_campaign(
        session, campaign(org, team.id, "Twin"), org.participant_ids, manager, now=now
    )
    win = challenge_impact(session, first.id, manager, now=now).impact.kpis["win_rate"]
    assert win.verdict == "inconclusive" and win.estimate is None
    assert any("cannot be told apart" in str(w) for w in win.warnings)
