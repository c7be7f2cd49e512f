"""Which language a page speaks: the person's choice, else the organisation's, else the
browser's, else English."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from kpi_engine.org.models import User
from tests.conftest import log_in
from tests.live.conftest import Org
from web.extensions import db
from web.i18n import negotiate

FRENCH_BROWSER = {"Accept-Language": "fr-FR,fr;q=0.9,en;q=0.5"}
ENGLISH_BROWSER = {"Accept-Language": "en-GB,en;q=0.9"}


def profile(client: FlaskClient, headers: dict[str, str]) -> str:
    answer = client.get("/play/profile", headers=headers)
    assert answer.status_code == 200
    return answer.get_data(as_text=True)


def choose(app: Flask, user_id: int, locale: str | None) -> None:
    with app.app_context():
        user = db.session.get(User, user_id)
        assert user is not None
        user.locale = locale
        db.session.commit()


def test_the_order_is_profile_then_organisation_then_browser_then_english() -> None:
    assert negotiate("fr", "en", lambda: "en") == "fr"
    assert negotiate(None, "fr", lambda: "en") == "fr"
    assert negotiate(None, None, lambda: "fr") == "fr"
    assert negotiate(None, None, lambda: None) == "en"
    assert negotiate("de", "xx", lambda: "fr-CA") == "fr"  # unsupported choices fall through


def test_the_browser_decides_when_nobody_chose(client: FlaskClient, org: Org) -> None:
    log_in(client, "ann@example.test")
    assert "Mon profil" in profile(client, FRENCH_BROWSER)
    assert "My profile" in profile(client, ENGLISH_BROWSER)


def test_the_organisation_default_beats_the_browser(
    app: Flask, client: FlaskClient, org: Org
) -> None:
    app.config["ORG_LOCALE"] = "fr"
    log_in(client, "ann@example.test")
    assert "Mon profil" in profile(client, ENGLISH_BROWSER)


def test_the_profile_choice_beats_organisation_and_browser(
    app: Flask, client: FlaskClient, org: Org
) -> None:
    app.config["ORG_LOCALE"] = "fr"
    choose(app, org.ann, "en")
    log_in(client, "ann@example.test")
    assert "My profile" in profile(client, FRENCH_BROWSER)


def test_a_rep_chooses_french_on_the_profile_form_and_back(
    app: Flask, client: FlaskClient, org: Org
) -> None:
    token = log_in(client, "ann@example.test")
    form = {"csrf_token": token, "locale": "fr"}
    assert client.post("/play/profile/preferences", data=form).status_code == 302
    html = profile(client, ENGLISH_BROWSER)
    assert "Mon profil" in html and '<html lang="fr">' in html
    form["locale"] = ""
    client.post("/play/profile/preferences", data=form)
    assert "My profile" in profile(client, ENGLISH_BROWSER)


def test_an_unknown_language_is_refused_beside_the_field(client: FlaskClient, org: Org) -> None:
    token = log_in(client, "ann@example.test")
    form = {"csrf_token": token, "locale": "klingon"}
    answer = client.post("/play/profile/preferences", data=form, follow_redirects=True)
    assert "Choose one of the languages listed." in answer.get_data(as_text=True)


def test_the_api_sets_and_clears_the_language(client: FlaskClient, org: Org) -> None:
    token = log_in(client, "ann@example.test")
    headers = {"X-CSRFToken": token}
    answer = client.put("/api/v1/me/preferences", json={"locale": "fr"}, headers=headers)
    assert answer.status_code == 200 and answer.get_json()["locale"] == "fr"
    answer = client.put("/api/v1/me/preferences", json={"locale": "de"}, headers=headers)
    assert answer.status_code == 422 and "locale" in answer.get_json()["error"]["fields"]
