"""Past campaigns recorded afterwards, and the impact report of a challenge (gameplay side)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from gameplay.core.lifecycle import challenge_status
from gameplay.core.models import LedgerEntry, Participant
from gameplay.impact.past_campaigns import is_recorded_campaign, record_past_campaign
from gameplay.impact.report import challenge_impact, ended_challenges
from gameplay.manage.finalization import finalize_challenge
from kpi_engine.errors import Forbidden, Invalid, NotFound
from kpi_engine.org.models import Team, User
from tests.factories import make_team, make_user
from tests.impact_org import PlantedOrg, Truth, plant_org


def spec(org: PlantedOrg, team: Team, **changes: Any) -> dict[str, Any]:
    return {
        "name": "Spring closing push",
        "kind": "upsell",
        "format": "leaderboard",
        "starts_at": org.start,
        "ends_at": org.end,
        "timezone": "Europe/Paris",
        "audience": {"team_ids": [team.id], "sales_roles": [], "user_ids": []},
        "rules": [{"fact": "deal_won", "points": 10}],
        "missions": [
            {"name": "Win a deal", "fact": "deal_won", "target": 1, "points": 5},
            {"name": "Win 3 deals", "fact": "deal_won", "target": 3, "points": 50},
        ],
        "rewards": [{"name": "Dinner", "cash_value": Decimal("150.00")}],
        **changes,
    }


@pytest.fixture
def world(session: Session) -> tuple[PlantedOrg, Team, User]:
    """A planted org (+12 points of win rate for participants) in one managed team."""
    manager = make_user(session, app_role="manager")
    team = make_team(session, manager=manager)
    org = plant_org(
        session,
        Truth(win_rate=0.12, size=0.2, days=-12),
        seed=21,
        reps=40,
        participants=20,
        deals_per_period=8,
    )
    session.execute(
        update(User)
        .where(User.id.in_(org.participant_ids | org.control_ids))
        .values(team_id=team.id)
    )
    return org, team, manager


def later(org: PlantedOrg) -> Any:
    return org.end + timedelta(days=3)


def test_a_recorded_campaign_has_ended_and_awards_nothing_by_default(
    session: Session, world: tuple[PlantedOrg, Team, User]
) -> None:
    org, team, manager = world
    challenge, changes = record_past_campaign(
        session, spec(org, team), org.participant_ids, manager, now=later(org)
    )
    assert challenge_status(challenge, later(org)) == "ended"
    assert is_recorded_campaign(challenge)
    points = session.scalars(
        select(Participant.points).where(Participant.challenge_id == challenge.id)
    )
    assert sorted(points) == [0] * len(org.participant_ids)
    assert session.scalar(select(func.count()).select_from(LedgerEntry)) == 0
    assert (
        finalize_challenge(session, challenge, now=later(org) + timedelta(days=1)).notifications
        == []
    )
    assert challenge.budget_spent == 0
    assert changes.notifications == []


def test_a_recorded_campaign_awards_points_for_its_real_sales_when_asked(
    session: Session, world: tuple[PlantedOrg, Team, User]
) -> None:
    org, team, manager = world
    challenge, _ = record_past_campaign(
        session, spec(org, team), org.participant_ids, manager, now=later(org), award_points=True
    )
    query = select(Participant.user_id, Participant.points)
    points = dict(session.execute(query.where(Participant.challenge_id == challenge.id)).all())
    assert set(points) == org.participant_ids
    assert sum(points.values()) > 0
    assert challenge.finalized_at == later(org)
    assert challenge.budget_spent == Decimal("150.00") * 3  # top 3 of the leaderboard


def test_a_campaign_still_running_cannot_be_recorded_as_past(
    session: Session, world: tuple[PlantedOrg, Team, User]
) -> None:
    org, team, manager = world
    with pytest.raises(Invalid) as error:
        record_past_campaign(
            session, spec(org, team), org.participant_ids, manager, now=org.end - timedelta(hours=1)
        )
    assert "ends_at" in error.value.fields


def test_participants_outside_the_audience_are_refused_and_nothing_is_recorded(
    session: Session, world: tuple[PlantedOrg, Team, User]
) -> None:
    org, team, manager = world
    outsider = make_user(session)
    with pytest.raises(Invalid) as error:
        record_past_campaign(
            session, spec(org, team), {outsider.id, 999_999}, manager, now=later(org)
        )
    assert error.value.fields["participant_ids"] == [
        "unknown user 999999",
        f"user {outsider.id} is not in the campaign's audience",
    ]
    assert ended_challenges(session, manager, now=later(org)) == []


def test_the_impact_report_recovers_the_planted_effect_of_a_recorded_campaign(
    session: Session, world: tuple[PlantedOrg, Team, User]
) -> None:
    org, team, manager = world
    challenge, _ = record_past_campaign(
        session, spec(org, team), org.participant_ids, manager, now=later(org), award_points=True
    )
    report = challenge_impact(session, challenge.id, manager, now=later(org))
    days = report.impact.kpis["days_to_close"]
    assert days.verdict == "effect"
    assert days.ci_low <= -12 <= days.ci_high  # type: ignore[operator]
    assert report.impact.kpis["win_rate"].n_control == len(org.control_ids)
    assert report.participation_rate == pytest.approx(len(org.participant_ids) / 40)
    assert [s.mission for s in report.funnel] == ["Win a deal", "Win 3 deals"]
    assert report.funnel[0].completed >= report.funnel[1].completed > 0
    assert report.reward_cost == Decimal("450.00")
    assert report.return_on_cost is not None
    assert report.return_on_cost.estimate == pytest.approx(
        report.impact.incremental_revenue.estimate / 450
    )
    assert [c.id for c in ended_challenges(session, manager, now=later(org), kind="upsell")] == [
        challenge.id
    ]
    assert ended_challenges(session, manager, now=later(org), kind="onboarding") == []


def test_only_a_manager_of_the_challenge_sees_its_impact(
    session: Session, world: tuple[PlantedOrg, Team, User]
) -> None:
    org, team, manager = world
    challenge, _ = record_past_campaign(
        session, spec(org, team), org.participant_ids, manager, now=later(org)
    )
    participant = session.get(User, next(iter(org.participant_ids)))
    other_manager = make_user(session, app_role="manager")
    with pytest.raises(Forbidden):
        challenge_impact(session, challenge.id, participant, now=later(org))  # type: ignore[arg-type]
    with pytest.raises(NotFound):
        challenge_impact(session, challenge.id, other_manager, now=later(org))
