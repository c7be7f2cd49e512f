"""Date-only CRM fields are calendar days: imported under any ORG_TIMEZONE, read under any
other, a deal stays on its day, days to close are whole days across daylight saving changes,
and a row without a creation date stays undated instead of taking the import's clock.

The expected figures are computed here from the CSV text with plain date arithmetic (and, for
the sample data set, with pandas), never through project code.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from datetime import UTC, date, datetime
from pathlib import Path
from statistics import mean, median

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kpi_engine.crm.importer import CsvFile, ImportOptions, ImportPlan, plan_import, prepare_import
from kpi_engine.demo.org import SAMPLE_DIR
from kpi_engine.kpis.registry import REGISTRY, Measure
from kpi_engine.kpis.scorecards import frames_for
from kpi_engine.org.models import Team, User
from kpi_engine.periods import parse_period
from kpi_engine.sales.dataframes import Scope
from kpi_engine.sales.ingest import ingest_events, rebuild_mirror
from kpi_engine.sales.models import Deal, RawEvent
from tests.factories import event, make_user

DATA = Path(__file__).resolve().parent.parent / "data"
NOW = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)
ZONES = ("UTC", "Europe/Berlin", "Pacific/Auckland")
# Read under another zone than the import's: the three above, and one west of UTC.
READ_ZONES = (*ZONES, "America/Los_Angeles")
CALENDAR = "hubspot_eu_calendar.csv"
QUARTERS_2017 = ("2016-Q4", "2017-Q1", "2017-Q2", "2017-Q3", "2017-Q4", "2018-Q1")


@pytest.fixture
def reps(session: Session) -> None:
    make_user(session, email="ann@example.test")
    make_user(session, email="bob@example.test")


def imported(session: Session, name: str, tz: str, folder: Path = DATA, *more: str) -> ImportPlan:
    """Plan and import files under ORG_TIMEZONE `tz`; the deal file's plan."""
    files = [CsvFile(n, (folder / n).read_bytes()) for n in (name, *more)]
    [plan] = plan_import(session, files, ImportOptions(timezone=tz), now=NOW)
    assert plan.ok, plan.rejected[:3] or plan.errors
    result = ingest_events(
        session, prepare_import(session, plan, now=NOW), source="import", now=NOW, tz=tz
    )
    assert not result.rejected
    return plan


def kpi(session: Session, key: str, scope: Scope, period: str, tz: str) -> Measure:
    frames = frames_for(session, scope, parse_period(period, tz), NOW, [REGISTRY[key]])
    return REGISTRY[key].formula(frames)


def rows_of(name: str) -> list[dict[str, str]]:
    text = (DATA / name).read_text(encoding="utf-8-sig")
    return list(csv.DictReader(io.StringIO(text), delimiter=";"))


def day(cell: str) -> date:
    """A DD/MM/YYYY cell as the calendar day it names."""
    d, m, y = (int(part) for part in cell.split("/"))
    return date(y, m, d)


def amount(cell: str) -> float:
    return float(cell.replace(".", "").replace(" ", "").replace(",", "."))


def quarter(d: date) -> str:
    return f"{d.year}-Q{(d.month - 1) // 3 + 1}"


@pytest.mark.parametrize(
    ("import_tz", "read_tz"), [(i, r) for i in ZONES for r in READ_ZONES if r != i]
)
def test_the_same_deals_give_the_calendar_figures_whatever_zone_imports_or_reads_them(
    session: Session, reps: None, import_tz: str, read_tz: str
) -> None:
    rows = rows_of(CALENDAR)
    won = [r for r in rows if r["Deal Stage"] == "Closed Won"]
    imported(session, CALENDAR, import_tz)
    deals = {d.crm_id: d for d in session.scalars(select(Deal))}
    for row in rows:
        deal = deals[row["Record ID"]]
        assert deal.created_on == day(row["Create Date"]), row["Record ID"]
        assert deal.closed_on == (day(row["Close Date"]) if row["Close Date"] else None)
    cycles = [(day(r["Close Date"]) - day(r["Create Date"])).days for r in won]
    cycle = kpi(session, "sales_cycle_days", Scope("org"), "2016-01-01..2018-12-31", read_tz)
    assert cycle.value == mean(cycles) and cycle.extra["n"] == len(won) and cycle.note is None
    assert cycle.extra["median"] == median(cycles)
    revenue: dict[str, float] = defaultdict(float)
    for row in won:
        revenue[quarter(day(row["Close Date"]))] += amount(row["Amount"])
    for label in QUARTERS_2017:
        measured = kpi(session, "revenue_won", Scope("org"), label, read_tz)
        assert (measured.value or 0.0) == pytest.approx(revenue[label], abs=0.001), label
    spring = kpi(session, "sales_cycle_days", Scope("org"), "2017-05-01", read_tz)
    assert spring.value == 82  # 12M4HB7G: 8 February to 1 May, over the spring change


