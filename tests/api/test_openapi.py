"""The OpenAPI document at /api/v1/openapi.json matches the app's routes, so it cannot drift,
and its page renders for integrators (issue 16, item 14)."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from web.api.openapi import OPERATIONS, api_rules, openapi_path

METHODS = {"get", "post", "put", "patch", "delete"}


def routes(app: Flask) -> set[tuple[str, str]]:
    return {
        (openapi_path(rule), method.lower())
        for rule in api_rules(app)
        for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}
    }


def documented(document: dict) -> set[tuple[str, str]]:
    return {
        (path, method)
        for path, item in document["paths"].items()
        for method in item
        if method in METHODS
    }


def test_every_api_route_is_documented_and_every_documented_path_exists(
    app: Flask, client: FlaskClient
):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = response.get_json()
    assert document["openapi"].startswith("3.")
    undocumented = routes(app) - documented(document)
    assert not undocumented, f"add these routes to OPERATIONS in web/api/openapi.py: {undocumented}"
    assert documented(document) - routes(app) == set()
    endpoints = {rule.endpoint for rule in api_rules(app)}
    assert set(OPERATIONS) - endpoints == set(), "OPERATIONS names endpoints that do not exist"


def test_the_document_is_generated_from_the_schemas_that_validate_the_api(client: FlaskClient):
    document = client.get("/api/v1/openapi.json").get_json()
    schemas = document["components"]["schemas"]
    adjustment = schemas["Adjustment"]
    assert adjustment["required"] == ["points", "reason", "user_id"]
    assert adjustment["properties"]["user_id"]["maximum"] == 2147483647
    create = document["paths"]["/challenges"]["post"]
    assert create["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Challenge"
    }
    error = schemas["ErrorDetail"]
    assert set(error["required"]) == {"code", "message", "fields"}
    board = document["paths"]["/challenges/{challenge_id}/leaderboard"]["get"]
    assert {p["name"] for p in board["parameters"]} >= {"challenge_id", "board", "limit"}


def test_the_docs_page_lists_every_operation_readably(client: FlaskClient):
    document = client.get("/api/v1/openapi.json").get_json()
    page = client.get("/api/v1/docs")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for path, item in document["paths"].items():
        for method, operation in item.items():
            assert f'id="{method}-' in html
            assert operation["summary"].replace("'", "&#39;") in html, path
    assert "user_id" in html and "2147483647" in html


def test_money_bounds_and_query_lists_are_typed_as_they_travel(client: FlaskClient):
    document = client.get("/api/v1/openapi.json").get_json()
    budget = document["components"]["schemas"]["Challenge"]["properties"]["reward_budget"]
    assert (budget["minimum"], budget["maximum"]) == (0, 999999999999.99)
    compare = document["paths"]["/impact/compare"]["get"]["parameters"]
    lists = [p["schema"] for p in compare if p["name"] in {"kpis", "challenges"}]
    assert lists and all(s["type"] == "string" and "pattern" in s for s in lists)
