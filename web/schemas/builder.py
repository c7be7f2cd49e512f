"""The manager's one-form challenge builder: flat form fields in, a challenge spec out.

The form names repeated rows `rules-0-points`, `missions-2-name`...; `nest_rows` turns them
into lists (blank rows dropped) before the schema validates them. Meaning-level checks (the
window, the audience, a target for a race) are the domain's, in create_challenge.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from flask_babel import gettext, ngettext
from flask_babel import lazy_gettext as _l
from marshmallow import Schema, fields, validate

from gameplay.boards.formats import FORMAT_RULES
from gameplay.core.models import ChallengeFormat, ChallengeKind, Enrolment, FactType, TeamScoring
from kpi_engine.org.models import SalesRole
from kpi_engine.sales.models import ActivityKind, ActivityOutcome
from web.schemas.fields import (
    MULTIPLIER_MAX,
    RATE_MAX,
    Amount,
    BoundedInt,
    BusinessNaiveDateTime,
    Id,
)

ROW = re.compile(r"^(rules|missions)-(\d+)-(\w+)$")
RULE_ROWS = 6
MISSION_ROWS = 8


def nest_rows(form: dict[str, Any]) -> dict[str, Any]:
    """Group `rules-N-x` and `missions-N-x` fields into row dicts; drop rows left blank."""
    flat: dict[str, Any] = {}
    rows: dict[str, dict[int, dict[str, Any]]] = {"rules": {}, "missions": {}}
    for key, value in form.items():
        match = ROW.match(key)
        if match is None:
            # A number field left blank is absent (its default applies), not "not a valid integer".
            if value not in ("", None):
                flat[key] = value
        elif value not in ("", None):
            group, index, name = match.groups()
            rows[group].setdefault(int(index), {})[name] = value
    for group, found in rows.items():
        flat[group] = [found[i] for i in sorted(found) if set(found[i]) - {"fact", "manual"}]
    return flat


ACTIVITY_KIND = fields.String(load_default=None, validate=validate.OneOf(ActivityKind.values()))
OUTCOME = fields.String(load_default=None, validate=validate.OneOf(ActivityOutcome.values()))
POINTS = fields.Integer(load_default=0, validate=validate.Range(min=0, max=100_000))


class RuleSchema(Schema):
    fact = fields.String(load_default="activity", validate=validate.OneOf(FactType.values()))
    activity_kind = ACTIVITY_KIND
    outcome = OUTCOME
    product = fields.String(load_default=None, validate=validate.Length(max=200))
    min_amount = Amount(load_default=None)
    points = POINTS
    points_per_amount = Amount(maximum=RATE_MAX, load_default=None)
    existing_account_multiplier = Amount(maximum=MULTIPLIER_MAX, load_default=None)
    daily_cap = BoundedInt(1, load_default=None)
    min_gap_minutes = BoundedInt(1, load_default=None)


class MissionSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(1, 160))
    manual = fields.Boolean(load_default=False)
    fact = fields.String(load_default="activity", validate=validate.OneOf(FactType.values()))
    activity_kind = ACTIVITY_KIND
    outcome = OUTCOME
    target = BoundedInt(1, load_default=1)
    points = POINTS
    badge = fields.String(load_default=None, validate=validate.Length(max=40))


class BuilderSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(1, 160))
    description = fields.String(load_default=None, validate=validate.Length(max=2000))
    kind = fields.String(required=True, validate=validate.OneOf(ChallengeKind.values()))
    format = fields.String(required=True, validate=validate.OneOf(ChallengeFormat.values()))
    team_scoring = fields.String(load_default="sum", validate=validate.OneOf(TeamScoring.values()))
    target = BoundedInt(1, load_default=None)
    top_n = fields.Integer(load_default=3, validate=validate.Range(min=1, max=100))
    ordered_missions = fields.Boolean(load_default=False)
    starts_at = BusinessNaiveDateTime(required=True)
    ends_at = BusinessNaiveDateTime(required=True)
    timezone = fields.String(load_default="UTC", validate=validate.Length(1, 64))
    team_ids = fields.List(Id(), load_default=list)
    sales_roles = fields.List(
        fields.String(validate=validate.OneOf(SalesRole.values())), load_default=list
    )
    enrolment = fields.String(load_default="auto", validate=validate.OneOf(Enrolment.values()))
    rules = fields.List(fields.Nested(RuleSchema), load_default=list)
    missions = fields.List(fields.Nested(MissionSchema), load_default=list)
    prize_name = fields.String(load_default=None, validate=validate.Length(1, 160))
    prize_bonus_points = BoundedInt(0, load_default=None)
    prize_cash_value = Amount(load_default=None)
    holdout_percent = BoundedInt(0, 50, load_default=None)


def spec_from(data: dict[str, Any]) -> dict[str, Any]:
    """The loaded form as the spec create_challenge takes (audience grouped)."""
    audience = {"team_ids": data.pop("team_ids"), "sales_roles": data.pop("sales_roles")}
    prize = {
        "name": data.pop("prize_name"),
        "bonus_points": data.pop("prize_bonus_points"),
        "cash_value": data.pop("prize_cash_value"),
    }
    if prize["name"]:
        data["rewards"] = [prize]
    percent = data.pop("holdout_percent", None)
    if percent:
        data["holdout_share"] = Decimal(percent) / 100
    rule = FORMAT_RULES.get(data.get("format", ""))
    if rule is not None and not rule.needs_target:
        # A leaderboard or team battle has no finish line: a leftover target would only show
        # reps a meaningless "0 of 1000 points".
        data.pop("target", None)
    return {**data, "audience": audience}


# The domain names fields as the spec does; a manager reads them as the form labels them.
PLAIN_NAMES = {"starts_at": "the start", "ends_at": "the end", "freeze_at": "the freeze time"}


def flat_errors(messages: dict[str, Any]) -> dict[str, Any]:
    """Marshmallow's nested messages under the form's own field names (`rules-0-points`)."""
    flat: dict[str, Any] = {}
    for name, value in messages.items():
        if name in ("rules", "missions") and isinstance(value, dict):
            for index, fields_ in value.items():
                flat.update({f"{name}-{index}-{k}": _plain(v) for k, v in fields_.items()})
        else:
            flat[name] = _plain(value)
    return flat


def _plain(problems: Any) -> Any:
    if not isinstance(problems, list):
        return problems
    texts = [str(p) for p in problems]
    for name, words in PLAIN_NAMES.items():
        texts = [t.replace(name, words) for t in texts]
    return texts


def rows_to_show(form: dict[str, Any], group: str, most: int) -> int:
    """The rows a form fills in, plus one blank row to add another (at most `most`)."""
    used = [
        int(m.group(2))
        for key, value in form.items()
        if (m := ROW.match(key))
        and m.group(1) == group
        and m.group(3) not in ("fact", "manual")
        and value not in ("", None)
    ]
    return min(most, max(used, default=-1) + 2)


TIMEZONES = (
    "UTC",
    "Europe/London",
    "Europe/Dublin",
    "Europe/Lisbon",
    "Europe/Paris",
    "Europe/Berlin",
    "Europe/Madrid",
    "Europe/Rome",
    "Europe/Amsterdam",
    "Europe/Stockholm",
    "Europe/Warsaw",
    "Europe/Athens",
    "Europe/Istanbul",
    "Africa/Johannesburg",
    "Asia/Dubai",
    "Asia/Kolkata",
    "Asia/Singapore",
    "Asia/Tokyo",
    "Australia/Sydney",
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Los_Angeles",
    "America/Toronto",
    "America/Mexico_City",
    "America/Sao_Paulo",
)


def builder_summary(form: dict[str, Any]) -> str:
    """Step 3 folded: "4 points rules · 1 mission"."""
    rules = sum(
        1 for k, v in form.items() if k.endswith("-points") and k.startswith("rules-") and v
    )
    missions = sum(
        1 for k, v in form.items() if k.startswith("missions-") and k.endswith("-name") and v
    )
    words = [
        ngettext("%(num)s points rule", "%(num)s points rules", rules),
        ngettext("%(num)s mission", "%(num)s missions", missions),
    ]
    if form.get("ordered_missions") and missions:
        words.append(gettext("in order"))
    return " · ".join(words)


FORMAT_WORDS = {
    "leaderboard": _l("Leaderboard"),
    "race": _l("Race"),
    "threshold": _l("Threshold"),
    "team_battle": _l("Team battle"),
}


def winners_summary(form: dict[str, Any]) -> str:
    """Step 4 folded: "Leaderboard · top 3 win"."""
    fmt = str(form.get("format") or "leaderboard")
    words = [str(FORMAT_WORDS.get(fmt, fmt.replace("_", " ").capitalize()))]
    if fmt in ("leaderboard", "race") and str(form.get("top_n") or "").isdigit():
        top = int(form["top_n"])
        words.append(ngettext("the winner takes it", "top %(num)s win", top))
    if fmt in ("race", "threshold") and form.get("target"):
        words.append(gettext("target %(points)s points", points=form["target"]))
    if form.get("prize_name"):
        words.append(gettext("prize: %(name)s", name=form["prize_name"]))
    return " · ".join(words)
