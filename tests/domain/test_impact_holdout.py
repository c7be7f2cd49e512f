"""The holdout: drawn at launch within strata with a recorded seed, invisible to the reps kept
out, and the randomised comparison as the impact report's main estimate."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from decimal import Decimal
from typing import Any

import numpy as np
import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from gameplay.core.enrollment import audience_users, in_audience
from gameplay.core.models import Participant
from gameplay.impact.report import challenge_impact
from gameplay.manage.challenges import create_challenge, get_challenge, launch_challenge
from gameplay.manage.design import power_plan
from kpi_engine.errors import Invalid, NotFound
from kpi_engine.impact.estimates import ImpactDesign, Randomisation, measure_impact
from kpi_engine.impact.power import detectable_effects
from kpi_engine.impact.randomised import permutation_interval
from kpi_engine.org.models import Team, User
from tests.factories import make_team, make_user
from tests.impact_org import PlantedOrg, Truth, plant_org


def spec(org: PlantedOrg, team: Team, **changes: Any) -> dict[str, Any]:
    return {
        "name": "Closing push",
        "kind": "upsell",
        "format": "leaderboard",
        "starts_at": org.start,
        "ends_at": org.end,
        "timezone": "UTC",
        "audience": {"team_ids": [team.id], "sales_roles": [], "user_ids": []},
        "rules": [{"fact": "deal_won", "points": 10}],
        "holdout_share": Decimal("0.3"),
        **changes,
    }


def org_in_team(session: Session, reps: int = 40) -> tuple[PlantedOrg, Team, User]:
    manager = make_user(session, app_role="manager", sales_role=None)
    team = make_team(session, manager=manager)
    org = plant_org(session, Truth(), seed=4, reps=reps, participants=reps // 2)
    ids = org.participant_ids | org.control_ids
    session.execute(update(User).where(User.id.in_(ids)).values(team_id=team.id))
    # Two sales roles, so the draw has strata to keep apart.
    half = sorted(ids)[: reps // 2]
    session.execute(update(User).where(User.id.in_(half)).values(sales_role="SDR"))
    session.expire_all()
    return org, team, manager


def launched(session: Session, org: PlantedOrg, team: Team, manager: User, seed: int = 9) -> int:
    before = org.start - timedelta(days=1)
    draft = create_challenge(session, spec(org, team), manager, now=before - timedelta(hours=1))
    challenge, _ = launch_challenge(session, draft.id, manager, now=before, holdout_seed=seed)
    return challenge.id


def test_launch_keeps_a_share_of_each_stratum_out_and_records_the_seed(session: Session) -> None:
    org, team, manager = org_in_team(session)
    challenge = get_challenge(session, launched(session, org, team, manager), manager)
    assert challenge.holdout_seed == 9
    arms = Counter(a.arm for a in challenge.assignments)
    assert arms["treated"] + arms["holdout"] == 40
    assert 8 <= arms["holdout"] <= 16  # 30 % of 40, rounded at random in each stratum
    per_stratum = Counter((a.stratum, a.arm) for a in challenge.assignments)
    strata = {a.stratum for a in challenge.assignments}
    assert len(strata) >= 2 and all("·" in s for s in strata)
    for label in strata:
        size = per_stratum[(label, "treated")] + per_stratum[(label, "holdout")]
        assert abs(per_stratum[(label, "holdout")] - 0.3 * size) < 1
    enrolled = set(
        session.scalars(select(Participant.user_id).where(Participant.challenge_id == challenge.id))
    )
    assert enrolled == {a.user_id for a in challenge.assignments if a.arm == "treated"}


def test_the_same_seed_over_the_same_audience_draws_the_same_holdout(session: Session) -> None:
    org, team, manager = org_in_team(session)
    first = get_challenge(session, launched(session, org, team, manager, seed=5), manager)
    second = get_challenge(session, launched(session, org, team, manager, seed=5), manager)
    third = get_challenge(session, launched(session, org, team, manager, seed=6), manager)
    assert first.held_out_ids == second.held_out_ids
    assert first.held_out_ids != third.held_out_ids


def test_a_held_out_rep_does_not_see_the_challenge_at_all(session: Session) -> None:
    org, team, manager = org_in_team(session)
    challenge = get_challenge(session, launched(session, org, team, manager), manager)
    held = session.get(User, min(challenge.held_out_ids))
    assert held is not None
    assert not in_audience(challenge, held)
    assert held not in audience_users(session, challenge)
    with pytest.raises(NotFound):
        get_challenge(session, challenge.id, held)


def test_a_holdout_share_over_half_is_refused_naming_the_field(session: Session) -> None:
    org, team, manager = org_in_team(session, reps=10)
    with pytest.raises(Invalid) as refused:
        create_challenge(session, spec(org, team, holdout_share=Decimal("0.8")), manager,
                         now=org.start - timedelta(days=2))  # fmt: skip
    assert "holdout_share" in refused.value.fields


def test_the_report_leads_with_the_randomised_comparison_and_keeps_the_did_beside_it(
    session: Session,
) -> None:
    org, team, manager = org_in_team(session)
    challenge_id = launched(session, org, team, manager)
    report = challenge_impact(session, challenge_id, manager, now=org.end + timedelta(days=1))
    challenge = get_challenge(session, challenge_id, manager)
    win = report.impact.kpis["win_rate"]
    assert win.design == "randomised"
    assert str(win.method).startswith("randomised comparison")
    assert win.n_control == len(challenge.held_out_ids)
    assert win.robustness is not None and win.robustness_verdict is not None
    assert win.verdict in ("too_noisy", "effect")
    assert win.p_value is not None and 0 < win.p_value <= 1


def test_a_planted_effect_is_recovered_by_the_randomised_comparison(session: Session) -> None:
    # plant_org draws its participants at random: a randomised design, arms = its two groups.
    org = plant_org(session, Truth(win_rate=0.12), seed=7, reps=60, participants=40)
    draw = Randomisation(org.participant_ids, org.control_ids)
    design = ImpactDesign(org.start, org.end, org.participant_ids, org.control_ids,
                          randomisation=draw)  # fmt: skip
    win = measure_impact(session, design, now=org.end + timedelta(days=1)).kpis["win_rate"]
    assert win.design == "randomised" and win.verdict == "effect"
    assert win.ci_low is not None and win.ci_high is not None
    assert win.ci_low <= 0.12 <= win.ci_high and win.ci_low > 0


def _simulated(seed: int, reps: int, share: float, effect: float) -> tuple[Any, ...]:
    """A small org: skill per rep, three strata, a holdout drawn within them, 20 closed deals
    per rep in the window, the effect planted on the reps kept in."""
    rng = np.random.default_rng(seed)
    skill = rng.uniform(0.2, 0.5, reps)
    strata = rng.integers(0, 3, reps)
    kept_in = np.zeros(reps, dtype=bool)
    for s in range(3):
        members = rng.permutation(np.flatnonzero(strata == s))
        kept_in[members[: round(len(members) * (1 - share))]] = True
    win_rate = rng.binomial(20, np.clip(skill + effect * kept_in, 0, 1)) / 20
    return win_rate, kept_in, strata


@pytest.mark.parametrize(("reps", "share", "effect"), [(30, 0.3, 0.10), (60, 0.2, 0.05)])
def test_the_randomised_interval_holds_the_truth_about_95_percent_of_the_time(
    reps: int, share: float, effect: float
) -> None:
    held = 0
    for seed in range(200):
        values, kept_in, strata = _simulated(seed, reps, share, effect)
        found = permutation_interval(values, kept_in, strata, rng=np.random.default_rng(seed),
                                     draws=1000)  # fmt: skip
        low = -np.inf if found.low is None else found.low
        high = np.inf if found.high is None else found.high
        held += low <= effect <= high
    assert 0.91 <= held / 200 <= 0.99, held


def test_with_no_effect_a_small_team_claims_one_at_most_about_5_percent_of_the_time() -> None:
    claims = 0
    for seed in range(200):
        values, kept_in, strata = _simulated(seed, 12, 0.5, 0.0)
        found = permutation_interval(values, kept_in, strata, rng=np.random.default_rng(seed),
                                     draws=1000)  # fmt: skip
        claims += found.excludes_zero
    assert claims / 200 <= 0.07, claims


def test_three_against_three_cannot_be_told_from_chance_and_says_so() -> None:
    values = np.array([0.9, 0.8, 0.85, 0.1, 0.2, 0.15])
    found = permutation_interval(values, np.array([1, 1, 1, 0, 0, 0], dtype=bool),
                                 rng=np.random.default_rng(1))  # fmt: skip
    # 20 possible draws: the smallest p-value is 1/20, so no effect can be excluded at 95 %.
    assert found.estimate == pytest.approx(0.7)
    assert not found.excludes_zero


def test_power_before_launch_states_the_smallest_effect_from_the_orgs_own_history(
    session: Session,
) -> None:
    org, team, manager = org_in_team(session)
    # A draft starting when the planted history ends: its three periods are the history.
    window = {"starts_at": org.end, "ends_at": org.end + (org.end - org.start)}
    with_holdout = create_challenge(session, spec(org, team, **window), manager, now=org.start)
    plan = power_plan(session, with_holdout)
    assert plan.randomised and (plan.treated, plan.control) == (28, 12)
    win = next(e for e in plan.effects if e.key == "win_rate")
    assert win.effect is not None and 0.05 < win.effect < 0.3, win
    # Half the reps in each arm: the detectable effect grows by about √2.
    length = org.end - org.start
    treated, control = sorted(org.participant_ids), sorted(org.control_ids)
    full = detectable_effects(session, treated, control, start=org.end, length=length,
                              randomised=True)[0].effect  # fmt: skip
    half = detectable_effects(session, treated[::2], control[::2], start=org.end, length=length,
                              randomised=True)[0].effect  # fmt: skip
    assert full is not None and half is not None
    assert 1.2 < half / full < 1.7


def test_without_a_holdout_or_comparable_reps_power_says_what_is_missing(
    session: Session,
) -> None:
    org, team, manager = org_in_team(session)
    window = {"starts_at": org.end, "ends_at": org.end + (org.end - org.start)}
    draft = create_challenge(session, spec(org, team, holdout_share=None, **window), manager,
                             now=org.start)  # fmt: skip
    plan = power_plan(session, draft)
    assert not plan.randomised and plan.control == 0
    assert all(e.effect is None and "add a holdout" in str(e.reason) for e in plan.effects)


def test_the_small_team_did_claims_an_effect_under_none_at_most_about_5_percent() -> None:
    """A 6-rep team against 8 comparable reps, a common shock, no effect: per-rep changes
    (window minus pre-window) permuted between the groups, as the report does with few reps."""
    claims = 0
    for seed in range(200):
        rng = np.random.default_rng(seed)
        skill = rng.uniform(0.2, 0.5, 14)
        before = rng.binomial(20, skill) / 20
        during = rng.binomial(20, np.clip(skill + 0.08, 0, 1)) / 20  # a good quarter for all
        team = np.arange(14) < 6
        found = permutation_interval(during - before, team, rng=rng, draws=1000)
        claims += found.excludes_zero
    assert claims / 200 <= 0.07, claims
