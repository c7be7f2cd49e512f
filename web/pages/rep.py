"""The rep's phone pages: my challenges, one challenge (rules, missions, live board), profile."""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, flash, redirect, render_template, url_for
from marshmallow import ValidationError

from gameplay.challenges import get_challenge
from gameplay.missions import submit_proof
from gameplay.models import Mission
from gameplay.profiles import set_preferences
from gameplay.rewards import redeem
from kpi_engine.db import utcnow
from kpi_engine.errors import DomainError
from web.extensions import db
from web.pages import bp
from web.permissions import actor, login_required
from web.rep_view import challenge_page, my_cards, profile_page
from web.schemas.live import PreferencesSchema, ProofSchema, form_fields, inline_errors


@bp.get("/play")
@login_required
def play():
    cards = my_cards(db.session(), actor(), utcnow())
    return render_template("rep/home.html", cards=cards)


@bp.get("/play/challenges/<int:challenge_id>")
@login_required
def play_challenge(challenge_id: int):
    return _challenge(challenge_id)


def _challenge(challenge_id: int, status: int = 200, **form: Any):
    challenge = get_challenge(db.session(), challenge_id, actor())
    page = challenge_page(db.session(), challenge, actor(), utcnow())
    return render_template("rep/challenge.html", page=page, **form), status


@bp.post("/play/challenges/<int:challenge_id>/missions/<int:mission_id>/proof")
@login_required
def play_submit_proof(challenge_id: int, mission_id: int):
    typed = form_fields()
    mission = db.session.get(Mission, mission_id)
    if mission is None or mission.challenge_id != challenge_id:
        abort(404)
    try:
        data = ProofSchema().load(typed)
        submit_proof(db.session(), mission.id, actor(), now=utcnow(), **data)
    except (ValidationError, DomainError) as exc:
        db.session.rollback()
        status = exc.status if isinstance(exc, DomainError) else 422
        errors = {mission_id: inline_errors(exc, ("text", "link"))}
        return _challenge(
            challenge_id, status, proof_errors=errors, proof_typed={mission_id: typed}
        )
    db.session.commit()
    flash("Proof sent: your manager will review it.", "info")
    return redirect(url_for("pages.play_challenge", challenge_id=challenge_id))


@bp.get("/play/profile")
@login_required
def play_profile():
    return _profile()


def _profile(status: int = 200, **form: Any):
    tz = current_app.config["ORG_TIMEZONE"]
    page = profile_page(db.session(), actor(), utcnow(), tz)
    return render_template("rep/profile.html", page=page, **form), status


@bp.post("/play/profile/preferences")
@login_required
def play_preferences():
    try:
        data = PreferencesSchema().load(form_fields("muted_kinds"))
    except ValidationError as exc:
        return _profile(422, preference_errors=inline_errors(exc, ("muted_kinds", "anonymised")))
    set_preferences(db.session(), actor().id, **data)
    db.session.commit()
    flash("Preferences saved.", "info")
    return redirect(url_for("pages.play_profile"))


@bp.post("/play/rewards/<int:reward_id>/redeem")
@login_required
def play_redeem(reward_id: int):
    try:
        redemption = redeem(db.session(), reward_id, actor(), now=utcnow())
    except DomainError as exc:
        db.session.rollback()
        return _profile(exc.status, redeem_errors={reward_id: inline_errors(exc, ())["_form"]})
    db.session.commit()
    flash(f"Requested {redemption.reward.name}: your manager will hand it over.", "info")
    return redirect(url_for("pages.play_profile", _anchor="rewards-title"))
