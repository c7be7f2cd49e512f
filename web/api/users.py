"""/api/v1/users: managers see the people of their teams, admins everyone; admins add people and
change them (team, roles, CRM user id, access), each change audited and readable at
/users/<id>/changes."""

from __future__ import annotations

from flask import abort, jsonify, request

from gameplay.core.access import may_manage_user
from gameplay.manage.staffing import add_player, change_player
from kpi_engine.db import utcnow
from kpi_engine.org.audit import org_changes
from kpi_engine.org.membership import visible_users
from kpi_engine.org.models import User
from kpi_engine.org.people import person_by_id
from web.api import bp
from web.auth import hash_password
from web.extensions import db
from web.permissions import actor, admin_required, login_required, manager_required
from web.realtime import commit_and_publish
from web.schemas.teams import OrgChangeListSchema
from web.schemas.users import NewPersonSchema, PersonChangeSchema, UserQuerySchema, UserSchema


@bp.get("/users")
@manager_required
def list_users():
    query = UserQuerySchema().load(request.args)
    users = visible_users(db.session(), actor(), **query)
    return jsonify({"users": UserSchema(many=True).dump(users)})


@bp.post("/users")
@admin_required
def add_user():
    given = NewPersonSchema().load(request.get_json(force=True))
    password = given.pop("password", None)
    hashed = hash_password(password) if password else None
    user, changes = add_player(
        db.session(), given, actor=actor(), now=utcnow(), password_hash=hashed
    )
    commit_and_publish(changes)
    return jsonify(UserSchema().dump(user)), 201


@bp.get("/users/<int:user_id>")
@login_required
def read_user(user_id: int):
    return jsonify(UserSchema().dump(_visible(user_id)))


@bp.patch("/users/<int:user_id>")
@admin_required
def change_user(user_id: int):
    given = PersonChangeSchema().load(request.get_json(force=True))
    user, changes = change_player(db.session(), user_id, given, actor=actor(), now=utcnow())
    commit_and_publish(changes)
    return jsonify(UserSchema().dump(user))


@bp.get("/users/<int:user_id>/changes")
@manager_required
def user_changes(user_id: int):
    changes = org_changes(db.session(), user_id=_visible(user_id).id)
    return jsonify(OrgChangeListSchema().dump({"changes": changes}))


def _visible(user_id: int) -> User:
    """The person, if the caller may see them (their own self, their teams' people, anyone for
    an admin): 404 for no such person, 403 for someone else's."""
    user = person_by_id(db.session(), user_id)
    if not may_manage_user(db.session(), actor(), user):
        abort(403, description="this person is not on a team you manage")
    return user


@bp.get("/me")
@login_required
def me():
    return jsonify(UserSchema().dump(actor()))
