"""Words the pages show for the domain's codes, translated when rendered (lazy)."""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l

NOTIFICATION_KINDS = {
    "points_earned": _l("Points earned"),
    "mission_completed": _l("Mission completed"),
    "badge_earned": _l("Badge earned"),
    "level_reached": _l("Level reached"),
    "overtaken": _l("Overtaken"),
    "challenge_starting": _l("Challenge starting"),
    "challenge_ending": _l("Challenge ending"),
    "proof_reviewed": _l("Proof reviewed"),
}


CHALLENGE_STATUSES = {
    "draft": _l("draft"),
    "scheduled": _l("scheduled"),
    "live": _l("live"),
    "ended": _l("ended"),
    "cancelled": _l("cancelled"),
}
MISSION_STATES = {
    "done": _l("done"),
    "pending": _l("pending"),
    "next": _l("next"),
    "open": _l("open"),
    "locked": _l("locked"),
}
DEAL_STATUSES = {"open": _l("open"), "won": _l("won"), "lost": _l("lost")}
ACTIVITY_KINDS = {
    "call": _l("call"),
    "email": _l("email"),
    "meeting": _l("meeting"),
    "demo": _l("demo"),
    "social": _l("social"),
}
CHALLENGE_KINDS = {
    "onboarding": _l("Onboarding"),
    "upsell": _l("Upsell"),
    "prospecting": _l("Prospecting"),
    "custom": _l("Custom"),
}
IMPACT_VERDICTS = {
    "effect": _l("effect"),
    "no_detectable_effect": _l("no detectable effect"),
    "too_noisy": _l("too noisy to tell"),
    "inconclusive": _l("no claim"),
}
KPI_INPUT_KINDS = {
    "quota": _l("Quota"),
    "marketing_cost": _l("Marketing cost"),
    "sales_cost": _l("Sales cost"),
    "forecast": _l("Forecast"),
    "churned_customers": _l("Churned customers"),
}
ACTIVITY_OUTCOMES = {
    "none": _l("none"),
    "no_answer": _l("no answer"),
    "connected": _l("connected"),
    "replied": _l("replied"),
    "meeting_booked": _l("meeting booked"),
}


def init_app(app: Flask) -> None:
    app.jinja_env.globals.update(
        challenge_status_words=CHALLENGE_STATUSES,
        mission_state_words=MISSION_STATES,
        deal_status_words=DEAL_STATUSES,
        activity_kind_words=ACTIVITY_KINDS,
        outcome_words=ACTIVITY_OUTCOMES,
        challenge_kind_words=CHALLENGE_KINDS,
        verdict_words=IMPACT_VERDICTS,
        input_kind_words=KPI_INPUT_KINDS,
    )
