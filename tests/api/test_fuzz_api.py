"""Fuzz every operation of /api/v1/openapi.json with schemathesis, as an admin, a manager and a
rep on the demo org: no 5xx, every answer (errors included) matching its documented schema
(issue 16, item 15). Bounded: a few examples per operation, so each role takes seconds."""

from __future__ import annotations

import os
from collections import Counter
from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import select

from kpi_engine.org.models import User
from web.auth import issue_token
from web.extensions import db

# A few per operation keeps each role near 20 s on two cores; FUZZ_EXAMPLES=200 digs deeper.
EXAMPLES_PER_OPERATION = int(os.environ.get("FUZZ_EXAMPLES", "6"))
CHECKS = [
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
    content_type_conformance,
]
# Valid requests, and invalid ones (which must be refused with the documented error).
MODES = [GenerationMode.POSITIVE, GenerationMode.NEGATIVE]
RESULTS: Counter[str] = Counter()


@pytest.fixture
def fuzzed_app(demo_app: Flask) -> Flask:
    demo_app.config["RATELIMIT_ENABLED"] = False
    demo_app.config["WEBHOOK_SECRET"] = "fuzz-secret"  # the webhook on, so it checks signatures
    return demo_app


def token_of(app: Flask, role: str) -> str:
    """One API token per role and app: the first active demo user with that role."""
    tokens = app.config.setdefault("FUZZ_TOKENS", {})
    if role not in tokens:
        with app.app_context():
            user = db.session.scalars(
                select(User).where(User.app_role == role, User.active.is_(True)).order_by(User.id)
            ).first()
            assert user is not None
            tokens[role] = issue_token(user, name=f"fuzz-{role}")
            db.session.commit()
    return str(tokens[role])


FUZZ = settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)


def fuzz(case: Any, app: Flask, role: str) -> None:
    """Send one generated case as `role`; count it; check it against the document."""
    RESULTS["cases"] += 1
    response = case.call(headers={"Authorization": f"Bearer {token_of(app, role)}"})
    RESULTS[f"{response.status_code // 100}xx"] += 1
    if response.status_code >= 500:
        RESULTS["server_errors"] += 1
    case.validate_response(response, checks=CHECKS)


def fuzz_every_operation(app: Flask, role: str) -> None:
    # schemathesis's own pytest loader (from_fixture) does not run on pytest 9, so each
    # operation's strategy drives a hypothesis test here, one operation after another.
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    for result in schema.get_all_operations():
        operation = result.ok()
        RESULTS["operations"] += 1

        @FUZZ
        @given(case=st.one_of([operation.as_strategy(generation_mode=m) for m in MODES]))
        def send(case: Any) -> None:
            fuzz(case, app, role)

        send()


@pytest.mark.slow
@pytest.mark.parametrize("role", ["admin", "manager", "rep"])
def test_fuzzed_no_operation_answers_a_5xx_or_off_its_schema(
    fuzzed_app: Flask, role: str, capsys: pytest.CaptureFixture[str]
):
    RESULTS.clear()
    fuzz_every_operation(fuzzed_app, role)
    with capsys.disabled():
        print(
            f"\nschemathesis as {role}: {RESULTS['cases']} cases over "
            f"{RESULTS['operations']} operations, {RESULTS['server_errors']} server errors "
            f"({RESULTS['2xx']} answered 2xx, {RESULTS['4xx']} refused 4xx)"
        )
    assert RESULTS["server_errors"] == 0
    assert RESULTS["2xx"] > 0, "no request was accepted: is the token refused?"
