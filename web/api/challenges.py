"""/api/v1/challenges: create (in full or from a template), edit while draft, preview, launch,
cancel, join, leaderboard, missions and proofs, adjustments and the ledger."""

from __future__ import annotations

from dataclasses import asdict

from flask import jsonify, request

from gameplay.core.enrollment import join_challenge, participant_for
from gameplay.manage.challenges import (
    cancel_challenge,
    create_challenge,
    get_challenge,
    launch_challenge,
    list_challenges,
    managed_challenge,
    update_challenge,
    viewed_challenge,
)
from gameplay.manage.preview import preview_challenge
from gameplay.manage.templates import spec_from_template
from gameplay.scoring.ledger import adjust_points, entries_for
from gameplay.scoring.missions import mission_board, pending_proofs, review_proof, submit_proof
from kpi_engine.db import utcnow
from kpi_engine.errors import Forbidden, NotFound
from kpi_engine.words import N_
from web.api import bp
from web.board_cache import board_response
from web.extensions import db
from web.permissions import actor, login_required, manager_required
from web.read_requests import writes_in_a_savepoint
from web.realtime import commit_and_publish
from web.schemas.challenges import (
    AdjustmentSchema,
    BoardQuerySchema,
    ChallengeSchema,
    LedgerOutSchema,
    ListQuerySchema,
    ProofOutSchema,
    ProofSchema,
    ReviewSchema,
    TemplateFormSchema,
    challenge_answer,
    mission_answer,
)

# Built once: a schema's construction cost more than loading the board's three arguments.
BOARD_QUERY = BoardQuerySchema()


@bp.get("/challenges")
@login_required
def list_challenges_view():
    query = ListQuerySchema().load(request.args)
    challenges = list_challenges(db.session(), actor(), status=query["status"], now=utcnow())
    return jsonify({"challenges": [challenge_answer(c) for c in challenges]})


@bp.post("/challenges")
@manager_required
def create_challenge_view():
    spec = ChallengeSchema().load(request.get_json(force=True))
    challenge = create_challenge(db.session(), spec, actor(), now=utcnow())
    db.session.commit()
    return jsonify(challenge_answer(challenge)), 201


@bp.post("/challenges/templates/<template>")
@manager_required
def create_from_template_view(template: str):
    form = TemplateFormSchema().load(request.get_json(force=True))
    spec = spec_from_template(template, {k: v for k, v in form.items() if v is not None})
    challenge = create_challenge(db.session(), spec, actor(), now=utcnow())
    db.session.commit()
    return jsonify(challenge_answer(challenge)), 201


@bp.get("/challenges/<int:challenge_id>")
@login_required
def read_challenge_view(challenge_id: int):
    challenge = get_challenge(db.session(), challenge_id, actor())
    return jsonify(challenge_answer(challenge))


@bp.put("/challenges/<int:challenge_id>")
@manager_required
def update_challenge_view(challenge_id: int):
    spec = ChallengeSchema().load(request.get_json(force=True))
    challenge = update_challenge(db.session(), challenge_id, spec, actor(), now=utcnow())
    db.session.commit()
    return jsonify(challenge_answer(challenge))


@bp.get("/challenges/<int:challenge_id>/preview")
@manager_required
@writes_in_a_savepoint
def preview_challenge_view(challenge_id: int):
    challenge = managed_challenge(db.session(), challenge_id, actor())
    preview = preview_challenge(db.session(), challenge)
    return jsonify({"challenge_id": challenge_id, **asdict(preview)})


@bp.post("/challenges/<int:challenge_id>/launch")
@manager_required
def launch_challenge_view(challenge_id: int):
    challenge, changes = launch_challenge(db.session(), challenge_id, actor(), now=utcnow())
    commit_and_publish(changes)
    return jsonify(challenge_answer(challenge))


@bp.post("/challenges/<int:challenge_id>/cancel")
@manager_required
def cancel_challenge_view(challenge_id: int):
    challenge, changes = cancel_challenge(db.session(), challenge_id, actor(), now=utcnow())
    commit_and_publish(changes)
    return jsonify(challenge_answer(challenge))


