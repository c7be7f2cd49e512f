"""People and teams from the command line: add and change users, create and change teams, list
them, read the audit trail. The command line acts with the server's own rights (as an admin);
each change is audited as made by "command line"."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click
from flask.cli import with_appcontext

from gameplay.manage.staffing import add_player, change_player
from kpi_engine.db import utcnow
from kpi_engine.errors import DomainError
from kpi_engine.org.audit import org_changes
from kpi_engine.org.membership import user_by_email
from kpi_engine.org.models import AppRole, OrgChange, SalesRole, Team, User
from kpi_engine.org.teams import change_team, create_team, find_team
from web.auth import hash_password
from web.extensions import db
from web.org_words import change_sentence, local_time
from web.realtime import commit_and_publish

T = TypeVar("T")


# The domain's fields as this command line names them.
OPTIONS = {
    "team_id": "--team",
    "manager_id": "--manager",
    "app_role": "--role",
    "sales_role": "--sales-role",
    "crm_user_id": "--crm-id",
    "active": "--deactivate",
}


def _fail(exc: DomainError) -> click.ClickException:
    db.session.rollback()
    details = "; ".join(f"{OPTIONS.get(k, k)}: {', '.join(v)}" for k, v in exc.fields.items())
    return click.ClickException(f"{exc.message}" + (f" ({details})" if details else ""))


def _run(change: Callable[[], T]) -> T:
    """Run a domain change; a refusal rolls back and exits non-zero, naming the fields."""
    try:
        return change()
    except DomainError as exc:
        raise _fail(exc) from exc


def _person(email: str) -> User:
    user = user_by_email(db.session(), email)
    if user is None:
        raise click.ClickException(f"no user with email {email}")
    return user


def _team_id(name: str | None) -> int | None:
    return None if name is None else _run(lambda: find_team(db.session(), name)).id


@click.command("create-user")
@with_appcontext
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--role", "app_role", type=click.Choice(AppRole.values()), required=True)
@click.option("--sales-role", type=click.Choice(SalesRole.values()), default=None)
@click.option("--team", "team_name", default=None, help="Name of an existing team.")
@click.option(
    "--crm-id",
    default=None,
    help="How CRM exports name them as a deal's owner (HubSpot's and Salesforce's full name).",
)
@click.option("--password", default=None, help="Prompted for when omitted on a terminal.")
def create_user_command(
    email: str,
    name: str,
    app_role: str,
    sales_role: str | None,
    team_name: str | None,
    crm_id: str | None,
    password: str | None,
) -> None:
    """Create a user who can log in with a password."""
    if password is None:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    given: dict[str, Any] = {"email": email, "name": name, "app_role": app_role}
    given["sales_role"] = sales_role
    given |= {"team_id": _team_id(team_name), "crm_user_id": crm_id}
    user, changes = _run(
        lambda: add_player(
            db.session(),
            given,
            actor=None,
            now=utcnow(),
            password_hash=hash_password(password or ""),
        )
    )
    commit_and_publish(changes)
    click.echo(f"created {user.app_role} {user.email} (id {user.id})")


@click.command("update-user")
@with_appcontext
@click.option("--email", required=True, help="Whom to change.")
@click.option("--name", default=None)
@click.option("--new-email", default=None)
@click.option("--role", "app_role", type=click.Choice(AppRole.values()), default=None)
@click.option("--sales-role", type=click.Choice([*SalesRole.values(), "none"]), default=None)
@click.option("--team", "team_name", default=None, help="Move them to this team ('none': no team).")
@click.option("--crm-id", default=None, help="Their CRM user id ('' to clear it).")
@click.option("--deactivate", "active", flag_value=False, default=None, help="End their access.")
@click.option("--reactivate", "active", flag_value=True, help="Let them log in again.")
def update_user_command(
    email: str,
    name: str | None,
    new_email: str | None,
    app_role: str | None,
    sales_role: str | None,
    team_name: str | None,
    crm_id: str | None,
    active: bool | None,
) -> None:
    """Move a user to another team, change their roles, name, email or CRM user id, or
    deactivate them (their sessions end and their API tokens are revoked)."""
    user = _person(email)
    given: dict[str, Any] = {
        k: v
        for k, v in {"name": name, "email": new_email, "app_role": app_role}.items()
        if v is not None
    }
    if sales_role is not None:
        given["sales_role"] = None if sales_role == "none" else sales_role
    if team_name is not None:
        given["team_id"] = None if team_name.lower() == "none" else _team_id(team_name)
    if crm_id is not None:
        given["crm_user_id"] = crm_id
    if active is not None:
        given["active"] = active
    if not given:
        raise click.UsageError("say what to change (see --help)")
    user, changes = _run(
        lambda: change_player(db.session(), user.id, given, actor=None, now=utcnow())
    )
    commit_and_publish(changes)
    click.echo(_describe(user))


@click.command("create-team")
@with_appcontext
@click.argument("name")
@click.option("--region", default=None)
@click.option("--manager", "manager_email", default=None, help="Email of a user who is a manager.")
def create_team_command(name: str, region: str | None, manager_email: str | None) -> None:
    """Create a team, optionally with its region and manager."""
    given: dict[str, Any] = {"name": name, "region": region}
    if manager_email is not None:
        given["manager_id"] = _person(manager_email).id
    team = _run(lambda: create_team(db.session(), given, actor=None, now=utcnow()))
    db.session.commit()
    click.echo(f"created team {team.name} (id {team.id})")


@click.command("update-team")
@with_appcontext
@click.argument("name")
@click.option("--new-name", default=None, help="Rename the team.")
@click.option("--region", default=None, help="Its region ('' to clear it).")
@click.option("--manager", "manager_email", default=None, help="Email of its new manager.")
@click.option("--no-manager", is_flag=True, help="Leave the team without a manager.")
def update_team_command(
    name: str,
    new_name: str | None,
    region: str | None,
    manager_email: str | None,
    no_manager: bool,
) -> None:
    """Rename a team, set its region, set or clear its manager."""
    team = _run(lambda: find_team(db.session(), name))
    given: dict[str, Any] = {}
    if new_name is not None:
        given["name"] = new_name
    if region is not None:
        given["region"] = region
    if manager_email is not None and no_manager:
        raise click.UsageError("give --manager or --no-manager, not both")
    if manager_email is not None:
        given["manager_id"] = _person(manager_email).id
    if no_manager:
        given["manager_id"] = None
    if not given:
        raise click.UsageError("say what to change (see --help)")
    team = _run(lambda: change_team(db.session(), team.id, given, actor=None, now=utcnow()))
    db.session.commit()
    click.echo(_describe_team(team))


@click.command("teams")
@with_appcontext
def teams_command() -> None:
    """List the teams: region, manager and members."""
    teams = db.session.scalars(db.select(Team).order_by(Team.name)).all()
    if not teams:
        click.echo("no team yet: flask --app wsgi create-team NAME")
    for team in teams:
        click.echo(_describe_team(team))
        for member in team.members:
            state = "" if member.active else " (deactivated)"
            click.echo(f"  {member.name} <{member.email}> {member.app_role}{state}")


@click.command("org-changes")
@with_appcontext
@click.option("--email", default=None, help="Only the changes of this person.")
@click.option("--team", "team_name", default=None, help="Only the changes of this team.")
def org_changes_command(email: str | None, team_name: str | None) -> None:
    """The audit trail of people and teams, newest first: when, who, what before and after."""
    user_id = _person(email).id if email else None
    rows: list[OrgChange] = org_changes(
        db.session(), user_id=user_id, team_id=_team_id(team_name)
    )
    if not rows:
        click.echo("no change recorded")
    for change in rows:
        click.echo(f"{local_time(change.at)}  {change.actor_name} {change_sentence(change)}")


def _describe(user: User) -> str:
    team = user.team.name if user.team else "no team"
    state = "active" if user.active else "deactivated"
    crm = f", CRM user id {user.crm_user_id}" if user.crm_user_id else ""
    return f"{user.name} <{user.email}>: {user.app_role} in {team}, {state}{crm}"


def _describe_team(team: Team) -> str:
    manager = team.manager.name if team.manager else "no manager"
    return f"{team.name} (id {team.id}): {team.region or 'no region'}, managed by {manager}"


COMMANDS = (
    create_user_command,
    update_user_command,
    create_team_command,
    update_team_command,
    teams_command,
    org_changes_command,
)
