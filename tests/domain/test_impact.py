"""Impact analytics on generated organisations whose truth is known (fixed seeds)."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.stats import rankdata, spearmanr
from sqlalchemy.orm import Session

from kpi_engine.errors import Invalid
from kpi_engine.impact.bootstrap import (
    _ranks_in_resamples,
    _resample_counts,
    difference_of_means,
    new_rng,
    spearman,
)
from kpi_engine.impact.estimates import (
    ImpactDesign,
    ImpactReport,
    Intensity,
    KpiImpact,
    measure_impact,
)
from tests.impact_org import LENGTH, PlantedOrg, Truth, plant_org

CORE = ("win_rate", "avg_deal_size", "days_to_close")


def design(org: PlantedOrg, **changes: object) -> ImpactDesign:
    base = ImpactDesign(org.start, org.end, org.participant_ids, org.control_ids)
    return ImpactDesign(**{**base.__dict__, **changes})  # type: ignore[arg-type]


def measure(session: Session, org: PlantedOrg, **changes: object) -> ImpactReport:
    return measure_impact(session, design(org, **changes), now=org.end + timedelta(days=1))


def contains(kpi: KpiImpact, truth: float) -> bool:
    assert kpi.ci_low is not None and kpi.ci_high is not None
    return kpi.ci_low <= truth <= kpi.ci_high


def test_a_planted_effect_is_recovered_with_the_truth_inside_an_interval_excluding_zero(
    session: Session,
) -> None:
    org = plant_org(session, Truth(win_rate=0.12, size=0.20, days=-12), seed=7)
    report = measure(session, org)
    truths = {"win_rate": 0.12, "avg_deal_size": org.size_effect(0.20), "days_to_close": -12.0}
    for key, truth in truths.items():
        kpi = report.kpis[key]
        assert kpi.verdict == "effect", (key, kpi.warnings)
        assert contains(kpi, truth), (key, kpi.ci_low, kpi.ci_high, truth)
        assert not contains(kpi, 0.0)
        assert kpi.warnings == []


def test_the_sample_sizes_count_reps_and_the_deals_behind_each_kpi(session: Session) -> None:
    org = plant_org(session, Truth(), seed=3, reps=20, participants=10, deals_per_period=10)
    win_rate = measure(session, org).kpis["win_rate"]
    assert (win_rate.n_participants, win_rate.n_control) == (10, 10)
    # Pre-window and window closed deals of every rep; the period before is only the check.
    assert win_rate.n_deals == 20 * 2 * 10


def test_when_the_best_reps_join_the_naive_difference_is_large_but_no_effect_is_claimed(
    session: Session,
) -> None:
    org = plant_org(session, Truth(best_reps_join=True), seed=11)
    report = measure(session, org)
    assert report.kpis["win_rate"].naive_difference > 0.1  # type: ignore[operator]
    for key in CORE:
        kpi = report.kpis[key]
        assert kpi.verdict != "effect", (key, kpi.ci_low, kpi.ci_high)
        assert contains(kpi, 0.0)


def test_a_shock_that_lifts_everybody_is_not_credited_to_the_challenge(session: Session) -> None:
    shock = Truth(shock_win_rate=0.10, shock_size=0.15, shock_days=-8)
    org = plant_org(session, shock, seed=5)
    report = measure(session, org)
    before, during = report.kpis["win_rate"].series[1:3]
    assert during.participants - before.participants > 0.07  # type: ignore[operator]
    for key in CORE:
        kpi = report.kpis[key]
        assert kpi.verdict != "effect", (key, kpi.ci_low, kpi.ci_high)
        assert contains(kpi, 0.0)


def test_participants_already_diverging_before_the_challenge_make_it_inconclusive(
    session: Session,
) -> None:
    org = plant_org(session, Truth(participant_trend=0.10), seed=2)
    win_rate = measure(session, org).kpis["win_rate"]
    assert win_rate.verdict == "inconclusive"
    assert any("already moving differently" in str(w) for w in win_rate.warnings)


def test_three_against_three_is_too_noisy_to_tell_and_says_what_would_help(
    session: Session,
) -> None:
    org = plant_org(session, Truth(win_rate=0.3), seed=1, reps=6, participants=3)
    for kpi in measure(session, org).kpis.values():
        assert kpi.verdict == "too_noisy", (kpi.key, kpi.ci_low, kpi.ci_high)
        assert kpi.estimate is not None and "permutation" in str(kpi.method)
        assert any("too few reps to tell" in str(w) and "holdout" in str(w) for w in kpi.warnings)


def test_a_single_participant_cannot_be_measured_and_the_minimum_is_named(
    session: Session,
) -> None:
    org = plant_org(session, Truth(win_rate=0.3), seed=1, reps=6, participants=1)
    for kpi in measure(session, org).kpis.values():
        assert kpi.verdict == "inconclusive"
        assert (kpi.estimate, kpi.ci_low, kpi.ci_high) == (None, None, None)
        said = [str(w) for w in kpi.warnings]
        assert any("at least 2 in each group" in w and "longer window" in w for w in said)


def test_one_deal_a_period_claims_nothing_on_noise(session: Session) -> None:
    org = plant_org(session, Truth(), seed=1, reps=12, participants=6, deals_per_period=1)
    win_rate = measure(session, org).kpis["win_rate"]
    assert win_rate.verdict in ("too_noisy", "inconclusive")
    assert win_rate.warnings


def test_a_six_rep_team_against_eight_comparable_reps_gets_an_honest_answer(
    session: Session,
) -> None:
    org = plant_org(session, Truth(win_rate=0.25), seed=2, reps=14, participants=6)
    win_rate = measure(session, org).kpis["win_rate"]
    assert win_rate.verdict == "effect", (win_rate.ci_low, win_rate.ci_high, win_rate.warnings)
    assert win_rate.ci_low is not None and win_rate.ci_high is not None
    assert win_rate.ci_low <= 0.25 <= win_rate.ci_high


def test_without_a_comparable_group_nothing_is_claimed(session: Session) -> None:
    org = plant_org(session, Truth(win_rate=0.2), seed=4, reps=20, participants=20)
    for kpi in measure(session, org).kpis.values():
        assert kpi.verdict == "inconclusive"
        assert kpi.estimate is None and kpi.naive_difference is None
        assert any("no comparable group" in str(w) for w in kpi.warnings)


def test_the_post_window_appears_once_it_has_fully_passed(session: Session) -> None:
    org = plant_org(session, Truth(), seed=6, reps=20, participants=10)
    soon = measure_impact(session, design(org), now=org.end + LENGTH / 2)
    later = measure_impact(session, design(org), now=org.end + LENGTH)
    assert soon.post_window is None and soon.kpis["win_rate"].post is None
    assert later.post_window is not None and later.post_window.start == org.end
    assert later.kpis["win_rate"].post is not None


def test_a_running_challenge_compares_the_window_so_far_with_a_pre_window_as_long(
    session: Session,
) -> None:
    org = plant_org(session, Truth(), seed=6, reps=20, participants=10)
    report = measure_impact(session, design(org), now=org.start + timedelta(days=10))
    assert report.still_running
    assert report.window.end - report.window.start == timedelta(days=10)
    assert report.pre_window.end == org.start
    assert report.pre_window.start == org.start - timedelta(days=10)


def test_the_same_data_always_gives_the_same_interval(session: Session) -> None:
    org = plant_org(session, Truth(win_rate=0.1), seed=8, reps=30, participants=15)
    first, second = measure(session, org), measure(session, org)
    assert first.kpis == second.kpis


def test_an_effect_growing_with_missions_completed_shows_as_a_rank_correlation(
    session: Session,
) -> None:
    org = plant_org(session, Truth(days=-24, dose_response=True), seed=9)
    participation = {rep: Intensity(m, 25.0 * m) for rep, m in org.missions.items()}
    links = {i.kpi: i for i in measure(session, org, participation=participation).intensity}
    days = links["days_to_close"]
    # More missions, shorter cycles: a negative correlation whose interval excludes zero.
    assert days.by_missions.high is not None and days.by_missions.high < 0
    assert days.by_points.estimate == days.by_missions.estimate
    assert len(days.points) == len(org.participant_ids)
    assert links["win_rate"].by_missions.excludes_zero is False


def test_participation_without_an_effect_shows_no_rank_correlation(session: Session) -> None:
    org = plant_org(session, Truth(), seed=9)
    participation = {rep: Intensity(m, 25.0 * m) for rep, m in org.missions.items()}
    for link in measure(session, org, participation=participation).intensity:
        assert not link.by_missions.excludes_zero, link.kpi


def test_a_rep_in_both_groups_is_refused(session: Session) -> None:
    org = plant_org(session, Truth(), seed=1, reps=6, participants=3)
    overlap = org.control_ids | {next(iter(org.participant_ids))}
    with pytest.raises(Invalid) as error:
        measure(session, org, control_ids=overlap)
    assert "control_ids" in error.value.fields


def test_a_challenge_that_has_not_started_cannot_be_measured(session: Session) -> None:
    org = plant_org(session, Truth(), seed=1, reps=6, participants=3)
    with pytest.raises(Invalid, match="cannot be measured"):
        measure_impact(session, design(org), now=org.start)


@given(
    st.lists(st.floats(-1e3, 1e3), min_size=1, max_size=30),
    st.lists(st.floats(-1e3, 1e3), min_size=1, max_size=30),
    st.floats(-1e3, 1e3),
)
def test_a_shift_common_to_both_groups_leaves_the_difference_unchanged(
    treated: list[float], control: list[float], shift: float
) -> None:
    t, c = np.array(treated), np.array(control)
    plain = difference_of_means(t, c, new_rng(), 200)
    shifted = difference_of_means(t + shift, c + shift, new_rng(), 200)
    assert shifted.estimate == pytest.approx(plain.estimate, abs=1e-6)
    assert plain.low is not None and plain.high is not None
    assert plain.low - 1e-9 <= plain.estimate <= plain.high + 1e-9  # type: ignore[operator]


@given(st.lists(st.integers(0, 6), min_size=3, max_size=25), st.integers(0, 2**32 - 1))
def test_ranks_in_each_resample_match_ranking_the_resample_itself(
    values: list[int], seed: int
) -> None:
    x = np.array(values, dtype=np.float64)
    counts = _resample_counts(x.size, new_rng(seed), 20)
    ranks = _ranks_in_resamples(x, counts)
    for row in range(20):
        picked = np.repeat(np.arange(x.size), counts[row].astype(int))
        expected = dict(zip(picked, rankdata(x[picked]), strict=True))
        assert all(ranks[row, i] == expected[i] for i in set(picked))


def test_the_rank_correlation_is_spearmans() -> None:
    x, y = np.array([1.0, 2, 2, 5, 7, 9]), np.array([3.0, 1, 4, 1, 5, 9])
    assert spearman(x, y, new_rng()).estimate == pytest.approx(spearmanr(x, y).statistic)
