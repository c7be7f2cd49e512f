"""Importing CRM exports: formats, locales, dry runs, all-or-nothing files, idempotence."""

from __future__ import annotations

import csv
import json
import re
from collections import Counter
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kpi_engine.crm.cells import parse_moment
from kpi_engine.crm.importer import CsvFile, ImportOptions, ImportPlan, plan_import, prepare_import
from kpi_engine.demo.org import SAMPLE_DIR
from kpi_engine.errors import Invalid
from kpi_engine.org.models import Team, User
from kpi_engine.sales.ingest import ingest_events
from kpi_engine.sales.models import Deal, ProductAlias, RawEvent
from tests.factories import make_user

DATA = Path(__file__).resolve().parent.parent / "data"
NOW = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)
SAMPLE = ("sales_pipeline.csv", "sales_teams.csv", "products.csv")


def files(*names: str, folder: Path = DATA) -> list[CsvFile]:
    return [CsvFile(name, (folder / name).read_bytes()) for name in names]


def plan(session: Session, *names: str, **options: object) -> ImportPlan:
    [only] = plan_import(session, files(*names), ImportOptions(**options), now=NOW)  # type: ignore[arg-type]
    return only


def run(session: Session, the_plan: ImportPlan) -> int:
    events = prepare_import(session, the_plan, now=NOW)
    result = ingest_events(session, events, source="import", now=NOW)
    assert not result.rejected
    return len(result.accepted)


@pytest.fixture
def reps(session: Session) -> None:
    make_user(session, email="ann@example.test", crm_user_id="CRM-ANN")
    make_user(session, email="bob@example.test", crm_user_id="CRM-BOB")


def test_the_sample_data_set_imports_with_the_published_figures(session: Session) -> None:
    sample = plan_import(session, files(*SAMPLE, folder=SAMPLE_DIR), ImportOptions(), now=NOW)
    [dry] = sample
    assert dry.ok and dry.format == "sample" and len(dry.created) == 8800
    assert [(a.alias, a.product, a.rows, a.new) for a in dry.aliases] == [
        ("GTXPro", "GTX Pro", 1480, True)
    ]
    assert sum(p.role == "rep" for p in dry.people) == 35
    assert session.scalar(select(func.count(Deal.id))) == 0
    run(session, dry)
    statuses = dict(session.execute(select(Deal.status, func.count()).group_by(Deal.status)).all())
    assert statuses == {"won": 4238, "lost": 2473, "open": 2089}
    assert round(100 * statuses["won"] / (statuses["won"] + statuses["lost"]), 2) == 63.15
    won = session.scalar(select(func.sum(Deal.amount)).where(Deal.status == "won"))
    assert won == 10_005_534
    assert session.scalar(select(func.count(User.id)).where(User.app_role == "rep")) == 35
    assert session.scalar(select(func.count(Team.id))) == 6
    assert session.scalar(select(func.count(Deal.id)).where(Deal.product == "GTXPro")) == 0
    assert session.scalar(select(ProductAlias.product).where(ProductAlias.alias == "GTXPro"))
    raws = session.scalar(select(func.count(RawEvent.id)))
    [again] = plan_import(session, files(*SAMPLE, folder=SAMPLE_DIR), ImportOptions(), now=NOW)
    assert len(again.unchanged) == 8800 and not again.people and not again.created
    assert [a.new for a in again.aliases] == [False]
    assert run(session, again) == 0
    assert session.scalar(select(func.count(RawEvent.id))) == raws


def test_a_hubspot_export_with_us_dates_and_thousands_separators(
    session: Session, reps: None
) -> None:
    hubspot = plan(session, "hubspot_deals.csv")
    assert hubspot.ok and hubspot.format == "hubspot" and len(hubspot.created) == 4
    assert hubspot.totals() == "4 rows: 4 accepted, 0 rejected"
    run(session, hubspot)
    deals = {d.crm_id: d for d in session.scalars(select(Deal))}
    assert deals["9001"].status == "won" and deals["9001"].amount == Decimal("12500.00")
    assert deals["9001"].closed_at == datetime(2026, 4, 2, 16, 45, tzinfo=UTC)
    assert deals["9002"].status == "lost" and deals["9002"].amount == 3200
    assert deals["9003"].status == "open" and deals["9003"].closed_at is None
    assert deals["9003"].stage == "Contract Sent" and deals["9003"].amount == Decimal("8000.50")
    assert deals["9004"].owner.email == "bob@example.test"


