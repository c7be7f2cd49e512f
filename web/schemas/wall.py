"""The wall-screen playlist form (every accepted field is listed here): how long each slide
stays, how big a won deal interrupts, and the slides as rows `slides-N-kind`, `-challenge_id`,
`-kpi`, `-team_id`, `-period`."""

from __future__ import annotations

import re
from typing import Any

from marshmallow import Schema, fields, validate

from gameplay.channels.wall_screens import KpiPeriod, Slide, SlideKind
from kpi_engine.kpis.registry import REGISTRY
from web.schemas.fields import Amount, BoundedInt, Id

ROW = re.compile(r"^slides-(\d+)-(\w+)$")
SECONDS = (5, 600)


class SlideRowSchema(Schema):
    kind = fields.String(
        required=True,
        validate=validate.OneOf(SlideKind.values(), error="Choose what the slide shows."),
    )
    challenge_id = Id(load_default=None, error_messages={"invalid": "Choose a challenge."})
    kpi = fields.String(
        load_default=None, validate=validate.OneOf(list(REGISTRY), error="Choose a KPI.")
    )
    team_id = Id(load_default=None, error_messages={"invalid": "Choose a team."})
    period = fields.String(
        load_default=None,
        validate=validate.OneOf(KpiPeriod.values(), error="Choose this month or this quarter."),
    )


class WallFormSchema(Schema):
    seconds = BoundedInt(
        *SECONDS,
        required=True,
        error_messages={"required": "Say how long each slide stays.", "invalid": "Use seconds."},
    )
    big_deal = Amount(load_default=None, allow_none=True)
    slides = fields.List(fields.Nested(SlideRowSchema), load_default=list)


def nest_slides(form: dict[str, Any]) -> tuple[dict[str, Any], list[int]]:
    """The form as the schema reads it (rows without a kind left out), and the form row each
    slide came from, so an error about slide N lands beside the right row."""
    flat = {k: v for k, v in form.items() if not ROW.match(k) and v not in ("", None)}
    rows: dict[int, dict[str, Any]] = {}
    for key, value in form.items():
        if (match := ROW.match(key)) and value not in ("", None):
            rows.setdefault(int(match.group(1)), {})[match.group(2)] = value
    used = [index for index in sorted(rows) if rows[index].get("kind")]
    flat["slides"] = [rows[index] for index in used]
    return flat, used


def slide_of(row: dict[str, Any]) -> Slide:
    """A slide keeping only what its kind uses (a board has no KPI, a KPI no challenge)."""
    kind = row["kind"]
    if kind in (SlideKind.BOARD, SlideKind.TEAM_BATTLE):
        return Slide(kind, challenge_id=row["challenge_id"])
    if kind == SlideKind.KPI:
        return Slide(kind, kpi=row["kpi"], team_id=row["team_id"], period=row["period"] or "month")
    return Slide(kind, team_id=row["team_id"])


def row_errors(messages: dict[str, Any], used: list[int]) -> dict[str, str]:
    """Schema or domain problems by the form's own names (`slides-3`, `seconds`)."""
    errors: dict[str, str] = {}
    for name, problem in messages.items():
        if name == "slides" and isinstance(problem, dict):
            for index, fields_ in problem.items():
                errors[f"slides-{used[int(index)]}"] = _words(fields_)
        elif name.startswith("slides."):
            errors[f"slides-{used[int(name.split('.')[1])]}"] = _words(problem)
        elif name in WallFormSchema().fields:
            errors[name] = _words(problem)
        else:  # a field no box on the page sends: say so above the form
            errors["_form"] = f"{errors.get('_form', '')} {name}: {_words(problem)}".strip()
    return errors


def _words(problem: Any) -> str:
    if isinstance(problem, dict):
        return " ".join(_words(v) for v in problem.values())
    if isinstance(problem, list):
        return " ".join(_sentence(str(p)) for p in problem)
    return _sentence(str(problem))


def _sentence(text: str) -> str:
    text = text[:1].upper() + text[1:]
    return text if text.endswith(".") else text + "."
