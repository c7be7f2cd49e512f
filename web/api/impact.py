"""GET /api/v1/challenges/<id>/impact and /api/v1/impact/compare (?kpis=key,key picks the KPIs,
the core four by default): managers of the challenge's teams and admins; a rep gets 403.
POST /api/v1/past-campaigns records an ended campaign."""

from __future__ import annotations

from flask import jsonify, request

from gameplay.impact.past_campaigns import record_past_campaign
from gameplay.impact.report import challenge_impact, compare_challenges
from kpi_engine.db import utcnow
from web.api import bp
from web.extensions import db
from web.permissions import actor, manager_required
from web.realtime import commit_and_publish
from web.schemas.challenges import challenge_answer
from web.schemas.impact import (
    ChallengeImpactSchema,
    CompareQuerySchema,
    ImpactQuerySchema,
    PastCampaignSchema,
)


@bp.get("/challenges/<int:challenge_id>/impact")
@manager_required
def challenge_impact_view(challenge_id: int):
    query = ImpactQuerySchema().load(request.args)
    report = challenge_impact(db.session(), challenge_id, actor(), now=utcnow(), kpis=query["kpis"])
    return jsonify(ChallengeImpactSchema().dump(report))


@bp.get("/impact/compare")
@manager_required
def compare_impact():
    query = CompareQuerySchema().load(request.args)
    reports = compare_challenges(
        db.session(), query["challenges"], actor(), now=utcnow(), kpis=query["kpis"]
    )
    return jsonify({"challenges": ChallengeImpactSchema(many=True).dump(reports)})


@bp.post("/past-campaigns")
@manager_required
def record_past_campaign_view():
    spec = PastCampaignSchema().load(request.get_json(force=True))
    participants, award = spec.pop("participant_ids"), spec.pop("award_points")
    challenge, changes = record_past_campaign(
        db.session(), spec, participants, actor(), now=utcnow(), award_points=award
    )
    commit_and_publish(changes)
    return jsonify(challenge_answer(challenge)), 201
