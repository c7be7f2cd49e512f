"""GET /api/v1/challenges/<id>/impact and /api/v1/impact/compare: managers of the challenge's
teams and admins; a rep gets 403."""

from __future__ import annotations

from flask import jsonify, request

from gameplay.impact_report import challenge_impact, compare_challenges
from kpi_engine.db import utcnow
from web.api import bp
from web.extensions import db
from web.permissions import actor, manager_required
from web.schemas.impact import ChallengeImpactSchema, CompareQuerySchema


@bp.get("/challenges/<int:challenge_id>/impact")
@manager_required
def challenge_impact_view(challenge_id: int):
    report = challenge_impact(db.session(), challenge_id, actor(), now=utcnow())
    return jsonify(ChallengeImpactSchema().dump(report))


@bp.get("/impact/compare")
@manager_required
def compare_impact():
    query = CompareQuerySchema().load(request.args)
    reports = compare_challenges(db.session(), query["challenges"], actor(), now=utcnow())
    return jsonify({"challenges": ChallengeImpactSchema(many=True).dump(reports)})