def test_a_deal_over_the_spring_change_takes_82_whole_days_in_berlin_not_81_958(
    session: Session, reps: None
) -> None:
    imported(session, CALENDAR, "Europe/Berlin")
    deal = session.scalars(select(Deal).where(Deal.crm_id == "12M4HB7G")).one()
    # The instants keep the hour of noon in Berlin (11:00 UTC in winter, 10:00 in summer)...
    assert deal.created_at == datetime(2017, 2, 8, 11, tzinfo=UTC)
    assert deal.closed_at == datetime(2017, 5, 1, 10, tzinfo=UTC)
    # ...but the days between the two dates are whole calendar days.
    assert (deal.closed_on - deal.created_on).days == 82
    cycle = kpi(session, "sales_cycle_days", Scope("org"), "2017-Q2", "Europe/Berlin")
    assert cycle.value == (82 + 7) / 2  # with Q2-FIRST: 25 March to 1 April


def test_a_rebuild_under_another_zone_keeps_every_day(session: Session, reps: None) -> None:
    imported(session, CALENDAR, "Pacific/Auckland")
    before = session.execute(select(Deal.crm_id, Deal.created_on, Deal.closed_on)).all()
    rebuild_mirror(session)
    after = session.execute(select(Deal.crm_id, Deal.created_on, Deal.closed_on)).all()
    assert sorted(after) == sorted(before)


@given(
    st.dates(date(1990, 1, 1), date(2060, 12, 31)),
    st.integers(0, 3000),
    st.sampled_from(READ_ZONES),
    st.sampled_from(READ_ZONES),
)
@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_any_pair_of_dates_is_its_whole_days_apart_in_any_pair_of_zones(
    session: Session, created: date, days: int, import_tz: str, read_tz: str
) -> None:
    """A won deal created on one day and closed `days` later: that many days, on those days."""
    closed = date.fromordinal(min(created.toordinal() + days, date(2099, 12, 31).toordinal()))
    session.rollback()
    make_user(session, email="ann@example.test")
    header = "Record ID,Deal Stage,Amount,Create Date,Close Date,Deal owner\n"
    line = f"H1,Closed Won,100,{created.isoformat()},{closed.isoformat()},ann@example.test\n"
    [plan] = plan_import(
        session, [CsvFile("one.csv", (header + line).encode())], ImportOptions(timezone=import_tz),
        now=NOW,
    )  # fmt: skip
    ingest_events(
        session, prepare_import(session, plan, now=NOW), source="import", now=NOW, tz=import_tz
    )
    deal = session.scalars(select(Deal)).one()
    assert (deal.created_on, deal.closed_on) == (created, closed)
    cycle = kpi(session, "sales_cycle_days", Scope("org"), closed.isoformat(), read_tz)
    assert cycle.value == (closed - created).days
    session.rollback()


def test_undated_rows_are_reported_and_no_kpi_counts_them_as_created_at_import_time(
    session: Session, reps: None
) -> None:
    plan = imported(session, "hubspot_undated.csv", "UTC")
    assert plan.undated == [3, 4, 5]
    assert plan.undated_summary().startswith(
        "3 rows have no creation date (Create Date empty; lines 3, 4, 5):"
    )
    deals = {d.crm_id: d for d in session.scalars(select(Deal))}
    for crm_id in ("9202", "9203", "9204"):
        assert deals[crm_id].created_on is None and deals[crm_id].created_at is None
    assert deals["9204"].closed_on == date(2026, 4, 20)
    org = Scope("org")
    # The import's own quarter: the undated deals are not "new" there.
    now_quarter = kpi(session, "pipeline_conversion", org, "2026-Q4", "UTC")
    assert now_quarter.value is None
    assert now_quarter.reason == (
        "no deal entered the pipeline in the period (2 deals without a creation date left out)"
    )
    assert kpi(session, "mql_to_sql", org, "2026-11-02", "UTC").value is None
    # Where the dated deals entered: over them alone, saying how many were left out.
    conversion = kpi(session, "pipeline_conversion", org, "2026-Q2", "UTC")
    assert conversion.value == 0.5 and conversion.extra["n"] == 2
    assert conversion.note == "3 deals without a creation date left out"
    # A close date is enough for the KPIs of closed deals; the cycle needs a start.
    assert kpi(session, "revenue_won", org, "2026-Q2", "UTC").value == 3000.0
    cycle = kpi(session, "sales_cycle_days", org, "2026-Q2", "UTC")
    assert cycle.value == 8 and cycle.extra["n"] == 1
    assert cycle.note == "1 deal without a creation date left out"
    stored = session.scalars(
        select(RawEvent.occurred_on).where(
            RawEvent.subject == "9202", RawEvent.type == "deal.created"
        )
    ).one()
    assert stored is None


