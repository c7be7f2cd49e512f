"""/api/v1/me/...: a rep's own game: points, level, streak, badges, challenges, rewards,
redemptions and preferences; and a manager keeping the catalogue (add, change, retire) and
handling redemptions (fulfil, refuse with the points given back)."""

from __future__ import annotations

from flask import current_app, jsonify, request

from gameplay.manage.challenges import challenges_of
from gameplay.manage.rewards import (
    add_catalogue_reward,
    catalogue,
    change_catalogue_reward,
    fulfil_redemption,
    pending_redemptions,
    redeem,
    redemptions_of,
    refuse_redemption,
    retire_reward,
)
from gameplay.scoring.badges import badge_title, badges_of
from gameplay.scoring.levels import level_for, level_table
from gameplay.scoring.profiles import read_profile, set_preferences
from gameplay.scoring.streaks import current_streak
from kpi_engine.db import utcnow
from web.api import bp
from web.extensions import db
from web.permissions import actor, login_required, manager_required
from web.schemas.challenges import challenge_answer
from web.schemas.me import (
    CatalogueRewardSchema,
    PreferencesSchema,
    RedeemSchema,
    RedemptionSchema,
    RewardSchema,
)


@bp.get("/me/points")
@login_required
def my_points():
    profile = read_profile(db.session(), actor().id)
    level = level_for(level_table(db.session()), profile.lifetime_points)
    return jsonify(
        {
            "lifetime": profile.lifetime_points,
            "spent": profile.spent_points,
            "balance": profile.balance,
            "level": {"number": level.number, "name": level.name, "next_at": level.next_at},
        }
    )


@bp.get("/me/level")
@login_required
def my_level():
    level = level_for(
        level_table(db.session()), read_profile(db.session(), actor().id).lifetime_points
    )
    return jsonify(
        {
            "number": level.number,
            "name": level.name,
            "points": level.points,
            "next_at": level.next_at,
        }
    )


@bp.get("/me/streak")
@login_required
def my_streak():
    tz = current_app.config.get("ORG_TIMEZONE", "UTC")
    streak = current_streak(db.session(), actor().id, today=utcnow().date(), tz=tz)
    return jsonify(
        {
            "current": streak.current,
            "last_day": streak.last_day.isoformat() if streak.last_day else None,
        }
    )


@bp.get("/me/badges")
@login_required
def my_badges():
    badges = badges_of(db.session(), actor().id)
    return jsonify(
        {
            "badges": [
                {
                    "code": b.code,
                    "title": badge_title(b.code),
                    "scope": b.scope,
                    "awarded_at": b.awarded_at.isoformat(),
                }
                for b in badges
            ]
        }
    )


@bp.get("/me/challenges")
@login_required
def my_challenges():
    return jsonify(
        {"challenges": [challenge_answer(c) for c in challenges_of(db.session(), actor().id)]}
    )


@bp.get("/me/rewards")
@login_required
def my_rewards():
    balance = read_profile(db.session(), actor().id).balance
    return jsonify(
        {"balance": balance, "rewards": RewardSchema(many=True).dump(catalogue(db.session()))}
    )


@bp.get("/me/redemptions")
@login_required
def my_redemptions():
    return jsonify(
        {"redemptions": RedemptionSchema(many=True).dump(redemptions_of(db.session(), actor().id))}
    )


@bp.post("/me/redemptions")
@login_required
def redeem_reward():
    body = RedeemSchema().load(request.get_json(force=True))
    redemption = redeem(db.session(), body["reward_id"], actor(), now=utcnow())
    db.session.commit()
    return jsonify(RedemptionSchema().dump(redemption)), 201


@bp.put("/me/preferences")
@login_required
def my_preferences():
    body = PreferencesSchema().load(request.get_json(force=True))
    profile = set_preferences(db.session(), actor().id, **body)
    db.session.commit()
    return jsonify(
        {
            "anonymised": profile.anonymised,
            "muted_kinds": profile.muted_kinds,
            "locale": actor().locale,
        }
    )


@bp.post("/rewards")
@manager_required
def add_reward():
    body = CatalogueRewardSchema().load(request.get_json(force=True))
    reward = add_catalogue_reward(db.session(), actor(), **body)
    db.session.commit()
    return jsonify(RewardSchema().dump(reward)), 201


@bp.post("/redemptions/<int:redemption_id>/fulfil")
@manager_required
def fulfil(redemption_id: int):
    redemption = fulfil_redemption(db.session(), redemption_id, actor(), now=utcnow())
    db.session.commit()
    return jsonify(RedemptionSchema().dump(redemption))


@bp.put("/rewards/<int:reward_id>")
@manager_required
def change_reward(reward_id: int):
    body = CatalogueRewardSchema().load(request.get_json(force=True))
    reward = change_catalogue_reward(db.session(), reward_id, actor(), **body)
    db.session.commit()
    return jsonify(RewardSchema().dump(reward))


@bp.delete("/rewards/<int:reward_id>")
@manager_required
def retire(reward_id: int):
    reward = retire_reward(db.session(), reward_id, actor())
    db.session.commit()
    return jsonify(RewardSchema().dump(reward))


@bp.get("/redemptions")
@manager_required
def requests_to_handle():
    pending = pending_redemptions(db.session(), actor())
    return jsonify({"redemptions": RedemptionSchema(many=True).dump(pending)})


@bp.post("/redemptions/<int:redemption_id>/refuse")
@manager_required
def refuse(redemption_id: int):
    redemption = refuse_redemption(db.session(), redemption_id, actor(), now=utcnow())
    db.session.commit()
    return jsonify(RedemptionSchema().dump(redemption))
