"""The rep's phone pages: my challenges, one challenge (rules, missions, live board), profile."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, url_for

from gameplay.challenges import get_challenge
from gameplay.missions import submit_proof
from gameplay.models import Mission
from gameplay.profiles import set_preferences
from gameplay.rewards import redeem
from kpi_engine.db import utcnow
from web.extensions import db
from web.pages import bp
from web.permissions import actor, login_required
from web.rep_view import challenge_page, my_cards, profile_page
from web.schemas.live import PreferencesSchema, ProofSchema, form_fields


@bp.get("/play")
@login_required
def play():
    cards = my_cards(db.session(), actor(), utcnow())
    return render_template("rep/home.html", cards=cards)


@bp.get("/play/challenges/<int:challenge_id>")
@login_required
def play_challenge(challenge_id: int):
    challenge = get_challenge(db.session(), challenge_id, actor(), now=utcnow())
    db.session.commit()  # a first read after the end finalises the challenge
    page = challenge_page(db.session(), challenge, actor(), utcnow())
    return render_template("rep/challenge.html", page=page)


@bp.post("/play/challenges/<int:challenge_id>/missions/<int:mission_id>/proof")
@login_required
def play_submit_proof(challenge_id: int, mission_id: int):
    data = ProofSchema().load(form_fields())
    mission = db.session.get(Mission, mission_id)
    if mission is None or mission.challenge_id != challenge_id:
        abort(404)
    submit_proof(db.session(), mission.id, actor(), now=utcnow(), **data)
    db.session.commit()
    flash("Proof sent: your manager will review it.", "info")
    return redirect(url_for("pages.play_challenge", challenge_id=challenge_id))


@bp.get("/play/profile")
@login_required
def play_profile():
    tz = current_app.config["ORG_TIMEZONE"]
    return render_template(
        "rep/profile.html", page=profile_page(db.session(), actor(), utcnow(), tz)
    )


@bp.post("/play/profile/preferences")
@login_required
def play_preferences():
    data = PreferencesSchema().load(form_fields("muted_kinds"))
    set_preferences(db.session(), actor().id, **data)
    db.session.commit()
    flash("Preferences saved.", "info")
    return redirect(url_for("pages.play_profile"))


@bp.post("/play/rewards/<int:reward_id>/redeem")
@login_required
def play_redeem(reward_id: int):
    redemption = redeem(db.session(), reward_id, actor(), now=utcnow())
    db.session.commit()
    flash(f"Requested {redemption.reward.name}: your manager will hand it over.", "info")
    return redirect(url_for("pages.play_profile"))
