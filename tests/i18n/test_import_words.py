"""An import's words in its reader's language (issue 22): a job's report, written when the job
runs in its uploader's language, why a date is no day of the calendar, a roster's refusals,
and a failed job's reason; the command line (`flask import-crm`) stays English."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from kpi_engine.crm.cells import ImpossibleDate, parse_moment, read_table
from kpi_engine.crm.import_jobs import ImportJob, queue_import
from kpi_engine.crm.importer import CsvFile, ImportOptions, plan_import
from kpi_engine.crm.owners import Person, read_roster
from kpi_engine.db import utcnow
from kpi_engine.org.models import User
from kpi_engine.org.reach import reach
from tests.conftest import finished_import, log_in
from tests.i18n.test_domain_words import french_dry_run
from tests.live.conftest import Org
from web.cli_sales import describe
from web.extensions import db
from web.formats import written
from web.i18n import in_locale
from web.import_jobs import recover_stalled

FRENCH = {"Accept-Language": "fr"}
UTC = ZoneInfo("UTC")
HEADER = (
    "Record ID,Deal Name,Deal Stage,Amount,Create Date,Close Date,Deal owner,"
    "Associated Company,Pipeline\n"
)
# Refused: a day February lacks with a negative amount, an unknown owner; one row passes.
REFUSED = HEADER + (
    "9001,Acme,Closed Won,-500,03/14/2026 09:30,02/31/2026,ann@example.test,Acme,Sales\n"
    "9002,Beta,Closed Won,100,03/14/2026,04/02/2026,ghost@example.test,Beta,Sales\n"
    "9003,Gamma,appointmentscheduled,100,03/14/2026,,bob@example.test,Gamma,Sales\n"
)
ROSTER = "Full Name,Email\nMoses Frase,moses.frase\n"  # line 2: no email address
# Imported: two new deals, one without a creation date.
ACCEPTED = HEADER + (
    "9101,Delta,appointmentscheduled,100,03/14/2026,,ann@example.test,Delta,Sales\n"
    "9102,Echo,appointmentscheduled,100,,,bob@example.test,Echo,Sales\n"
)


def speaks(app: Flask, email: str, code: str | None) -> None:
    with app.app_context():
        user = db.session.scalars(select(User).where(User.email == email)).one()
        user.locale = code
        db.session.commit()


def english_report(app: Flask, files: list[CsvFile], email: str) -> list[str]:
    """The report of these files planned now (before they are imported), in English."""
    with app.app_context(), in_locale("en"):
        session = db.session()
        uploader = session.scalars(select(User).where(User.email == email)).one()
        options = ImportOptions(
            timezone=app.config["ORG_TIMEZONE"],
            may_add_people=False,
            reach=reach(session, uploader),
        )
        plans = plan_import(session, files, options, now=utcnow())
        lines = [line for plan in plans for line in describe(plan)]
        session.rollback()
        return lines


def import_job(
    client: FlaskClient, csrf: str, files: list[CsvFile], headers: dict[str, str] | None = None
) -> dict[str, object]:
    """Upload the files for import and wait for the job; its status (report, error)."""
    uploads = [(io.BytesIO(f.data), f.name) for f in files]
    data = {"csrf_token": csrf, "action": "import", "files": uploads}
    answer = client.post(
        "/imports", data=data, content_type="multipart/form-data", headers=headers or {}
    )
    job_id = answer.headers["Location"].rstrip("/").rsplit("/", 1)[1]
    finished_import(client, answer)
    status: dict[str, object] = client.get(f"/api/v1/imports/{job_id}").get_json()
    return status


@pytest.mark.parametrize(
    "files",
    [
        [CsvFile("deals.csv", REFUSED.encode()), CsvFile("owners.csv", ROSTER.encode())],
        [CsvFile("deals.csv", ACCEPTED.encode())],
    ],
    ids=["refused", "imported"],
)
def test_a_french_uploaders_job_reports_every_line_in_french(
    app: Flask, client: FlaskClient, org: Org, files: list[CsvFile]
) -> None:
    english = english_report(app, files, "boss@example.test")
    speaks(app, "boss@example.test", "fr")
    status = import_job(client, log_in(client, "boss@example.test"), files)
    report = status["report"]
    assert isinstance(report, list) and len(report) == len(english) > 3, (report, english)
    same = [line for line, theirs in zip(report, english, strict=True) if line == theirs]
    assert not same, f"lines left in English: {same}"
    if files[0].data == REFUSED.encode():
        assert report[:4] == [
            "deals.csv (hubspot, 3 lignes)",
            "  rien d'importé depuis deals.csv : corrigez les lignes ci-dessous et relancez"
            " l'import",
            "  erreur : owners.csv ligne 2 : 'moses.frase' n'est pas une adresse e-mail",
            "  3 lignes : 1 acceptée, 2 refusées",
        ]
        assert "  2 lignes rejetées, par cause :" in report
        assert "    Close Date : pas une vraie date sur 1 ligne (ligne 2)" in report
        assert any(
            line.startswith("  ligne 2 rejetée (9001) : Close Date : 02/31/2026 : le 31 février")
            for line in report
        ), report
        assert status["state"] == "failed" and status["error"] == (
            "rien d'importé depuis deals.csv : 3 lignes : 1 acceptée, 2 refusées"
        )
    else:
        assert "  affaires à créer : 2 (9101, 9102)" in report
        assert "  affaires à mettre à jour : 0" in report and "  affaires inchangées : 0" in report
        assert any(line.startswith("  sans date : 1 ligne n'a pas de date") for line in report)
        assert status["state"] == "done" and status["error"] is None


def test_a_job_is_written_in_the_language_its_uploader_read_when_uploading(
    client: FlaskClient, org: Org
) -> None:
    """No choice on the profile, no organisation default: the browser's language of the upload
    (the job runs later, outside that request)."""
    csrf = log_in(client, "boss@example.test")
    files = [CsvFile("deals.csv", ACCEPTED.encode())]
    status = import_job(client, csrf, files, headers=FRENCH)
    report = status["report"]
    assert isinstance(report, list) and report[0] == "deals.csv (hubspot, 2 lignes)", report


def test_a_job_without_a_deal_file_fails_in_its_uploaders_language(
    app: Flask, client: FlaskClient, org: Org
) -> None:
    speaks(app, "boss@example.test", "fr")
    status = import_job(
        client,
        log_in(client, "boss@example.test"),
        [CsvFile("users.csv", b"First Name,Last Name,Email\nAda,Lovelace,ada@acme.test\n")],
    )
    assert status["state"] == "failed" and status["error"] == (
        "l'import s'est arrêté : aucun fichier d'affaires parmi les fichiers ; rien n'a été"
        " enregistré"
    )


def test_an_unreachable_queue_fails_the_job_in_its_uploaders_language(
    app: Flask, client: FlaskClient, org: Org
) -> None:
    speaks(app, "boss@example.test", "fr")
    csrf = log_in(client, "boss@example.test")
    app.config["JOBS_REDIS_URL"] = "redis://127.0.0.1:1/0"
    data = {"csrf_token": csrf, "action": "import", "files": [(io.BytesIO(b"x"), "deals.csv")]}
    answer = client.post("/imports", data=data, content_type="multipart/form-data")
    assert answer.status_code == 503
    with app.app_context():
        job = db.session.scalars(select(ImportJob)).one()
        assert job.error == (
            "la file des tâches (JOBS_REDIS_URL) est injoignable ; rien n'a été enregistré"
        )


def test_a_job_that_keeps_dying_is_failed_in_its_uploaders_language(app: Flask, org: Org) -> None:
    speaks(app, "boss@example.test", "fr")
    with app.app_context():
        session = db.session()
        boss = session.scalars(select(User).where(User.email == "boss@example.test")).one()
        files = [CsvFile("deals.csv", ACCEPTED.encode())]
        job = queue_import(session, files, ImportOptions(), actor=boss, now=utcnow())
        job.state, job.attempts, job.rows_total, job.rows_accepted = "running", 3, 2_000, 1_500
        job.heartbeat_at = utcnow() - timedelta(hours=1)
        session.commit()
    assert recover_stalled(app) == []
    with app.app_context():
        error = db.session.scalars(select(ImportJob.error)).one() or ""
    assert error.startswith("son exécutant s'est arrêté 3 fois (dernières nouvelles à "), error
    assert error.endswith(
        " ; lignes enregistrées avant l'arrêt : 1\u202f500 sur 2\u202f000 ; importez à nouveau"
        " le même fichier pour ajouter le reste (les lignes enregistrées sont reconnues)"
    ), error


@pytest.mark.parametrize(
    ("cell", "date_format", "french"),
    [
        ("31/02/2017", "eu", "31/02/2017 : le 31 février n'existe pas"),
        ("29/02/2017", "eu", "29/02/2017 : le 29 février 2017 n'existe pas"),
        ("2017-04-31", "iso", "2017-04-31 : le 31 avril n'existe pas"),
        ("13/13/2017", "eu", "13/13/2017 : il n'y a pas de mois 13"),
    ],
)
def test_why_a_date_is_no_day_is_written_in_french(
    app: Flask, cell: str, date_format: str, french: str
) -> None:
    with pytest.raises(ImpossibleDate) as refused:
        parse_moment(cell, date_format, UTC)
    with app.test_request_context(), in_locale("fr"):
        assert written(refused.value.args[0]) == french


def test_a_rosters_refusals_and_places_are_written_in_french(app: Flask) -> None:
    columns = {"name": "Full Name", "email": "Email", "team": "Team", "region": "Region"}
    text = (
        "Full Name,Email,Team,Region\n"
        ",ann@acme.test,East,\n"
        "Bob Hall,bob,East,\n"
        "Cat Ray,same@acme.test,East,North\n"
        "Dan Ray,same@acme.test,,\n"
        "Eve Ray,same@acme.test,,\n"
    )
    roster = read_roster(read_table(text), columns, "acme.test", "team.csv")
    with app.test_request_context(), in_locale("fr"):
        assert [written(e) for e in roster.errors] == [
            "team.csv ligne 2 : le nom de la personne est vide",
            "team.csv ligne 3 : 'bob' n'est pas une adresse e-mail",
            "team.csv : Cat Ray, Dan Ray et Eve Ray ont la même adresse e-mail same@acme.test",
        ]
        cat = next(p for p in roster.people if p.name == "Cat Ray")
        assert written(cat.place) == "dans East (North)"
        manager = Person("Ann", "ann@acme.test", "manager", "East", None)
        assert written(manager.place) == "à la tête de East"
    assert (
        roster.errors[2]
        == "team.csv: Cat Ray, Dan Ray and Eve Ray have the same email same@acme.test"
    )


def test_the_import_page_writes_a_calendar_and_a_roster_refusal_in_french(
    client: FlaskClient, org: Org
) -> None:
    page = french_dry_run(client, {"deals.csv": REFUSED, "o.csv": ROSTER})
    assert "02/31/2026 : le 31 février n&#39;existe pas" in page
    assert "o.csv ligne 2 : &#39;moses.frase&#39; n&#39;est pas une adresse e-mail" in page
    # An unknown owner's cause says what makes them known in French too.
    assert "(demandez à un administrateur de les ajouter sur la page" in page


def test_an_unreadable_date_names_its_form_in_french(app: Flask) -> None:
    with pytest.raises(ValueError) as unreadable:
        parse_moment("soon", "us", UTC)
    with app.test_request_context(), in_locale("fr"):
        assert written(unreadable.value.args[0]) == (
            "'soon' n'est pas une date au format us (MM/JJ/AAAA, p. ex. 01/31/2017)"
        )


def test_the_command_line_stays_english_in_a_french_organisation(
    app: Flask, org: Org, tmp_path: Path
) -> None:
    app.config["ORG_LOCALE"] = "fr"
    deals, roster = tmp_path / "deals.csv", tmp_path / "owners.csv"
    deals.write_text(REFUSED)
    roster.write_text(ROSTER)
    result = app.test_cli_runner().invoke(args=["import-crm", "--dry-run", str(deals), str(roster)])
    assert result.exit_code == 1
    out = result.output
    assert "deals.csv (hubspot, 3 rows)" in out
    assert "  nothing imported from deals.csv: fix the rows below and run it again" in out
    assert "  error: owners.csv line 2: 'moses.frase' is not an email address" in out
    assert "  2 rows rejected, by cause:" in out
    assert "    Close Date: not a real date on 1 row (line 2)" in out
    assert "  rejected line 2 (9001): Close Date: 02/31/2026: there is no 31 February" in out
    assert "lignes" not in out and "février" not in out
