"""Sales data in from a browser or the shell: the import page, import-crm, and activity logging."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from kpi_engine.sales.models import Activity, Deal, RawEvent
from tests.conftest import PASSWORD, finished_import, log_in
from tests.factories import make_team, make_user
from web.auth import hash_password
from web.extensions import db

DATA = Path(__file__).resolve().parent.parent / "data"

SAMPLE = Path(__file__).resolve().parents[2] / "examples" / "crm-sales-opportunities"


@pytest.fixture
def people(app: Flask) -> None:
    with app.app_context():
        s = db.session()
        hashed = hash_password(PASSWORD)
        make_user(s, app_role="admin", email="admin@example.test", password_hash=hashed)
        manager = make_user(s, app_role="manager", email="boss@example.test", password_hash=hashed)
        team = make_team(s, manager=manager)
        make_user(
            s, email="ann@example.test", crm_user_id="CRM-ANN", team=team, password_hash=hashed
        )
        make_user(s, email="bob@example.test", crm_user_id="CRM-BOB", team=team)
        s.commit()


def counts(app: Flask) -> tuple[int, int, int]:
    with app.app_context():
        return tuple(
            db.session.scalar(select(func.count(m.id))) or 0 for m in (RawEvent, Deal, Activity)
        )  # type: ignore[return-value]


def upload(client: FlaskClient, csrf: str, action: str, *names: str, **fields: str):
    files = [(io.BytesIO((DATA / n).read_bytes()), n) for n in names]
    data = {"csrf_token": csrf, "action": action, "files": files, **fields}
    response = client.post("/imports", data=data, content_type="multipart/form-data")
    return finished_import(client, response) if action == "import" else response


def test_a_manager_dry_runs_then_imports_a_hubspot_export(
    app: Flask, client: FlaskClient, people: None
) -> None:
    csrf = log_in(client, "boss@example.test")
    assert "Import CRM data" in client.get("/imports").get_data(as_text=True)
    dry = upload(client, csrf, "dry_run", "hubspot_deals.csv").get_data(as_text=True)
    assert "Dry run: nothing was changed" in dry and "Deals to create: 4" in dry
    assert counts(app) == (0, 0, 0)
    done = upload(client, csrf, "import", "hubspot_deals.csv").get_data(as_text=True)
    assert "Imported: 6 events stored" in done
    assert counts(app)[1] == 4
    again = upload(client, csrf, "import", "hubspot_deals.csv").get_data(as_text=True)
    assert "Imported: 0 events stored, 6 already known" in again


def test_the_page_lists_every_rejected_row_and_imports_nothing(
    app: Flask, client: FlaskClient, people: None
) -> None:
    csrf = log_in(client, "admin@example.test")
    page = upload(client, csrf, "import", "broken_rows.csv").get_data(as_text=True)
    assert "Nothing imported from broken_rows.csv" in page and "4 rows rejected" in page
    assert "5 rows: 1 accepted, 4 rejected" in page and "Deals to create" not in page
    assert "unknown owner &#39;ghost@example.test&#39;" in page
    assert counts(app) == (0, 0, 0)


def test_ambiguous_dates_are_refused_until_the_format_is_chosen(
    app: Flask, client: FlaskClient, people: None
) -> None:
    csrf = log_in(client, "admin@example.test")
    page = upload(client, csrf, "import", "ambiguous_dates.csv").get_data(as_text=True)
    assert "could be day-first or month-first" in page
    page = upload(client, csrf, "import", "ambiguous_dates.csv", date_format="us")
    assert "Imported: 4 events stored" in page.get_data(as_text=True)


def test_a_rep_may_not_open_the_import_page(client: FlaskClient, people: None) -> None:
    log_in(client, "ann@example.test")
    assert client.get("/imports").status_code == 403


def test_import_crm_dry_run_lists_the_sample_alias_and_changes_nothing(
    app: Flask, people: None
) -> None:
    paths = [str(SAMPLE / n) for n in ("sales_pipeline.csv", "sales_teams.csv", "products.csv")]
    result = app.test_cli_runner().invoke(args=["import-crm", "--dry-run", *paths])
    assert result.exit_code == 0, result.output
    assert "alias (new): GTXPro → GTX Pro (1,480 rows)" in result.output
    assert "deals to create: 8,800" in result.output and "new rep: Darcel Schlecht" in result.output
    assert counts(app) == (0, 0, 0)


def test_a_refused_import_crm_dry_run_counts_groups_and_caps_its_rejections(
    app: Flask, people: None
) -> None:
    args = ["import-crm", "--dry-run", str(SAMPLE / "sales_pipeline.csv")]
    result = app.test_cli_runner().invoke(args=args)
    assert result.exit_code == 1
    out = result.output
    assert "nothing imported from sales_pipeline.csv" in out
    assert "8,800 rows: 0 accepted, 8,800 rejected" in out
    assert "deals to create" not in out and "deals unchanged" not in out
    assert (
        "sales_agent: owner unknown for 30 owners on 8,800 rows — Darcel Schlecht (747 rows)" in out
    )
    assert "add the owners' roster (sales_teams.csv, a HubSpot users export or a Salesforce" in out
    assert "have an admin add them on the People page with the name as their CRM user id" in out
    assert out.count("rejected line ") == 20 and "… and 8,780 more rejected lines" in out
    assert counts(app) == (0, 0, 0)


def test_the_page_shows_rejections_grouped_by_cause_under_the_files_columns(
    app: Flask, client: FlaskClient, people: None
) -> None:
    csrf = log_in(client, "admin@example.test")
    page = upload(client, csrf, "dry_run", "hubspot_rejects.csv").get_data(as_text=True)
    assert "Nothing imported from hubspot_rejects.csv" in page and "Deals to create" not in page
    assert "5 rows: 1 accepted, 4 rejected" in page
    assert "Deal owner: owner unknown for 2 owners on 3 rows — ghost@example.test (2 rows)" in page
    assert "Close Date: not a real date on 1 row (line 3)" in page
    assert (
        "Close Date: 02/31/2017: there is no 31 February; Amount: &#39;-500&#39; is negative"
        in page
    )


def test_the_page_lists_only_the_first_twenty_rejected_lines_and_counts_the_rest(
    app: Flask, client: FlaskClient, people: None
) -> None:
    header = "Record ID,Deal Stage,Create Date,Deal owner\n"
    rows = "".join(f"{n},appointmentscheduled,03/14/2026,ghost@example.test\n" for n in range(25))
    csrf = log_in(client, "admin@example.test")
    page = _upload_text(client, csrf, "dry_run", header + rows).get_data(as_text=True)
    assert "25 rows: 0 accepted, 25 rejected" in page
    assert "Deal owner: owner unknown for 1 owner on 25 rows — ghost@example.test (25 rows)" in page
    assert page.count('<td class="num">') == 20 and "… and 5 more rejected lines" in page


def test_import_crm_imports_a_file_once_and_fails_on_bad_rows(app: Flask, people: None) -> None:
    runner = app.test_cli_runner()
    first = runner.invoke(args=["import-crm", str(DATA / "salesforce_eu.csv")])
    assert first.exit_code == 0, first.output
    assert "imported: 5 events stored" in first.output
    second = runner.invoke(args=["import-crm", str(DATA / "salesforce_eu.csv")])
    assert "deals unchanged: 3" in second.output and "imported: 0 events stored" in second.output
    bad = runner.invoke(args=["import-crm", str(DATA / "broken_rows.csv")])
    assert bad.exit_code == 1
    assert "rejected line 4 (0073): Amount: 'abc' is not an amount" in bad.output
    assert "nothing imported from broken_rows.csv" in bad.output
    assert counts(app)[1] == 3


def test_import_crm_reads_a_column_mapping(app: Flask, people: None) -> None:
    args = ["import-crm", "--mapping", str(DATA / "custom_mapping.json")]
    result = app.test_cli_runner().invoke(args=[*args, str(DATA / "custom_mapping.csv")])
    assert result.exit_code == 0, result.output
    assert "GTX Pro / GTXPro look like one product" in result.output


def _form_key(page: str) -> str:
    found = re.search(r'name="key" value="([0-9a-f]{32})"', page)
    assert found is not None
    return found[1]


def test_a_rep_logs_a_call_in_two_taps_and_sees_it_at_once(
    app: Flask, client: FlaskClient, people: None
) -> None:
    csrf = log_in(client, "ann@example.test")
    page = client.get("/activities/new").get_data(as_text=True)
    form = {"csrf_token": csrf, "key": _form_key(page), "kind": "call", "outcome": "meeting_booked"}
    response = client.post("/activities", data=form, follow_redirects=True)
    shown = response.get_data(as_text=True)
    assert "Call logged: meeting booked." in shown and "meeting booked</span>" in shown
    client.post("/activities", data=form)
    assert counts(app) == (1, 0, 1)
    with app.app_context():
        activity = db.session.scalar(select(Activity))
        assert activity is not None and activity.rep.email == "ann@example.test"
        assert db.session.scalar(select(RawEvent.source)) == "app"


def test_an_activity_of_an_unknown_kind_is_refused_and_not_stored(
    app: Flask, client: FlaskClient, people: None
) -> None:
    csrf = log_in(client, "ann@example.test")
    form = {"csrf_token": csrf, "key": "0" * 32, "kind": "carrier pigeon", "outcome": "none"}
    assert client.post("/activities", data=form).status_code == 422
    assert counts(app) == (0, 0, 0)


def _upload_text(client: FlaskClient, csrf: str, action: str, text: str):
    data = {"csrf_token": csrf, "action": action, "files": [(io.BytesIO(text.encode()), "d.csv")]}
    response = client.post("/imports", data=data, content_type="multipart/form-data")
    return finished_import(client, response) if action == "import" else response


def test_a_managers_import_refuses_rows_of_another_team_and_imports_nothing(
    app: Flask, client: FlaskClient, people: None
) -> None:
    with app.app_context():
        s = db.session()
        cat = make_user(s, email="cat@example.test", name="Cat Cole", team=make_team(s)).id
        s.commit()
    # the other team's deal 7001 exists, owned by cat
    admin = app.test_client()
    admin_csrf = log_in(admin, "admin@example.test")
    header = "Record ID,Deal Name,Deal Stage,Amount,Create Date,Close Date,Deal owner\n"
    cats = "7001,Cat's deal,appointmentscheduled,,03/14/2026 09:30,,cat@example.test\n"
    assert "Imported" in _upload_text(admin, admin_csrf, "import", header + cats).text
    before = counts(app)
    csrf = log_in(client, "boss@example.test")
    rows = (
        "7001,Cat's deal,Closed Won,900,03/14/2026 09:30,04/02/2026 16:45,ann@example.test\n"
        "7002,New for cat,Closed Won,500,03/15/2026 09:30,04/03/2026 16:45,cat@example.test\n"
        "7003,Ann's own,appointmentscheduled,,03/16/2026 09:30,,ann@example.test\n"
    )
    dry = _upload_text(client, csrf, "dry_run", header + rows).get_data(as_text=True)
    assert "2 rows rejected" in dry
    assert "deal 7001 belongs to Cat Cole" in dry
    assert "you may not record events for cat@example.test" in dry
    page = _upload_text(client, csrf, "import", header + rows).get_data(as_text=True)
    assert "Nothing imported from d.csv" in page
    assert counts(app) == before
    with app.app_context():
        owner = db.session.scalar(select(Deal.owner_id).where(Deal.crm_id == "7001"))
        assert owner == cat