def test_a_european_salesforce_report_with_bom_semicolons_and_decimal_commas(
    session: Session, reps: None
) -> None:
    report = plan(session, "salesforce_eu.csv", timezone="Europe/Berlin")
    assert report.ok and report.format == "salesforce"
    run(session, report)
    deals = {d.crm_id: d for d in session.scalars(select(Deal))}
    won = deals["0065g00000AbCdE"]
    assert won.amount == Decimal("1234.50") and won.currency == "EUR"
    assert won.account == "Müller GmbH" and won.closed_at == datetime(2026, 3, 25, 11, tzinfo=UTC)
    assert deals["0065g00000AbCdF"].amount == 12000
    assert deals["0065g00000AbCdG"].amount == Decimal("7500.25")
    assert deals["0065g00000AbCdG"].currency == "SEK"


def test_a_file_with_ambiguous_dates_needs_its_format_named(session: Session, reps: None) -> None:
    ambiguous = plan(session, "ambiguous_dates.csv")
    assert not ambiguous.ok and not ambiguous.events
    assert "could be day-first or month-first" in ambiguous.errors[0]
    assert ambiguous.totals() == "2 rows: none checked, the file as a whole must be fixed first"
    named = plan(session, "ambiguous_dates.csv", date_format="eu")
    assert named.ok
    run(session, named)
    closed = session.scalar(select(Deal.closed_at).where(Deal.crm_id == "0061"))
    assert closed is not None and closed.date().isoformat() == "2026-06-05"


def test_an_explicit_mapping_reads_any_columns(session: Session, reps: None) -> None:
    mapping = json.loads((DATA / "custom_mapping.json").read_text())
    mapped = plan(session, "custom_mapping.csv", mapping=mapping)
    assert mapped.ok and mapped.format == "mapping" and len(mapped.created) == 2
    assert mapped.warnings == ["GTX Pro / GTXPro look like one product; kept apart (add an alias)"]
    run(session, mapped)
    products = set(session.scalars(select(Deal.product)))
    assert products == {"GTX Pro", "GTXPro"}


def test_a_mapping_naming_missing_columns_says_which(session: Session, reps: None) -> None:
    bad = plan(session, "custom_mapping.csv", format="hubspot", mapping={"deal_id": "Nope"})
    assert not bad.ok
    assert "no column 'Nope'" in bad.errors[0] and "no column for owner" in bad.errors[0]


def test_every_bad_row_is_listed_with_its_reason_and_the_file_is_not_imported(
    session: Session, reps: None
) -> None:
    broken = plan(session, "broken_rows.csv")
    reasons = {r.line: r.errors for r in broken.rejected}
    assert sorted(reasons) == [3, 4, 5, 6]
    assert "unknown owner 'ghost@example.test'" in reasons[3]["Opportunity Owner"][0]
    assert "'abc' is not an amount" in reasons[4]["Amount"][0]
    assert "needs its close date" in reasons[5]["Close Date"][0]
    assert "already appears on line 2" in reasons[6]["Opportunity ID"][0]
    assert broken.totals() == "5 rows: 1 accepted, 4 rejected"
    with pytest.raises(Invalid, match=r"broken_rows\.csv was not imported: 4 rows rejected"):
        prepare_import(session, broken, now=NOW)
    assert session.scalar(select(func.count(RawEvent.id))) == 0


def test_a_later_export_of_a_deal_that_moved_on_updates_only_that_deal(
    session: Session, reps: None, tmp_path: Path
) -> None:
    run(session, plan(session, "hubspot_deals.csv"))
    text = (DATA / "hubspot_deals.csv").read_text()
    moved = text.replace("Contract Sent,", "Closed Won,")
    (tmp_path / "later.csv").write_text(moved)
    [later] = plan_import(session, files("later.csv", folder=tmp_path), ImportOptions(), now=NOW)
    assert later.updated == ["9003"] and len(later.unchanged) == 3 and not later.created
    run(session, later)
    assert session.scalar(select(Deal.status).where(Deal.crm_id == "9003")) == "won"


def test_a_file_that_is_not_utf8_is_refused_by_name(session: Session) -> None:
    latin = CsvFile("latin1.csv", "Opportunity ID;Stage\n1;Gewonnen für\n".encode("latin-1"))
    with pytest.raises(Invalid, match=r"latin1\.csv is not UTF-8"):
        plan_import(session, [latin], ImportOptions(), now=NOW)


def test_a_file_with_a_nul_character_is_refused_by_name(session: Session) -> None:
    # UTF-16 exports decode as UTF-8 with a NUL after every letter; PostgreSQL stores no NUL.
    wide = CsvFile("wide.csv", "Opportunity ID;Stage\n1;Won\n".encode("utf-16-le"))
    with pytest.raises(Invalid, match=r"wide\.csv holds a NUL character \(byte 1\)"):
        plan_import(session, [wide], ImportOptions(), now=NOW)


def test_only_an_admin_import_may_add_the_people_of_a_roster(session: Session) -> None:
    names = files("sales_pipeline.csv", "sales_teams.csv", folder=SAMPLE_DIR)
    [manager_plan] = plan_import(session, names, ImportOptions(may_add_people=False), now=NOW)
    assert not manager_plan.ok
    assert "only an admin may add people" in manager_plan.errors[0]


