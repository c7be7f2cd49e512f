"""Templates a manager fills in one form: onboarding, upsell, prospecting blitz. Each turns the
form into a full challenge spec (see gameplay.manage.challenges), which create_challenge then
stores."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from kpi_engine.errors import Invalid
from kpi_engine.words import N_, said

COMMON = (
    "name",
    "starts_at",
    "ends_at",
    "timezone",
    "freeze_at",
    "audience",
    "enrolment",
    "rewards",
    "reward_budget",
    "top_n",
)


def _onboarding(form: dict[str, Any]) -> dict[str, Any]:
    """Ordered missions for new hires; everyone who completes the journey wins."""
    missions = [
        {"name": N_("Complete the product training"), "manual": True, "points": 20, "target": 1},
        {"name": N_("Shadow 3 calls"), "manual": True, "points": 20, "target": 1},
        {
            "name": N_("Log 20 activities"),
            "fact": "activity",
            "target": form.get("activities", 20),
            "points": 20,
        },
        {
            "name": N_("Book a first meeting"),
            "fact": "activity",
            "outcome": "meeting_booked",
            "target": 1,
            "points": 20,
        },
        {
            "name": N_("Win a first deal"),
            "fact": "deal_won",
            "target": 1,
            "points": 20,
            "badge": "first_deal",
        },
    ]
    return {
        "kind": "onboarding",
        "format": "threshold",
        "target": 100,
        "ordered_missions": True,
        "rules": [],
        "missions": missions,
    }


def _upsell(form: dict[str, Any]) -> dict[str, Any]:
    """Points on won deals for chosen products or above an amount, more for existing accounts."""
    base = {
        "fact": "deal_won",
        "points": form.get("points_per_deal", 50),
        "points_per_amount": Decimal(str(form.get("points_per_amount", "0.01"))),
        "min_amount": form.get("min_amount"),
        "existing_account_multiplier": Decimal(str(form.get("existing_account_multiplier", "1.5"))),
    }
    products = form.get("products") or [None]
    rules = [{**base, "product": product} for product in products]
    return {"kind": "upsell", "format": "leaderboard", "rules": rules, "missions": []}


def _prospecting(form: dict[str, Any]) -> dict[str, Any]:
    """Calls, emails and booked meetings, weighted by outcome, capped per day against spam."""
    cap = form.get("daily_cap", 50)
    rules = [
        {
            "fact": "activity",
            "activity_kind": "call",
            "points": form.get("call_points", 1),
            "daily_cap": cap,
            "min_gap_minutes": 2,
        },
        {
            "fact": "activity",
            "activity_kind": "call",
            "outcome": "connected",
            "points": 3,
            "daily_cap": cap,
        },
        {
            "fact": "activity",
            "activity_kind": "email",
            "points": form.get("email_points", 1),
            "daily_cap": cap // 2,
            "min_gap_minutes": 2,
        },
        {
            "fact": "activity",
            "outcome": "meeting_booked",
            "points": form.get("meeting_points", 10),
            "daily_cap": cap,
        },
    ]
    missions = [
        {
            "name": N_("Book 5 meetings"),
            "fact": "activity",
            "outcome": "meeting_booked",
            "target": 5,
            "points": 25,
        }
    ]
    return {"kind": "prospecting", "format": "leaderboard", "rules": rules, "missions": missions}


TEMPLATES: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "onboarding": _onboarding,
    "upsell": _upsell,
    "prospecting": _prospecting,
}


def spec_from_template(template: str, form: dict[str, Any]) -> dict[str, Any]:
    """The full challenge spec a template form stands for."""
    build = TEMPLATES.get(template)
    if build is None:
        raise Invalid(
            N_("unknown template %(template)r"),
            {"template": [said(N_("one of %(names)s"), names=", ".join(TEMPLATES))]},
            template=template,
        )

    common = {name: form[name] for name in COMMON if form.get(name) is not None}
    return {**build(form), **common}
