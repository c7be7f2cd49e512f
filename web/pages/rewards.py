"""The manager's rewards pages: the catalogue (add, edit, retire) and the requests to hand
over or refuse. Forms keep what was typed and say what is wrong beside the field."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext
from marshmallow import ValidationError

from gameplay.core.models import Redemption
from gameplay.manage.rewards import (
    add_catalogue_reward,
    change_catalogue_reward,
    fulfil_redemption,
    full_catalogue,
    pending_redemptions,
    refuse_redemption,
    retire_reward,
)
from kpi_engine.db import utcnow
from kpi_engine.errors import DomainError, Invalid
from kpi_engine.org.models import User
from kpi_engine.words import N_
from web.extensions import db
from web.form_refusals import keep_refusal, take_refusal
from web.formats import points, translated
from web.pages import bp
from web.permissions import actor, manager_required
from web.schemas.forms import form_fields, inline_errors
from web.schemas.rewards import RewardFormSchema

FIELDS = ("name", "cost", "cash_value")


@bp.get("/manage/rewards")
@manager_required
def manage_rewards():
    rewards = full_catalogue(db.session())
    return render_template("manage/rewards.html", rewards=rewards, refused=take_refusal("reward"))


@bp.post("/manage/rewards")
@manager_required
def manage_add_reward():
    typed = form_fields()
    try:
        reward = add_catalogue_reward(db.session(), actor(), **RewardFormSchema().load(typed))
    except (ValidationError, DomainError) as exc:
        return _refused(exc, 0, typed)
    db.session.commit()
    flash(gettext("%(name)s is on sale.", name=translated(reward.name)), "info")
    return redirect(url_for("pages.manage_rewards"), 303)


@bp.post("/manage/rewards/<int:reward_id>")
@manager_required
def manage_edit_reward(reward_id: int):
    typed = form_fields()
    try:
        data = RewardFormSchema().load(typed)
        reward = change_catalogue_reward(db.session(), reward_id, actor(), **data)
    except (ValidationError, DomainError) as exc:
        return _refused(exc, reward_id, typed)
    db.session.commit()
    flash(gettext("%(name)s saved.", name=translated(reward.name)), "info")
    return redirect(url_for("pages.manage_rewards"), 303)


def _refused(exc: ValidationError | DomainError, target: int, typed: dict[str, str]):
    db.session.rollback()
    if isinstance(exc, DomainError) and exc.status in (403, 404):
        raise exc
    keep_refusal("reward", target, inline_errors(exc, FIELDS), typed)
    return redirect(url_for("pages.manage_rewards", _anchor=f"reward-{target}"), 303)


@bp.post("/manage/rewards/<int:reward_id>/retire")
@manager_required
def manage_retire_reward(reward_id: int):
    back_on_sale = form_fields().get("active") == "true"
    reward = retire_reward(db.session(), reward_id, actor(), active=back_on_sale)
    db.session.commit()
    name = translated(reward.name)
    if back_on_sale:
        flash(gettext("%(name)s is back on sale.", name=name), "info")
    else:
        flash(gettext("%(name)s is retired.", name=name), "info")
    return redirect(url_for("pages.manage_rewards"), 303)


@bp.get("/manage/redemptions")
@manager_required
def manage_redemptions():
    pending = pending_redemptions(db.session(), actor())
    rows = [(r, db.session.get(User, r.user_id)) for r in pending]
    refused = take_refusal("redemption")
    return render_template("manage/redemptions.html", rows=rows, refused=refused)


@bp.post("/manage/redemptions/<int:redemption_id>")
@manager_required
def manage_handle_redemption(redemption_id: int):
    decision = form_fields().get("decision")
    handle = {"fulfil": fulfil_redemption, "refuse": refuse_redemption}.get(decision or "")
    try:
        if handle is None:
            raise Invalid(
                N_("choose to hand it over or to refuse it"), {"decision": [N_("required")]}
            )
        redemption: Redemption = handle(db.session(), redemption_id, actor(), now=utcnow())
    except DomainError as exc:
        db.session.rollback()
        if exc.status in (403, 404):
            raise
        keep_refusal("redemption", redemption_id, inline_errors(exc, ()), {})
        return redirect(url_for("pages.manage_redemptions"), 303)
    db.session.commit()
    name = translated(redemption.reward.name)
    if decision == "fulfil":
        flash(gettext("%(name)s handed over.", name=name), "info")
    else:
        back = gettext("%(name)s refused: %(points)s went back to the rep.", name=name,
                       points=points(redemption.cost))  # fmt: skip
        flash(back, "info")
    return redirect(url_for("pages.manage_redemptions"), 303)
