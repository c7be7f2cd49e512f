"""/api/v1/teams: managers see their teams, admins every team; admins create teams, rename them
and set their region and manager, each change audited and readable at /teams/<id>/changes."""

from __future__ import annotations

from flask import abort, jsonify, request

from gameplay.core.access import may_manage_team
from kpi_engine.db import utcnow
from kpi_engine.org.audit import org_changes
from kpi_engine.org.membership import teams_of
from kpi_engine.org.models import Team
from kpi_engine.org.teams import change_team, create_team, team_by_id
from web.api import bp
from web.extensions import db
from web.permissions import actor, admin_required, manager_required
from web.schemas.teams import NewTeamSchema, OrgChangeListSchema, TeamChangeSchema, TeamSchema


@bp.get("/teams")
@manager_required
def list_teams():
    return jsonify({"teams": TeamSchema(many=True).dump(teams_of(db.session(), actor()))})


@bp.post("/teams")
@admin_required
def add_team():
    given = NewTeamSchema().load(request.get_json(force=True))
    team = create_team(db.session(), given, actor=actor(), now=utcnow())
    db.session.commit()
    return jsonify(TeamSchema().dump(team)), 201


@bp.get("/teams/<int:team_id>")
@manager_required
def read_team(team_id: int):
    return jsonify(TeamSchema().dump(_visible(team_id)))


@bp.patch("/teams/<int:team_id>")
@admin_required
def change_team_view(team_id: int):
    given = TeamChangeSchema().load(request.get_json(force=True))
    team = change_team(db.session(), team_id, given, actor=actor(), now=utcnow())
    db.session.commit()
    return jsonify(TeamSchema().dump(team))


@bp.get("/teams/<int:team_id>/changes")
@manager_required
def team_changes(team_id: int):
    changes = org_changes(db.session(), team_id=_visible(team_id).id)
    return jsonify(OrgChangeListSchema().dump({"changes": changes}))


def _visible(team_id: int) -> Team:
    """The team, if the caller manages it (an admin: every team): 404 or 403 otherwise."""
    team = team_by_id(db.session(), team_id)
    if not may_manage_team(db.session(), actor(), team.id):
        abort(403, description="this is not a team you manage")
    return team