@bp.post("/challenges/<int:challenge_id>/join")
@login_required
def join_challenge_view(challenge_id: int):
    now = utcnow()
    challenge = get_challenge(db.session(), challenge_id, actor())
    participant, changes = join_challenge(db.session(), challenge, actor(), now=now)
    commit_and_publish(changes)
    return jsonify(
        {"challenge_id": challenge_id, "user_id": participant.user_id, "rank": participant.rank}
    ), 201


@bp.get("/challenges/<int:challenge_id>/leaderboard")
@login_required
def leaderboard_view(challenge_id: int):
    query = BOARD_QUERY.load(request.args)
    session, viewer = db.session(), actor()
    challenge, manager_view = viewed_challenge(session, challenge_id, viewer)
    return board_response(
        session, challenge, viewer=viewer, manager_view=manager_view, now=utcnow(), query=query
    )


@bp.get("/challenges/<int:challenge_id>/missions")
@login_required
def missions_view(challenge_id: int):
    challenge = get_challenge(db.session(), challenge_id, actor())
    pairs = mission_board(db.session(), challenge.id, actor().id)
    return jsonify({"challenge_id": challenge_id, "missions": mission_answer(pairs)})


@bp.post("/challenges/<int:challenge_id>/missions/<int:mission_id>/proofs")
@login_required
def submit_proof_view(challenge_id: int, mission_id: int):
    body = ProofSchema().load(request.get_json(force=True))
    challenge = get_challenge(db.session(), challenge_id, actor())
    if mission_id not in {m.id for m in challenge.missions}:
        raise NotFound(
            N_("challenge %(challenge)s has no mission %(mission)s"),
            challenge=str(challenge_id),
            mission=str(mission_id),
        )
    proof = submit_proof(db.session(), mission_id, actor(), now=utcnow(), **body)
    db.session.commit()
    return jsonify(ProofOutSchema().dump(proof)), 201


@bp.get("/challenges/<int:challenge_id>/proofs")
@manager_required
def pending_proofs_view(challenge_id: int):
    managed_challenge(db.session(), challenge_id, actor())
    proofs = pending_proofs(db.session(), challenge_id, actor())
    return jsonify({"proofs": ProofOutSchema(many=True).dump(proofs)})


@bp.post("/challenges/<int:challenge_id>/proofs/<int:proof_id>/review")
@manager_required
def review_proof_view(challenge_id: int, proof_id: int):
    body = ReviewSchema().load(request.get_json(force=True))
    managed_challenge(db.session(), challenge_id, actor())
    proof, changes = review_proof(db.session(), proof_id, actor(), now=utcnow(), **body)
    commit_and_publish(changes)
    return jsonify(ProofOutSchema().dump(proof))


@bp.post("/challenges/<int:challenge_id>/adjustments")
@manager_required
def adjust_points_view(challenge_id: int):
    body = AdjustmentSchema().load(request.get_json(force=True))
    session = db.session()
    challenge = managed_challenge(session, challenge_id, actor())
    participant = participant_for(session, challenge_id, body["user_id"])
    if participant is None:
        raise NotFound(
            N_("user %(id)s does not take part in this challenge"),
            {"user_id": [N_("not a participant")]},
            id=str(body["user_id"]),
        )
    entry, changes = adjust_points(
        session,
        challenge,
        participant,
        body["points"],
        reason=body["reason"],
        actor=actor(),
        now=utcnow(),
    )
    commit_and_publish(changes)
    return jsonify(LedgerOutSchema().dump(entry)), 201


@bp.get("/challenges/<int:challenge_id>/ledger")
@login_required
def ledger_view(challenge_id: int):
    session, viewer = db.session(), actor()
    _, manages = viewed_challenge(session, challenge_id, viewer)
    if not manages and participant_for(session, challenge_id, viewer.id) is None:
        raise Forbidden(N_("only participants and managers read this ledger"))
    user_id = None if manages else viewer.id
    return jsonify(
        {"entries": LedgerOutSchema(many=True).dump(entries_for(session, challenge_id, user_id))}
    )
