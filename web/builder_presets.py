"""Starting points for the challenge builder: each template fills the one form with rules and
missions a manager can keep or change (onboarding, upsell, prospecting blitz, custom)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

PRESETS: dict[str, dict[str, Any]] = {
    "onboarding": {
        "title": "Onboarding journey",
        "format": "threshold",
        "target": 100,
        "ordered_missions": "true",
        "days": 30,
        "missions": [
            {"name": "Complete the product training", "manual": "true", "points": 20},
            {"name": "Shadow 3 calls", "manual": "true", "points": 10},
            {"name": "Log 20 activities", "target": 20, "points": 20},
            {"name": "Book a first meeting", "outcome": "meeting_booked", "points": 20},
            {"name": "Win a first deal", "fact": "deal_won", "points": 30},
        ],
    },
    "upsell": {
        "title": "Upsell sprint",
        "format": "leaderboard",
        "days": 14,
        "rules": [{"fact": "deal_won", "points": 50, "existing_account_multiplier": "1.5"}],
    },
    "prospecting": {
        "title": "Prospecting blitz",
        "format": "leaderboard",
        "days": 7,
        "rules": [
            {"activity_kind": "call", "points": 1, "daily_cap": 40},
            {"activity_kind": "email", "outcome": "replied", "points": 3},
            {"outcome": "meeting_booked", "points": 10, "daily_cap": 50},
        ],
    },
    "custom": {"title": "Custom challenge", "format": "leaderboard", "days": 7},
}


def preset_form(template: str, now: datetime) -> dict[str, Any]:
    """The builder's form values for a template, starting tomorrow at 9:00."""
    kind = template if template in PRESETS else "custom"
    preset = PRESETS[kind]
    starts = (now + timedelta(days=1)).replace(hour=9, minute=0, second=0, microsecond=0)
    form: dict[str, Any] = {
        "kind": kind,
        "name": preset["title"],
        "format": preset["format"],
        "target": preset.get("target", ""),
        "ordered_missions": preset.get("ordered_missions", ""),
        "starts_at": f"{starts:%Y-%m-%dT%H:%M}",
        "ends_at": f"{starts + timedelta(days=preset['days']):%Y-%m-%dT%H:%M}",
        "timezone": "UTC",
        "enrolment": "auto",
    }
    for group in ("rules", "missions"):
        for index, row in enumerate(preset.get(group, [])):
            form.update({f"{group}-{index}-{name}": value for name, value in row.items()})
    return form
