"""Starting points for the one-form builder: gameplay's templates (onboarding, upsell,
prospecting blitz) turned into the form's fields, which the manager keeps or changes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l

from gameplay.manage.templates import spec_from_template
from web.formats import translated

TITLES = {
    "prospecting": _l("Prospecting blitz"),
    "upsell": _l("Upsell sprint"),
    "onboarding": _l("Onboarding journey"),
    "custom": _l("Custom challenge"),
}
DAYS = {"onboarding": 30, "upsell": 14}
DEFAULT_DAYS = 7


def preset_form(template: str, now: datetime, team_ids: Sequence[int] = ()) -> dict[str, Any]:
    """The builder's form values for a template, starting tomorrow at 9:00, for `team_ids`."""
    kind = template if template in TITLES else "custom"
    starts = (now + timedelta(days=1)).replace(hour=9, minute=0, second=0, microsecond=0)
    ends = starts + timedelta(days=DAYS.get(kind, DEFAULT_DAYS))
    spec: dict[str, Any] = {"kind": "custom", "format": "leaderboard"}
    if kind != "custom":
        spec = spec_from_template(kind, {})
    form = {
        "kind": kind,
        "name": str(TITLES[kind]),
        "starts_at": f"{starts:%Y-%m-%dT%H:%M}",
        "ends_at": f"{ends:%Y-%m-%dT%H:%M}",
        "timezone": "UTC",
        "enrolment": "auto",
        "top_n": 3,
        "team_ids": [str(team_id) for team_id in team_ids],
        **{k: _text(v) for k, v in spec.items() if k not in ("rules", "missions", "kind")},
    }
    for group in ("rules", "missions"):
        for index, row in enumerate(spec.get(group, [])):
            form.update({f"{group}-{index}-{k}": _text(v) for k, v in row.items() if v is not None})
            if row.get("name"):  # a template's mission names, in the manager's language
                form[f"{group}-{index}-name"] = translated(row["name"])
    return form


def _text(value: Any) -> Any:
    """A form field's value: booleans as the checkbox's "true" or nothing."""
    if isinstance(value, bool):
        return "true" if value else ""
    return value
