"""The rep's phone pages: my challenges, one challenge (rules, missions, live board), profile."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext
from marshmallow import ValidationError

from gameplay.core.models import Mission
from gameplay.manage.challenges import viewed_challenge
from gameplay.manage.rewards import redeem
from gameplay.scoring.missions import submit_proof
from gameplay.scoring.profiles import set_preferences
from kpi_engine.db import utcnow
from kpi_engine.errors import DomainError
from web.extensions import db
from web.form_refusals import keep_refusal, take_refusal
from web.i18n import languages
from web.labels import NOTIFICATION_KINDS
from web.pages import bp
from web.pages.devices import phones_section
from web.permissions import actor, login_required
from web.rep_view import challenge_page, my_cards, profile_page
from web.schemas.challenges import ProofSchema
from web.schemas.forms import form_fields, inline_errors
from web.schemas.me import PreferencesSchema


@bp.get("/play")
@login_required
def play():
    cards = my_cards(db.session(), actor(), utcnow())
    return render_template("rep/home.html", cards=cards)


@bp.get("/play/challenges/<int:challenge_id>")
@login_required
def play_challenge(challenge_id: int):
    challenge, manages = viewed_challenge(db.session(), challenge_id, actor())
    page = challenge_page(db.session(), challenge, actor(), utcnow(), manages)
    return render_template("rep/challenge.html", page=page, refused=take_refusal("proof"))


@bp.post("/play/challenges/<int:challenge_id>/missions/<int:mission_id>/proof")
@login_required
def play_submit_proof(challenge_id: int, mission_id: int):
    typed = form_fields()
    mission = db.session.get(Mission, mission_id)
    if mission is None or mission.challenge_id != challenge_id:
        abort(404)
    back = url_for("pages.play_challenge", challenge_id=challenge_id)
    try:
        data = ProofSchema().load(typed)
        submit_proof(db.session(), mission.id, actor(), now=utcnow(), **data)
    except (ValidationError, DomainError) as exc:
        db.session.rollback()
        keep_refusal("proof", mission_id, inline_errors(exc, ("text", "link")), typed)
        return redirect(f"{back}#mission-{mission_id}", 303)
    db.session.commit()
    flash(gettext("Proof sent: your manager will review it."), "info")
    return redirect(f"{back}#mission-{mission_id}", 303)


@bp.get("/play/profile")
@login_required
def play_profile():
    tz = current_app.config["ORG_TIMEZONE"]
    page = profile_page(db.session(), actor(), utcnow(), tz)
    refused = {**take_refusal("preferences"), **take_refusal("redeem")}
    avatar_refused: dict[str, object] = next(iter(take_refusal("avatar").values()), {})
    return render_template(
        "rep/profile.html",
        page=page,
        refused=refused,
        phones=phones_section(),
        languages=languages(),
        notification_kinds=NOTIFICATION_KINDS,
        avatar_refused=avatar_refused,
    )


@bp.post("/play/profile/preferences")
@login_required
def play_preferences():
    typed = form_fields("muted_kinds")
    typed.setdefault("anonymised", False)  # an unticked box sends nothing: it means no
    try:
        data = PreferencesSchema().load(typed)
    except ValidationError as exc:
        keep_refusal(
            "preferences", 0, inline_errors(exc, ("muted_kinds", "anonymised", "locale")), {}
        )
        return redirect(url_for("pages.play_profile", _anchor="prefs-title"), 303)
    set_preferences(db.session(), actor().id, **data)
    db.session.commit()
    flash(gettext("Preferences saved."), "info")
    return redirect(url_for("pages.play_profile"))


@bp.post("/play/rewards/<int:reward_id>/redeem")
@login_required
def play_redeem(reward_id: int):
    try:
        redemption = redeem(db.session(), reward_id, actor(), now=utcnow())
    except DomainError as exc:
        db.session.rollback()
        keep_refusal("redeem", reward_id, inline_errors(exc, ()), {})
        return redirect(url_for("pages.play_profile", _anchor=f"reward-{reward_id}"), 303)
    db.session.commit()
    name = redemption.reward.name
    flash(gettext("Requested %(name)s: your manager will hand it over.", name=name), "info")
    return redirect(url_for("pages.play_profile", _anchor="rewards-title"), 303)
