"""The KPI engine on small hand-made data: no-data states, status colours, projections,
comparisons, inputs, alerts once per crossing, and the decision log."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session

from kpi_engine.errors import Forbidden, Invalid
from kpi_engine.kpis.alerts import evaluate_alerts
from kpi_engine.kpis.decisions import DecisionInput, decision_log, record_decision
from kpi_engine.kpis.inputs import import_inputs
from kpi_engine.kpis.models import KpiAlert
from kpi_engine.kpis.registry import DEFINITIONS, REGISTRY
from kpi_engine.kpis.scorecards import DEFAULT_ROLE_KPIS, frames_for, projection, scorecard
from kpi_engine.kpis.targets import set_target, status, threshold
from kpi_engine.org.models import User
from kpi_engine.periods import parse_period
from kpi_engine.sales.dataframes import Scope, parse_scope
from kpi_engine.sales.ingest import ingest_events
from tests.factories import event, make_team, make_user

NOVEMBER = parse_period("2026-11")
MID_NOVEMBER = datetime(2026, 11, 16, tzinfo=UTC)


def _deal(rep: User, crm_id: str, outcome: str | None, amount: int = 1000,
          created: str = "2026-11-02T10:00:00+00:00",
          closed: str = "2026-11-05T10:00:00+00:00") -> list:  # type: ignore[type-arg]  # fmt: skip
    events = [event("deal.created", rep, created, deal_id=crm_id, stage="Prospecting",
                    account=f"acct-{crm_id}")]  # fmt: skip
    if outcome:
        events.append(event(f"deal.{outcome}", rep, closed, deal_id=crm_id, amount=str(amount)))
    return events


def _ingest(session: Session, *batches: list) -> None:  # type: ignore[type-arg]
    result = ingest_events(session, [e for batch in batches for e in batch])
    assert not result.rejected, result.rejected


def _measure(session: Session, key: str, scope: Scope, period: str = "2026-11"):  # type: ignore[no-untyped-def]
    return REGISTRY[key].formula(frames_for(session, scope, parse_period(period), MID_NOVEMBER))


def test_every_kpi_says_no_data_with_a_reason_for_an_empty_scope(session: Session) -> None:
    rep = make_user(session, team=make_team(session))
    for kpi in DEFINITIONS:
        measured = _measure(session, kpi.key, Scope("rep", str(rep.id)))
        assert measured.value is None and measured.reason, kpi.key


def test_win_rate_and_revenue_count_only_the_scope_and_the_period(session: Session) -> None:
    team = make_team(session)
    alice, bob = make_user(session, team=team), make_user(session, team=make_team(session))
    _ingest(session, _deal(alice, "a1", "won", 300), _deal(alice, "a2", "lost"),
            _deal(alice, "a3", "won", 500, closed="2026-10-30T10:00:00+00:00",
                  created="2026-10-01T10:00:00+00:00"),
            _deal(bob, "b1", "won", 9000))  # fmt: skip
    assert _measure(session, "win_rate", Scope("rep", str(alice.id))).value == 0.5
    assert _measure(session, "revenue_won", Scope("team", str(team.id))).value == 300
    assert _measure(session, "revenue_won", Scope("org")).value == 9300
    assert _measure(session, "revenue_won", Scope("region", "East")).value == 9300


def test_a_lost_only_period_earns_zero_revenue_not_no_data(session: Session) -> None:
    rep = make_user(session)
    _ingest(session, _deal(rep, "l1", "lost"))
    assert _measure(session, "revenue_won", Scope("rep", str(rep.id))).value == 0.0


def test_days_to_close_is_a_mean_with_its_median_so_more_deals_do_not_score_worse(
    session: Session,
) -> None:
    rep = make_user(session)
    _ingest(session, _deal(rep, "d1", "won", created="2026-11-01T00:00:00+00:00",
                           closed="2026-11-03T00:00:00+00:00"),
            _deal(rep, "d2", "won", created="2026-11-01T00:00:00+00:00",
                  closed="2026-11-11T00:00:00+00:00"),
            _deal(rep, "d3", "won", created="2026-11-01T00:00:00+00:00",
                  closed="2026-11-04T00:00:00+00:00"))  # fmt: skip
    cycle = _measure(session, "sales_cycle_days", Scope("rep", str(rep.id)))
    assert cycle.value == 5.0 and cycle.extra["median"] == 3.0


@given(value=st.floats(-1e6, 1e6), target=st.floats(-1e6, 1e6), higher=st.booleans())
def test_status_respects_the_direction(value: float, target: float, higher: bool) -> None:
    kpi = REGISTRY["win_rate" if higher else "sales_cycle_days"]
    colour = status(kpi, value, threshold(kpi, target, None, "set"))
    better = value >= target if higher else value <= target
    assert (colour == "green") == better
    mirrored = REGISTRY["sales_cycle_days" if higher else "win_rate"]
    if value != target:
        assert status(mirrored, value, threshold(mirrored, target, None, "set")) != colour


def test_sums_project_with_the_run_rate_and_rates_stay_as_they_are() -> None:
    halfway = datetime(2026, 11, 16, tzinfo=UTC)
    assert projection(REGISTRY["revenue_won"], 500.0, NOVEMBER, halfway) == 1000.0
    assert projection(REGISTRY["win_rate"], 0.4, NOVEMBER, halfway) == 0.4
    assert (
        projection(REGISTRY["revenue_won"], 500.0, NOVEMBER, datetime(2027, 1, 1, tzinfo=UTC))
        == 500.0
    )
    assert (
        projection(REGISTRY["revenue_won"], 0.0, NOVEMBER, datetime(2026, 10, 1, tzinfo=UTC))
        is None
    )


def test_a_card_counts_deals_engaged_in_the_period_and_open_at_its_end(
    session: Session,
) -> None:
    rep = make_user(session)
    _ingest(session, _deal(rep, "w1", "won", 600),
            _deal(rep, "e1", None, created="2026-10-20T10:00:00+00:00"),
            [event("deal.stage_changed", rep, "2026-11-03T10:00:00+00:00", deal_id="e1",
                   stage="Qualification")])  # fmt: skip
    card = scorecard(session, Scope("rep", str(rep.id)), NOVEMBER, now=MID_NOVEMBER,
                     keys=["win_rate", "sqls_created", "pipeline_velocity"])  # fmt: skip
    assert card.row("win_rate").measure.value == 1.0
    assert card.row("sqls_created").measure.value == 1.0
    assert card.row("pipeline_velocity").measure.extra["open_deals"] == 1


def test_a_scorecard_compares_with_the_previous_period_and_the_same_period_last_year(
    session: Session,
) -> None:
    rep = make_user(session)
    _ingest(session, _deal(rep, "n1", "won", 400),
            _deal(rep, "o1", "won", 100, created="2026-10-02T00:00:00+00:00",
                  closed="2026-10-03T00:00:00+00:00"),
            _deal(rep, "y1", "won", 50, created="2025-11-02T00:00:00+00:00",
                  closed="2025-11-03T00:00:00+00:00"))  # fmt: skip
    card = scorecard(session, Scope("rep", str(rep.id)), NOVEMBER, now=MID_NOVEMBER,
                     keys=["revenue_won"])  # fmt: skip
    row = card.row("revenue_won")
    assert (row.measure.value, row.previous, row.last_year) == (400.0, 100.0, 50.0)
    assert row.threshold is not None and row.threshold.source == "previous period"
    assert row.status == "green"


def test_an_sdr_gets_the_sdr_defaults(session: Session) -> None:
    sdr = make_user(session, sales_role="SDR")
    card = scorecard(session, Scope("rep", str(sdr.id)), NOVEMBER, now=MID_NOVEMBER)
    assert card.role == "SDR"
    assert [r.kpi.key for r in card.rows] == list(DEFAULT_ROLE_KPIS["SDR"])


def test_quota_attainment_uses_the_quota_and_a_team_sums_its_reps_quotas(
    session: Session,
) -> None:
    team = make_team(session)
    alice, bob = make_user(session, team=team), make_user(session, team=team)
    _ingest(session, _deal(alice, "q1", "won", 600))
    csv = [
        {"kind": "quota", "scope": f"rep:{r.id}", "period": "2026-11", "amount": amount}
        for r, amount in ((alice, "1000"), (bob, "500"))
    ]
    assert import_inputs(session, csv, "UTC") == 2
    assert _measure(session, "quota_attainment", Scope("rep", str(alice.id))).value == 0.6
    assert _measure(session, "quota_attainment", Scope("team", str(team.id))).value == 0.4


def test_an_import_with_a_bad_line_names_it_and_stores_nothing(session: Session) -> None:
    rep = make_user(session)
    rows = [{"kind": "quota", "scope": f"rep:{rep.id}", "period": "2026-11", "amount": "10"},
            {"kind": "bonus", "scope": "rep:x", "period": "2026-11", "amount": "-3"}]  # fmt: skip
    with pytest.raises(Invalid) as caught:
        import_inputs(session, rows, "UTC")
    assert set(caught.value.fields) == {"line 3"}
    assert _measure(session, "quota_attainment", Scope("rep", str(rep.id))).value is None


def _alerts(session: Session) -> list[KpiAlert]:
    return list(session.scalars(select(KpiAlert).order_by(KpiAlert.id)))


def test_a_crossing_into_red_raises_exactly_one_alert_until_the_kpi_recovers(
    session: Session,
) -> None:
    manager = make_user(session, app_role="manager")
    team = make_team(session, manager=manager)
    rep = make_user(session, team=team)
    set_target(session, kpi_key="win_rate", scope=f"team:{team.id}", period="2026-11",
               target=Decimal("0.5"), red_at=Decimal("0.3"))  # fmt: skip
    _ingest(session, _deal(rep, "r1", "lost"), _deal(rep, "r2", "lost"))
    raised = evaluate_alerts(session, MID_NOVEMBER)
    assert [(a.kpi_key, a.owner_id) for a in raised] == [("win_rate", manager.id)]
    assert evaluate_alerts(session, MID_NOVEMBER) == []
    _ingest(session, _deal(rep, "r3", "won"), _deal(rep, "r4", "won"))
    assert evaluate_alerts(session, MID_NOVEMBER) == []
    assert _alerts(session)[0].cleared_at == MID_NOVEMBER
    _ingest(session, *(_deal(rep, f"r{n}", "lost") for n in range(5, 9)))
    assert len(evaluate_alerts(session, MID_NOVEMBER)) == 1
    assert len(_alerts(session)) == 2


def test_periods_that_are_not_running_raise_no_alert(session: Session) -> None:
    rep = make_user(session)
    set_target(session, kpi_key="win_rate", scope=f"rep:{rep.id}", period="2026-10",
               target=Decimal("0.9"))  # fmt: skip
    _ingest(session, _deal(rep, "p1", "lost", closed="2026-10-05T10:00:00+00:00",
                           created="2026-10-01T10:00:00+00:00"))  # fmt: skip
    assert evaluate_alerts(session, MID_NOVEMBER) == []


def test_a_decision_needs_owner_due_date_and_criterion_unless_it_is_a_challenge(
    session: Session,
) -> None:
    manager = make_user(session, app_role="manager")
    team = make_team(session, manager=manager)
    scope = f"team:{team.id}"
    with pytest.raises(Invalid):
        record_decision(session, manager, DecisionInput("win_rate", scope, "2026-11", "Coach"),
                        now=MID_NOVEMBER, challenge_ids=[])  # fmt: skip
    action = DecisionInput("win_rate", scope, "2026-11", "Coach the team", manager.id,
                           date(2026, 11, 30), "win rate back above 50 %")  # fmt: skip
    challenge = DecisionInput("win_rate", scope, "2026-11", "Closing sprint", challenge_id=7)
    for decided in (action, challenge):
        record_decision(session, manager, decided, now=MID_NOVEMBER, challenge_ids=[7])
    assert [d.challenge_id for d in decision_log(session, [scope])] == [None, 7]


def test_a_manager_cannot_log_a_decision_on_a_team_they_do_not_manage(session: Session) -> None:
    manager = make_user(session, app_role="manager")
    other = make_team(session)
    given = DecisionInput("win_rate", f"team:{other.id}", "2026-11", "x", challenge_id=1)
    with pytest.raises(Forbidden):
        record_decision(session, manager, given, now=MID_NOVEMBER, challenge_ids=[1])


@pytest.mark.parametrize("text", ["rep", "rep:abc", "team:", "region:", "org:1", "planet:3"])
def test_a_malformed_scope_is_refused(text: str) -> None:
    with pytest.raises(Invalid):
        parse_scope(text)
