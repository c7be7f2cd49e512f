"""People and teams from the shell: each command has --help, says what it did, exits non-zero
naming the problem; a rep created with --crm-id owns the deals a HubSpot export gives to their
full name as "Deal owner"."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from kpi_engine.org.models import Team, User
from kpi_engine.sales.models import Deal
from web.extensions import db

DATA = Path(__file__).resolve().parent.parent / "data"
COMMANDS = ("create-user", "update-user", "create-team", "update-team", "teams", "org-changes")


def run(app: Flask, *args: str):  # type: ignore[no-untyped-def]
    return app.test_cli_runner().invoke(args=list(args))


@pytest.mark.parametrize("command", COMMANDS)
def test_every_people_command_has_help(app: Flask, command: str) -> None:
    result = run(app, command, "--help")
    assert result.exit_code == 0 and "Usage:" in result.output


def test_a_rep_created_with_a_crm_id_owns_the_hubspot_deals_of_their_name(app: Flask) -> None:
    assert run(app, "create-team", "Central", "--region", "Central").exit_code == 0
    for name, email in (("Moses Frase", "moses@acme.test"), ("Darcel Schlecht", "darcel@a.test")):
        created = run(app, "create-user", "--email", email, "--name", name, "--role", "rep",
                      "--team", "central", "--crm-id", name, "--password", "pw-123456")  # fmt: skip
        assert created.exit_code == 0, created.output
    dry = run(app, "import-crm", "--dry-run", str(DATA / "hubspot_deals_by_owner_name.csv"))
    assert dry.exit_code == 0, dry.output
    assert "4 rows: 4 accepted, 0 rejected" in dry.output and "matched by name" not in dry.output
    done = run(app, "import-crm", str(DATA / "hubspot_deals_by_owner_name.csv"))
    assert done.exit_code == 0, done.output
    with app.app_context():
        owners = db.session.execute(
            select(Deal.crm_id, User.crm_user_id).join(User, Deal.owner_id == User.id)
        )
        assert dict(owners.all()) == {
            "12M4HB7G": "Moses Frase", "12M4HB7H": "Moses Frase",
            "12M4HB7J": "Darcel Schlecht", "12M4HB7K": "Darcel Schlecht",
        }  # fmt: skip


def test_a_dry_run_says_which_owners_it_matched_by_name_only(app: Flask) -> None:
    for name, email in (("Moses Frase", "moses@acme.test"), ("Darcel Schlecht", "darcel@a.test")):
        run(app, "create-user", "--email", email, "--name", name, "--role", "rep",
            "--password", "pw-123456")  # fmt: skip
    dry = run(app, "import-crm", "--dry-run", str(DATA / "hubspot_deals_by_owner_name.csv"))
    assert dry.exit_code == 0, dry.output
    assert (
        "owner matched by name: Moses Frase → Moses Frase <moses@acme.test> (2 rows);"
        " set their CRM user id to make it certain"
    ) in dry.output


def test_a_move_a_new_manager_and_a_deactivation_read_back_in_org_changes(app: Flask) -> None:
    run(app, "create-team", "East")
    run(app, "create-team", "West")
    run(app, "create-user", "--email", "mia@acme.test", "--name", "Mia", "--role", "manager",
        "--password", "pw-123456")  # fmt: skip
    run(app, "create-user", "--email", "ann@acme.test", "--name", "Ann", "--role", "rep",
        "--team", "East", "--password", "pw-123456")  # fmt: skip
    assert run(app, "update-team", "West", "--manager", "mia@acme.test").exit_code == 0
    moved = run(app, "update-user", "--email", "ann@acme.test", "--team", "West", "--deactivate")
    assert moved.exit_code == 0 and "Ann <ann@acme.test>: rep in West, deactivated" in moved.output
    listed = run(app, "teams").output
    assert "West (id 2): no region, managed by Mia" in listed
    assert "Ann <ann@acme.test> rep (deactivated)" in listed
    trail = run(app, "org-changes", "--email", "ann@acme.test").output
    assert "command line changed Ann: Team: East → West; Access: active → deactivated" in trail


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("create-user", "--email", "x@acme.test", "--name", "X", "--role", "rep", "--team",
          "Nowhere", "--password", "pw-123456"), "no team named 'Nowhere'"),
        (("update-user", "--email", "ghost@acme.test", "--team", "East"),
         "no user with email ghost@acme.test"),
        (("update-user", "--email", "ann@acme.test"), "say what to change"),
        (("create-team", "east"), "a team named 'east' already exists (name: already taken)"),
        (("update-team", "East", "--manager", "ann@acme.test"),
         "--manager: Ann is a rep; make them a manager first"),
        (("update-team", "East", "--manager", "ann@acme.test", "--no-manager"),
         "give --manager or --no-manager, not both"),
        (("create-user", "--email", "y@acme.test", "--name", "Y", "--role", "rep", "--crm-id",
          "ANN-1", "--password", "pw-123456"), "the CRM user id ANN-1 is already Ann's"),
    ],
)  # fmt: skip
def test_a_refused_command_exits_non_zero_naming_the_problem_and_changes_nothing(
    app: Flask, args: tuple[str, ...], message: str
) -> None:
    run(app, "create-team", "East")
    run(app, "create-user", "--email", "ann@acme.test", "--name", "Ann", "--role", "rep",
        "--team", "East", "--crm-id", "ANN-1", "--password", "pw-123456")  # fmt: skip
    with app.app_context():
        before = (db.session.scalar(select(Team.manager_id)), len(db.session.scalars(
            select(User)).all()))  # fmt: skip
    result = run(app, *args)
    assert result.exit_code != 0 and message in result.output, result.output
    with app.app_context():
        after = (db.session.scalar(select(Team.manager_id)), len(db.session.scalars(
            select(User)).all()))  # fmt: skip
    assert after == before
