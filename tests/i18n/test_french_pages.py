"""The rep's and the manager's pages in French: French words and French formats."""

from __future__ import annotations

import re

from flask.testing import FlaskClient

from kpi_engine.db import utcnow
from tests.conftest import log_in
from tests.live.conftest import Org

FRENCH = {"Accept-Language": "fr-FR,fr;q=0.9"}


def text_of(client: FlaskClient, path: str) -> str:
    answer = client.get(path, headers=FRENCH)
    assert answer.status_code == 200, answer.get_data(as_text=True)[:300]
    html = answer.get_data(as_text=True)
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_the_reps_challenge_page_speaks_french(client: FlaskClient, org: Org) -> None:
    log_in(client, "ann@example.test")
    text = text_of(client, f"/play/challenges/{org.challenge_id}")
    assert "Comment gagner" in text and "+10 par appel" in text
    assert "les 3 premiers à la fin gagnent" in text.lower() and "il reste 5 j" in text
    for english in ("How to win", "per call", "Leaderboard", " left", "Log out"):
        assert english not in text


def test_the_reps_home_speaks_french(client: FlaskClient, org: Org) -> None:
    log_in(client, "ann@example.test")
    text = text_of(client, "/play")
    assert "Mes challenges" in text and "en cours" in text and "rang" in text
    for english in ("My challenges", "rank", "live", "points left"):
        assert english not in text


def test_logging_an_activity_speaks_french(client: FlaskClient, org: Org) -> None:
    token = log_in(client, "ann@example.test")
    text = text_of(client, "/activities/new")
    assert "Saisir une activité" in text and "Qu'avez-vous fait" in text and "Appel" in text
    form = {"csrf_token": token, "kind": "call", "outcome": "meeting_booked", "key": "f" * 32}
    client.post("/activities", data=form, headers=FRENCH)
    text = text_of(client, "/activities/new")
    assert "Appel enregistré : rendez-vous obtenu." in text and "+10 points dans" in text
    for english in ("Log an activity", "How did it go", "logged", "points in"):
        assert english not in text


def test_the_managers_pages_speak_french(client: FlaskClient, org: Org) -> None:
    log_in(client, "boss@example.test")
    paths = ("/", "/manage", "/manage/rewards", "/manage/redemptions",
             "/manage/challenges/new?template=onboarding", "/people", "/teams",
             f"/people/{org.ann}", "/manage/channels")  # fmt: skip
    pages = {path: text_of(client, path) for path in paths}
    assert "Mes équipes" in pages["/"] and "Taux de réussite" in pages["/"]
    assert "en cours" in pages["/manage"] and "Nouveau challenge" in pages["/manage"]
    assert "Catalogue des récompenses" in pages["/manage/rewards"]
    assert "Demandes de récompenses" in pages["/manage/redemptions"]
    builder = pages["/manage/challenges/new?template=onboarding"]
    assert "Qui et quand" in builder and "Parcours d'intégration" in builder
    assert "Trouver quelqu'un" in pages["/people"] and "gérée par" in pages["/people"]
    assert (
        "2 personnes" in pages["/teams"]
        and "Équipes au fil du temps" in pages[f"/people/{org.ann}"]
    )
    assert "Connecter un canal" in pages["/manage/channels"]
    english = ("My teams", "Win rate", "New challenge", "Rewards catalogue", "Add a reward",
               "Reward requests", "Waiting for you", "Log out", "Who and when", "Winners and",
               "Points rules", "Save draft", "Find someone", "managed by", "Teams over time",
               "Details", "Can log in", "2 people", "Connect a channel")  # fmt: skip
    assert not [(w, p) for p, text in pages.items() for w in english if w in text]


def test_an_unknown_address_is_explained_in_french(client: FlaskClient, org: Org) -> None:
    """werkzeug's own descriptions are English; a page or an API error says ours, translated."""
    log_in(client, "ann@example.test")
    page = client.get("/no/such/page", headers=FRENCH)
    assert page.status_code == 404
    assert "Il n&#39;y a rien à cette adresse" in page.get_data(as_text=True)
    assert "requested URL" not in page.get_data(as_text=True)
    api = client.get("/api/v1/no-such-thing", headers=FRENCH).get_json()["error"]
    assert api["code"] == "not_found" and api["message"].startswith("il n'y a rien")


def test_a_stage_the_product_names_reads_in_french(client: FlaskClient, org: Org) -> None:
    log_in(client, "ann@example.test")
    now = utcnow()
    deal = {"deal_id": "D-1", "amount": "1200"}
    events = [
        {"id": f"stage-{kind}", "type": f"deal.{kind}", "occurred_at": now.isoformat(),
         "rep": "ann@example.test", "data": deal}
        for kind in ("created", "won")
    ]  # fmt: skip
    headers = {"Authorization": f"Bearer {org.token}"}
    answer = client.post("/api/v1/events", json={"events": events}, headers=headers)
    assert answer.status_code == 200, answer.get_json()
    text = text_of(client, "/")
    assert "Gagnée" in text and "Won" not in text
    funnel = text_of(client, "/dashboards")  # the funnel chart's table names the stages
    assert "Prospection" in funnel and "Prospecting" not in funnel


def test_the_kpi_inputs_form_names_its_kinds_in_french(client: FlaskClient, org: Org) -> None:
    log_in(client, "boss@example.test")
    text = text_of(client, "/dashboards")
    assert "Coût marketing" in text and "Clients perdus" in text
    assert "Marketing cost" not in text and "Churned customers" not in text