def test_an_undated_row_imported_again_is_a_duplicate(session: Session, reps: None) -> None:
    imported(session, "hubspot_undated.csv", "UTC")
    raws = session.scalar(select(func.count(RawEvent.id)))
    [again] = plan_import(
        session,
        [CsvFile("hubspot_undated.csv", (DATA / "hubspot_undated.csv").read_bytes())],
        ImportOptions(),
        now=datetime(2027, 1, 5, tzinfo=UTC),
    )
    assert len(again.unchanged) == 5 and again.undated == [3, 4, 5]
    ingest_events(session, prepare_import(session, again, now=NOW), source="import", now=NOW)
    assert session.scalar(select(func.count(RawEvent.id))) == raws


@pytest.fixture(scope="module")
def sample_csv() -> pd.DataFrame:
    frame = pd.read_csv(
        SAMPLE_DIR / "sales_pipeline.csv", parse_dates=["engage_date", "close_date"]
    )
    teams = pd.read_csv(SAMPLE_DIR / "sales_teams.csv")
    return frame.merge(teams, on="sales_agent", how="left")


def test_the_sample_imported_in_berlin_and_read_in_auckland_matches_the_csv(
    session: Session, sample_csv: pd.DataFrame
) -> None:
    """The issue's case: every figure as the CSV gives it, read under a zone 12 hours away."""
    plan = imported(session, "sales_pipeline.csv", "Europe/Berlin", SAMPLE_DIR, "sales_teams.csv")
    assert len(plan.undated) == 500  # the Prospecting rows: no date at all
    tz, csv_ = "Pacific/Auckland", sample_csv
    won = csv_[csv_["deal_stage"] == "Won"]
    days = (won["close_date"] - won["engage_date"]).dt.days
    org = kpi(session, "revenue_won", Scope("org"), "2016-01-01..2017-12-31", tz)
    assert org.value == 10_005_534
    for agent in sorted(won["sales_agent"].unique()):
        rep_id = session.scalar(select(User.id).where(User.crm_user_id == agent))
        scope = Scope("rep", str(rep_id))
        cycle = kpi(session, "sales_cycle_days", scope, "2016-01-01..2017-12-31", tz)
        mine = days[won["sales_agent"] == agent]
        assert (cycle.value, cycle.extra["median"]) == (mine.mean(), mine.median()), agent
    won = won.assign(quarter=won["close_date"].dt.to_period("Q").astype(str).str.replace("Q", "-Q"))
    for (manager, label), revenue in (
        won.groupby(["manager", "quarter"])["close_value"].sum().items()
    ):
        team_id = session.scalar(
            select(Team.id).join(User, Team.manager_id == User.id).where(User.name == manager)
        )
        measured = kpi(session, "revenue_won", Scope("team", str(team_id)), label, tz)
        assert measured.value == revenue, (manager, label)
    undated = kpi(session, "pipeline_conversion", Scope("org"), "2026-Q4", tz)
    assert undated.value is None and "(500 deals without a creation date left out)" in (
        undated.reason or ""
    )


@pytest.mark.parametrize(
    ("org_tz", "day"), [("America/New_York", date(2017, 12, 31)), ("UTC", date(2018, 1, 1))]
)
def test_an_api_instant_takes_its_day_in_the_org_zone_on_arrival_and_keeps_it(
    session: Session, reps: None, org_tz: str, day: date
) -> None:
    """Won at 23:30 in New York on New Year's Eve: 2017-12-31 for a New York org, 2018-01-01
    for a UTC one; the instant is kept as sent, and reading elsewhere later moves nothing."""
    won = datetime.fromisoformat("2017-12-31T23:30:00-05:00")
    events = [
        event("deal.created", "ann@example.test", "2017-12-01T10:00:00+00:00", deal_id="API-1"),
        event("deal.won", "ann@example.test", won, deal_id="API-1", amount="900"),
    ]
    assert not ingest_events(session, events, now=NOW, tz=org_tz).rejected
    deal = session.scalars(select(Deal)).one()
    assert deal.closed_at == won and deal.closed_on == day
    for read_tz in READ_ZONES:
        revenue = kpi(session, "revenue_won", Scope("org"), quarter(day), read_tz)
        assert revenue.value == 900.0, read_tz