def test_a_row_with_three_problems_is_rejected_once_naming_all_three(
    session: Session, reps: None
) -> None:
    rejects = plan(session, "hubspot_rejects.csv")
    reasons = {r.line: r.errors for r in rejects.rejected}
    assert sorted(reasons) == [3, 4, 5, 6] and rejects.created == ["9101"]
    assert reasons[3] == {
        "Close Date": ["02/31/2017: there is no 31 February"],
        "Amount": ["'-500' is negative"],
        "Deal owner": [
            "unknown owner 'ghost@example.test': no user has that email, CRM user id or name"
        ],
    }


def test_rejections_name_the_columns_as_the_export_names_them(session: Session, reps: None) -> None:
    reasons = {r.line: r.errors for r in plan(session, "hubspot_rejects.csv").rejected}
    unreadable = "'soon' is not a date in the us format (MM/DD/YYYY, e.g. 01/31/2017)"
    assert reasons[4]["Close Date"] == [unreadable]
    assert reasons[6] == {"Close Date": ["a won deal needs its close date"]}
    assert {column for errors in reasons.values() for column in errors} == {
        "Close Date",
        "Amount",
        "Deal owner",
    }


def test_rejections_are_grouped_by_cause_with_counts_and_first_lines(
    session: Session, reps: None
) -> None:
    groups = plan(session, "hubspot_rejects.csv").rejection_groups()
    assert [g.summary for g in groups] == [
        "Deal owner: owner unknown for 2 owners on 3 rows — ghost@example.test (2 rows),"
        " casper@example.test (1 row)"
        " (have an admin add them on the People page"
        " (flask --app wsgi create-user --email EMAIL …))",
        "Close Date: not a real date on 1 row (line 3)",
        "Amount: negative on 1 row (line 3)",
        "Close Date: not a date in the us format on 1 row (line 4)",
        "Close Date: empty on a won or lost deal on 1 row (line 6)",
    ]


def test_a_pipeline_without_its_roster_groups_its_unknown_owners_with_their_rows(
    session: Session,
) -> None:
    with (SAMPLE_DIR / "sales_pipeline.csv").open() as pipeline:
        owners = Counter(row["sales_agent"] for row in csv.DictReader(pipeline))
    [alone] = plan_import(
        session, files("sales_pipeline.csv", folder=SAMPLE_DIR), ImportOptions(), now=NOW
    )
    assert not alone.ok and alone.totals() == "8,800 rows: 0 accepted, 8,800 rejected"
    [group] = alone.rejection_groups()
    assert (group.column, group.rows, len(group.values)) == ("sales_agent", 8800, len(owners))
    (busiest, rows), *_ = owners.most_common()
    assert group.values[0] == (busiest, rows) and sum(n for _, n in group.values) == 8800
    assert group.summary.startswith(
        f"sales_agent: owner unknown for 30 owners on 8,800 rows — {busiest} ({rows:,} rows), "
    )
    assert group.summary.endswith(
        ", … and 20 more (add the owners' roster (sales_teams.csv, a HubSpot users export or a"
        " Salesforce users report) to the import, or have an admin add them on the People page"
        " with the name as their CRM user id (flask --app wsgi create-user --crm-id NAME …))"
    )


@pytest.mark.parametrize(
    ("cell", "date_format", "reason"),
    [
        ("31/02/2017", "eu", "31/02/2017: there is no 31 February"),
        ("02/31/2017", "us", "02/31/2017: there is no 31 February"),
        ("13/13/2017", "eu", "13/13/2017: there is no month 13"),
        ("29/02/2017", "eu", "29/02/2017: there is no 29 February 2017"),
        ("2017-04-31", "iso", "2017-04-31: there is no 31 April"),
        (
            "2017-13-45",
            "eu",
            "'2017-13-45' is not a date in the eu format (DD/MM/YYYY, e.g. 31/01/2017)",
        ),
        (
            "31/01/2017",
            "iso",
            "'31/01/2017' is not a date in the iso format (YYYY-MM-DD, e.g. 2017-01-31)",
        ),
        ("01/31/2017 25:10", "us", "01/31/2017 25:10: 25:10 is not a time of day"),
        (
            "31.01.17",
            "%d.%m.%Y",
            "'31.01.17' is not a date in the format %d.%m.%Y (e.g. 31.01.2017)",
        ),
    ],
)
def test_a_wrong_date_says_why_it_is_wrong(cell: str, date_format: str, reason: str) -> None:
    with pytest.raises(ValueError, match=f"^{re.escape(reason)}$"):
        parse_moment(cell, date_format, ZoneInfo("UTC"))
