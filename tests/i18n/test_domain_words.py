"""The domain's sentences built with values (errors, the importer's causes, channel posts, the
finale) and period labels, in the reader's or the organisation's language; codes unchanged."""

from __future__ import annotations

import io

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from gameplay.channels.team_channels import ChannelPost
from gameplay.core.changes import Moment
from kpi_engine.db import utcnow
from kpi_engine.errors import NotFound
from kpi_engine.org.models import Team
from kpi_engine.sales.ingest import SalesEvent
from kpi_engine.words import N_, said, said_n
from tests.conftest import log_in
from tests.live.conftest import Org
from tests.pages.test_manage_pages import builder_form
from web.extensions import db
from web.formats import period, written
from web.i18n import in_locale
from web.ingest import ingest
from web.realtime import moment_frame

FRENCH = {"Accept-Language": "fr"}
HUBSPOT = (
    "Record ID,Deal Name,Deal Stage,Amount,Create Date,Close Date,Deal owner,"
    "Associated Company,Pipeline\n"
    "9001,Acme,Closed Won,lots,03/14/2026 09:30,04/02/2026 16:45,ann@example.test,Acme,Sales\n"
)


def test_a_missing_challenge_is_named_in_french_with_its_id(client: FlaskClient, org: Org) -> None:
    log_in(client, "ann@example.test")
    answer = client.get("/api/v1/challenges/987654", headers=FRENCH)
    error = answer.get_json()["error"]
    assert answer.status_code == 404 and error["code"] == "not_found"
    assert error["message"] == "aucun challenge avec l'id 987654"


def test_an_invalid_value_is_named_in_french_and_the_code_stays(
    client: FlaskClient, org: Org
) -> None:
    log_in(client, "ann@example.test")
    query = f"scope=rep:{org.ann}&period=2026-Q9"
    answer = client.get(f"/api/v1/kpis/scorecard?{query}", headers=FRENCH)
    error = answer.get_json()["error"]
    assert answer.status_code == 422 and error["code"] == "invalid"
    assert error["message"] == ("la période '2026-Q9' n'est pas valide : forme non reconnue"), error
    assert error["fields"]["period"] == [
        "utilisez 2025-Q3, 2025-09, 2025-W36, 2025-09-03 ou 2025-09-01..2025-09-30"
    ]


def test_the_english_sentence_stays_the_message() -> None:
    error = NotFound(N_("no challenge with id %(id)s"), id="7")
    assert error.message == "no challenge with id 7" and str(error) == "no challenge with id 7"
    assert error.code == "not_found" and error.status == 404


def french_dry_run(client: FlaskClient, files: dict[str, str]) -> str:
    """The import page a French manager gets for a dry run of these files (name: text)."""
    csrf = log_in(client, "boss@example.test")
    uploads = [(io.BytesIO(text.encode()), name) for name, text in files.items()]
    data = {"csrf_token": csrf, "action": "dry_run", "files": uploads}
    answer = client.post("/imports", data=data, content_type="multipart/form-data", headers=FRENCH)
    return answer.get_data(as_text=True)


def test_the_import_page_gives_a_rows_cause_in_french(client: FlaskClient, org: Org) -> None:
    page = french_dry_run(client, {"deals.csv": HUBSPOT})
    assert "Amount : pas un montant sur 1 ligne (ligne 2)" in page
    # The catalogue's plural forms: French says "0 acceptée" (singular for 0 and 1).
    assert "1 ligne : 0 acceptée, 1 refusée" in page
    assert "&#39;lots&#39; n&#39;est pas un montant" in page


@pytest.mark.parametrize(
    ("code", "count", "text"),
    [("fr", 0, "0 ligne"), ("fr", 1, "1 ligne"), ("fr", 2, "2 lignes"),
     ("fr", 1500, "1\u202f500 lignes"), ("en", 0, "0 rows"),
     ("en", 1, "1 row"), ("en", 1500, "1,500 rows")],
)  # fmt: skip
def test_a_counted_sentence_takes_the_readers_plural_form(
    app: Flask, code: str, count: int, text: str
) -> None:
    rows = said_n("%(count)s row", "%(count)s rows", count)
    assert rows == ("1 row" if count == 1 else f"{count:,} rows")  # English, whatever is read
    with app.test_request_context(), in_locale(code):
        assert written(rows) == text


@pytest.mark.parametrize(
    ("code", "quarter", "month"),
    [("fr", "T4 2026", "novembre 2026"), ("en", "Q4 2026", "November 2026")],
)
def test_a_quarter_is_written_the_readers_way(
    app: Flask, code: str, quarter: str, month: str
) -> None:
    with app.test_request_context(), in_locale(code):
        assert period("2026-Q4") == quarter
        assert period("2026-11") == month
        assert period("not a period") == "not a period"


def test_a_team_channel_post_is_written_in_the_organisations_language(
    app: Flask, client: FlaskClient, org: Org
) -> None:
    app.config["ORG_LOCALE"] = "fr"
    token = log_in(client, "boss@example.test")
    with app.app_context():
        (team_id,) = db.session.scalars(select(Team.id).where(Team.name == "Hunters"))
    form = {"csrf_token": token, "team_id": str(team_id), "kind": "slack"}
    client.post("/manage/channels", data={**form, "url": "https://hooks.slack.com/services/T/B/x"})
    with app.app_context():
        deal = {"deal_id": "W1", "account": "Acme"}
        ingest([SalesEvent("w1", "deal.won", utcnow(), "ann@example.test", deal)], source="api")
        texts = [p.body["text"] for p in db.session.scalars(select(ChannelPost))]
    assert texts == ["🏆 Ann a gagné Acme"]


def test_the_finale_is_announced_in_the_organisations_language(app: Flask, org: Org) -> None:
    title = said(N_("%(challenge)s is over"), challenge=said("Call blitz"))
    moment = Moment(org.challenge_id, "finale", title, "", audience="board")
    with app.app_context():
        assert moment_frame(moment)["title"] == "Call blitz is over"
        app.config["ORG_LOCALE"] = "fr"
        assert moment_frame(moment)["title"] == "Call blitz est terminé"


def test_the_builder_names_a_bad_window_in_french(
    app: Flask, client: FlaskClient, org: Org
) -> None:
    token = log_in(client, "boss@example.test")
    with app.app_context():
        (team_id,) = db.session.scalars(select(Team.id).where(Team.name == "Hunters"))
    form = builder_form(token, team_id, ends_at="2020-01-01T00:00")
    html = client.post("/manage/challenges", data=form, headers=FRENCH).get_data(as_text=True)
    assert "doit être après le début" in html


def test_an_event_for_an_unknown_rep_is_refused_in_french(client: FlaskClient, org: Org) -> None:
    event = {"id": "c-1", "type": "activity.logged", "occurred_at": utcnow().isoformat(),
             "rep": "ghost@example.test", "data": {"kind": "call"}}  # fmt: skip
    headers = {"Authorization": f"Bearer {org.token}", **FRENCH}
    answer = client.post("/api/v1/events", json=event, headers=headers)
    assert answer.status_code == 422
    (rejected,) = answer.get_json()["rejected"]
    assert rejected["errors"]["rep"] == [
        "commercial inconnu 'ghost@example.test' : aucun utilisateur n'a cet e-mail ni cet "
        "identifiant CRM"
    ]
