"""The People and Teams pages: managers see the people of their teams; admins add people, move
them, change their roles, CRM user id and access, and create and change teams. Every change is
audited and readable on the person's or team's page and on the Changes page.

A refused form comes back by a redirect with what was typed and why, beside the field."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from marshmallow import Schema, ValidationError
from werkzeug.wrappers import Response

from gameplay.core.access import may_manage_user
from gameplay.manage.staffing import add_player, change_player
from kpi_engine.db import utcnow
from kpi_engine.errors import DomainError
from kpi_engine.org.audit import org_changes
from kpi_engine.org.history import stints
from kpi_engine.org.membership import teams_of, visible_users
from kpi_engine.org.models import AppRole, SalesRole, Team, User
from kpi_engine.org.people import person_by_id
from kpi_engine.org.teams import change_team, create_team
from web.auth import hash_password
from web.error_words import in_words
from web.extensions import db
from web.form_refusals import keep_refusal, take_refusal
from web.org_words import field_changes, local_time, subject
from web.pages import bp
from web.permissions import actor, admin_required, manager_required
from web.realtime import commit_and_publish
from web.schemas.forms import drop_blank, form_fields
from web.schemas.teams import NewTeamSchema, TeamChangeSchema
from web.schemas.users import NewPersonSchema, PersonChangeSchema

PERSON_FIELDS = ("name", "email", "app_role", "sales_role", "team_id", "crm_user_id", "password")
TEAM_FIELDS = ("name", "region", "manager_id")
ROLE_WORDS = {"rep": _l("Rep"), "manager": _l("Manager"), "admin": _l("Admin")}


def _choices() -> dict[str, Any]:
    """What the forms offer, as (value, words) pairs: roles, sales roles, teams, managers; and
    how the pages say a change."""
    managers = db.select(User).where(User.app_role == AppRole.MANAGER, User.active.is_(True))
    teams = db.session.scalars(db.select(Team).order_by(Team.name))
    return {
        "role_options": [(r, ROLE_WORDS[r]) for r in AppRole.values()],
        "sales_role_options": [("", _l("None")), *((r, r) for r in SalesRole.values())],
        "team_options": [("", _l("No team")), *((t.id, t.name) for t in teams)],
        "manager_options": [
            ("", "No manager"),
            *((u.id, u.name) for u in db.session.scalars(managers.order_by(User.name))),
        ],
        "when": local_time,
        "field_changes": field_changes,
        "subject": subject,
    }


@bp.get("/people")
@manager_required
def people():
    query = (request.args.get("q") or "").strip()[:120]
    everyone = visible_users(db.session(), actor())
    shown = [u for u in everyone if _matches(u, query)]
    teams = teams_of(db.session(), actor())
    by_team = {t.id: [u for u in shown if u.team_id == t.id] for t in teams}
    teamless = [u for u in shown if u.team_id not in by_team]
    return render_template(
        "people/index.html", teams=teams, by_team=by_team, teamless=teamless, query=query,
        everyone=len(everyone), refused=take_refusal("person"), **_choices(),
    )  # fmt: skip


def _matches(user: User, query: str) -> bool:
    folded = query.casefold()
    return not query or folded in user.name.casefold() or folded in user.email.casefold()


@bp.post("/people")
@admin_required
def add_person_page():
    typed = form_fields()
    try:
        # The domain names a missing name or email together with every other problem.
        given = NewPersonSchema(partial=("name", "email")).load(drop_blank(typed))
        password = given.pop("password", None)
        hashed = hash_password(password) if password else None
        user, changes = add_player(
            db.session(), given, actor=actor(), now=utcnow(), password_hash=hashed
        )
    except (ValidationError, DomainError) as exc:
        return _refused("person", 0, exc, typed, url_for("pages.people", _anchor="add"))
    commit_and_publish(changes)
    flash(gettext("%(name)s added.", name=user.name), "info")
    return redirect(url_for("pages.person", user_id=user.id), 303)


@bp.get("/people/<int:user_id>")
@manager_required
def person(user_id: int):
    user = person_by_id(db.session(), user_id)
    if not may_manage_user(db.session(), actor(), user):
        abort(403, description="this person is not on a team you manage")
    return render_template(
        "people/person.html", person=user, stints=stints(db.session(), user),
        changes=org_changes(db.session(), user_id=user.id), refused=take_refusal("person"),
        **_choices(),
    )  # fmt: skip


@bp.post("/people/<int:user_id>")
@admin_required
def change_person_page(user_id: int):
    return _change_person(user_id, form_fields(), PERSON_FIELDS, "saved", "edit")


@bp.post("/people/<int:user_id>/access")
@admin_required
def person_access(user_id: int):
    active = form_fields().get("active") == "true"
    done = "can log in again" if active else "is deactivated: their sessions and API tokens ended"
    return _change_person(user_id, {"active": active}, ("active",), done, "access")


def _change_person(
    user_id: int, typed: dict[str, Any], fields: tuple[str, ...], done: str, form: str
) -> Response:
    back = url_for("pages.person", user_id=user_id, _anchor=form)
    try:
        given = PersonChangeSchema().load(typed)
        user, changes = change_player(db.session(), user_id, given, actor=actor(), now=utcnow())
    except (ValidationError, DomainError) as exc:
        return _refused("person", user_id, exc, typed, back, fields)
    commit_and_publish(changes)
    flash(f"{user.name} {done}.", "info")
    return redirect(url_for("pages.person", user_id=user.id), 303)


@bp.get("/teams")
@manager_required
def teams():
    shown = teams_of(db.session(), actor())
    recent = {t.id: org_changes(db.session(), team_id=t.id, limit=5) for t in shown}
    return render_template(
        "people/teams.html", teams=shown, recent=recent, refused=take_refusal("team"),
        **_choices(),
    )  # fmt: skip


@bp.post("/teams")
@admin_required
def add_team_page():
    return _save_team(0, NewTeamSchema(), lambda given: create_team(
        db.session(), given, actor=actor(), now=utcnow()))  # fmt: skip


@bp.post("/teams/<int:team_id>")
@admin_required
def change_team_page(team_id: int):
    return _save_team(team_id, TeamChangeSchema(), lambda given: change_team(
        db.session(), team_id, given, actor=actor(), now=utcnow()))  # fmt: skip


def _save_team(target: int, schema: Schema, save: Any) -> Response:
    typed = form_fields()
    try:
        team = save(schema.load(typed))
    except (ValidationError, DomainError) as exc:
        back = url_for("pages.teams", _anchor=f"team-{target}")
        return _refused("team", target, exc, typed, back, TEAM_FIELDS)
    db.session.commit()
    flash(gettext("%(name)s saved.", name=team.name), "info")
    return redirect(url_for("pages.teams", _anchor=f"team-{team.id}"), 303)


@bp.get("/people/changes")
@admin_required
def org_changes_page():
    return render_template(
        "people/changes.html", changes=org_changes(db.session()), when=local_time,
        field_changes=field_changes, subject=subject,
    )  # fmt: skip


def _refused(
    form: str,
    target: int,
    exc: ValidationError | DomainError,
    typed: dict[str, Any],
    back: str,
    fields: tuple[str, ...] = PERSON_FIELDS,
) -> Response:
    """Back to the form, with what was typed (never a password) and each problem by field."""
    db.session.rollback()
    if isinstance(exc, DomainError) and exc.status == 404:
        raise exc
    kept = {k: v for k, v in typed.items() if k != "password"}
    keep_refusal(form, target, field_errors(exc, fields), kept)
    return redirect(back, 303)


def field_errors(exc: ValidationError | DomainError, fields: tuple[str, ...]) -> dict[str, str]:
    """Each field's problem as a sentence; what belongs to no field of the form (or a refusal
    with none) is the form's own."""
    found: Any = in_words(exc.messages if isinstance(exc, ValidationError) else exc.fields)
    errors = {
        name: _sentence(found[name]) for name in fields if isinstance(found, dict) and name in found
    }
    others = set(found) - set(fields) if isinstance(found, dict) else set()
    if isinstance(exc, DomainError) and not errors:
        errors["_form"] = _sentence([in_words(exc.message)])
    elif others:
        errors["_form"] = f"The form sent fields it does not take: {', '.join(sorted(others))}."
    return errors


def _sentence(messages: Any) -> str:
    text = " ".join(str(m) for m in messages) if isinstance(messages, list) else str(messages)
    text = text[:1].upper() + text[1:]
    return text if text.endswith(".") else text + "."
