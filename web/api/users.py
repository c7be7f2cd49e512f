"""GET /api/v1/users: managers see their teams, admins everyone."""

from __future__ import annotations

from flask import jsonify, request

from kpi_engine.org.membership import visible_users
from web.api import bp
from web.extensions import db
from web.permissions import actor, login_required, manager_required
from web.schemas.users import UserQuerySchema, UserSchema


@bp.get("/users")
@manager_required
def list_users():
    query = UserQuerySchema().load(request.args)
    users = visible_users(db.session(), actor(), email=query["email"], name=query["name"])
    return jsonify({"users": UserSchema(many=True).dump(users)})


@bp.get("/me")
@login_required
def me():
    return jsonify(UserSchema().dump(actor()))
