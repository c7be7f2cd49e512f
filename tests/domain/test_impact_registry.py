"""Impact analytics on any KPI of the registry, per rep: generated organisations, known truth."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from kpi_engine.errors import Invalid
from kpi_engine.impact.estimates import CORE_KEYS, ImpactDesign, ImpactReport, measure_impact
from tests.impact_org import ActivityTruth, PlantedOrg, Truth, plant_activities, plant_org


def measure(session: Session, org: PlantedOrg, kpis: tuple[str, ...]) -> ImpactReport:
    design = ImpactDesign(org.start, org.end, org.participant_ids, org.control_ids)
    return measure_impact(session, design, now=org.end + timedelta(days=1), kpis=kpis)


def test_a_planted_rise_in_activities_per_rep_is_recovered_within_an_interval_excluding_zero(
    session: Session,
) -> None:
    org = plant_org(session, Truth(), seed=21, deals_per_period=2)
    plant_activities(session, org, ActivityTruth(effect=12), seed=21)
    activities = measure(session, org, ("activities",)).kpis["activities"]
    assert activities.verdict == "effect", activities.warnings
    assert activities.ci_low is not None and activities.ci_high is not None
    assert activities.ci_low <= 12 <= activities.ci_high
    assert activities.ci_low > 0
    assert (activities.n_participants, activities.n_control) == (50, 50)
    assert activities.n_activities > 5_000 and activities.n_deals == 0
    assert activities.warnings == []


def test_busier_reps_joining_in_a_busy_month_claim_no_effect_on_activities(
    session: Session,
) -> None:
    org = plant_org(session, Truth(), seed=22, deals_per_period=2)
    plant_activities(session, org, ActivityTruth(shock=15, joiners_lead=20), seed=22)
    activities = measure(session, org, ("activities",)).kpis["activities"]
    assert activities.naive_difference is not None and activities.naive_difference > 15
    before, during = activities.series[1:3]
    assert during.control - before.control > 10  # type: ignore[operator]
    assert activities.verdict != "effect", (activities.ci_low, activities.ci_high)
    assert activities.ci_low is not None and activities.ci_high is not None
    assert activities.ci_low <= 0 <= activities.ci_high


def test_a_registry_kpi_per_rep_is_its_formula_over_that_reps_deals(session: Session) -> None:
    org = plant_org(session, Truth(days=-12), seed=23, reps=40, participants=20)
    report = measure(session, org, ("sales_cycle_days", "days_to_close"))
    registry, core = report.kpis["sales_cycle_days"], report.kpis["days_to_close"]
    assert registry.estimate == pytest.approx(core.estimate)
    assert registry.naive_difference == pytest.approx(core.naive_difference)
    assert registry.n_deals == core.n_deals
    assert registry.verdict == "effect" and registry.better == "lower"


@pytest.mark.parametrize(
    ("key", "says"),
    [
        ("quota_attainment", "not measurable per rep: it needs a quota"),
        ("cac", "not measurable per rep: it needs marketing and sales costs"),
        ("ltv_to_cac", "not measurable per rep"),
        ("forecast_accuracy", "not measurable per rep: it needs a forecast"),
        ("tool_adoption", "not measurable per rep"),
        ("renewal_rate", "no data for any rep: the CRM feed carries no renewals"),
    ],
)
def test_a_kpi_no_rep_can_have_warns_why_and_claims_nothing(
    session: Session, key: str, says: str
) -> None:
    org = plant_org(session, Truth(win_rate=0.2), seed=24, reps=20, participants=10)
    report = measure(session, org, (key, "win_rate"))
    kpi = report.kpis[key]
    assert kpi.verdict == "inconclusive"
    assert (kpi.estimate, kpi.ci_low, kpi.ci_high, kpi.naive_difference) == (None,) * 4
    assert len(kpi.warnings) == 1 and says in str(kpi.warnings[0])
    assert [link.warnings for link in report.intensity if link.kpi == key] == [kpi.warnings]
    assert report.kpis["win_rate"].estimate is not None


def test_the_core_figures_do_not_depend_on_the_other_kpis_asked_for(session: Session) -> None:
    org = plant_org(session, Truth(win_rate=0.1), seed=25, reps=30, participants=15)
    plant_activities(session, org, ActivityTruth(), seed=25)
    alone = measure(session, org, CORE_KEYS)
    mixed = measure(session, org, ("activities", "days_to_close", "pipeline_conversion"))
    assert list(mixed.kpis) == ["activities", "days_to_close", "pipeline_conversion"]
    assert mixed.kpis["days_to_close"] == alone.kpis["days_to_close"]
    assert mixed.incremental_revenue == alone.incremental_revenue


def test_an_unknown_kpi_is_refused_naming_it(session: Session) -> None:
    org = plant_org(session, Truth(), seed=26, reps=6, participants=3)
    with pytest.raises(Invalid) as error:
        measure(session, org, ("win_rate", "happiness"))
    assert "'happiness'" in error.value.fields["kpis"][0]
