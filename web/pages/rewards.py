"""The manager's rewards pages: the catalogue (add, edit, retire) and the requests to hand
over or refuse. Forms keep what was typed and say what is wrong beside the field."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, url_for
from marshmallow import ValidationError

from gameplay.models import Redemption
from gameplay.rewards import (
    add_catalogue_reward,
    change_catalogue_reward,
    fulfil_redemption,
    full_catalogue,
    pending_redemptions,
    refuse_redemption,
    retire_reward,
)
from kpi_engine.db import utcnow
from kpi_engine.errors import DomainError
from kpi_engine.models import User
from web.extensions import db
from web.pages import bp
from web.permissions import actor, manager_required
from web.schemas.live import form_fields, inline_errors
from web.schemas.rewards import RewardFormSchema

FIELDS = ("name", "cost", "cash_value")


@bp.get("/manage/rewards")
@manager_required
def manage_rewards():
    return _catalogue()


def _catalogue(status: int = 200, **form: Any):
    rewards = full_catalogue(db.session())
    return render_template("manage/rewards.html", rewards=rewards, **form), status


@bp.post("/manage/rewards")
@manager_required
def manage_add_reward():
    typed = form_fields()
    try:
        reward = add_catalogue_reward(db.session(), actor(), **RewardFormSchema().load(typed))
    except (ValidationError, DomainError) as exc:
        db.session.rollback()
        return _catalogue(_status(exc), new_errors=inline_errors(exc, FIELDS), new_typed=typed)
    db.session.commit()
    flash(f"{reward.name} is on sale.", "info")
    return redirect(url_for("pages.manage_rewards"))


@bp.post("/manage/rewards/<int:reward_id>")
@manager_required
def manage_edit_reward(reward_id: int):
    typed = form_fields()
    try:
        data = RewardFormSchema().load(typed)
        reward = change_catalogue_reward(db.session(), reward_id, actor(), **data)
    except (ValidationError, DomainError) as exc:
        db.session.rollback()
        errors = {reward_id: inline_errors(exc, FIELDS)}
        return _catalogue(_status(exc), edit_errors=errors, edit_typed={reward_id: typed})
    db.session.commit()
    flash(f"{reward.name} saved.", "info")
    return redirect(url_for("pages.manage_rewards"))


@bp.post("/manage/rewards/<int:reward_id>/retire")
@manager_required
def manage_retire_reward(reward_id: int):
    back_on_sale = form_fields().get("active") == "true"
    reward = retire_reward(db.session(), reward_id, actor(), active=back_on_sale)
    db.session.commit()
    flash(f"{reward.name} is {'back on sale' if back_on_sale else 'retired'}.", "info")
    return redirect(url_for("pages.manage_rewards"))


@bp.get("/manage/redemptions")
@manager_required
def manage_redemptions():
    return _requests()


def _requests(status: int = 200, **form: Any):
    pending = pending_redemptions(db.session(), actor())
    rows = [(r, db.session.get(User, r.user_id)) for r in pending]
    return render_template("manage/redemptions.html", rows=rows, **form), status


@bp.post("/manage/redemptions/<int:redemption_id>")
@manager_required
def manage_handle_redemption(redemption_id: int):
    decision = form_fields().get("decision")
    handle = {"fulfil": fulfil_redemption, "refuse": refuse_redemption}.get(decision or "")
    if handle is None:
        errors = {redemption_id: "Choose to hand it over or to refuse it."}
        return _requests(422, request_errors=errors)
    try:
        redemption: Redemption = handle(db.session(), redemption_id, actor(), now=utcnow())
    except DomainError as exc:
        db.session.rollback()
        return _requests(
            exc.status, request_errors={redemption_id: inline_errors(exc, ())["_form"]}
        )
    db.session.commit()
    cost = f"{redemption.cost} point{'' if redemption.cost == 1 else 's'}"
    done = "handed over" if decision == "fulfil" else f"refused: {cost} went back to the rep"
    flash(f"{redemption.reward.name} {done}.", "info")
    return redirect(url_for("pages.manage_redemptions"))


def _status(exc: Exception) -> int:
    return exc.status if isinstance(exc, DomainError) else 422
