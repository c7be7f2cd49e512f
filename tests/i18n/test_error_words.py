"""API errors and form errors: the human text in the reader's language, the codes unchanged."""

from __future__ import annotations

from flask.testing import FlaskClient

from tests.conftest import log_in
from tests.live.conftest import Org

FRENCH = {"Accept-Language": "fr"}


def test_an_api_error_speaks_french_and_keeps_its_code(client: FlaskClient, org: Org) -> None:
    token = log_in(client, "ann@example.test")
    headers = {"X-CSRFToken": token, **FRENCH}
    body = {"muted_kinds": "not a list"}
    answer = client.put("/api/v1/me/preferences", json=body, headers=headers)
    error = answer.get_json()["error"]
    assert answer.status_code == 422 and error["code"] == "invalid"
    assert error["message"] == "la requête contient des champs non valides"
    assert error["fields"]["muted_kinds"] == ["Liste non valide."]


def test_the_same_error_in_english(client: FlaskClient, org: Org) -> None:
    token = log_in(client, "ann@example.test")
    headers = {"X-CSRFToken": token, "Accept-Language": "en"}
    answer = client.put("/api/v1/me/preferences", json={"muted_kinds": 3}, headers=headers)
    error = answer.get_json()["error"]
    assert error["message"] == "the request has fields that are not valid"
    assert error["fields"]["muted_kinds"] == ["Not a valid list."]
