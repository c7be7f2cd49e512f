"""Impact pages: a manager's view of one challenge, and leadership's side-by-side comparison
of ended challenges (with its CSV export)."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from flask import Response, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from marshmallow import ValidationError

from gameplay.core.models import ChallengeKind
from gameplay.impact.past_campaigns import record_past_campaign
from gameplay.impact.pooled import pool_by_kind
from gameplay.impact.report import (
    ChallengeImpact,
    challenge_impact,
    compare_challenges,
    ended_challenges,
)
from kpi_engine.db import utcnow
from kpi_engine.errors import Invalid
from kpi_engine.impact.estimates import kpi_choices
from kpi_engine.kpis.registry import REGISTRY
from kpi_engine.org.membership import teams_of
from kpi_engine.periods import parse_period
from web.csv_export import csv_response, kpi_number, unit_label
from web.error_words import in_words
from web.extensions import db
from web.formats import percent, translated, written
from web.labels import CHALLENGE_KINDS, IMPACT_VERDICTS
from web.pages import bp
from web.pages.charts import mission_completion
from web.pages.impact_charts import (
    before_during_chart,
    forest_plot,
    format_value,
    scatter_chart,
)
from web.permissions import actor, manager_required
from web.realtime import commit_and_publish
from web.schemas.impact import (
    MAX_COMPARED,
    MAX_KPIS,
    ImpactQuerySchema,
    LeadershipQuerySchema,
    PastCampaignFormSchema,
)


@bp.get("/impact/past-campaigns/new")
@manager_required
def new_past_campaign() -> str:
    return _past_campaign_form({}, {})


def _past_campaign_form(typed: dict[str, Any], errors: dict[str, Any]) -> str:
    """The form, with what was typed and each problem beside its field."""
    teams = teams_of(db.session(), actor())
    members = {t.id: [m for m in t.members if m.app_role == "rep"] for t in teams}
    return render_template(
        "impact/past_campaign.html",
        teams=teams,
        members=members,
        kinds=ChallengeKind.values(),
        typed=typed,
        errors=errors,
    )


@bp.post("/impact/past-campaigns")
@manager_required
def record_past_campaign_page() -> Any:
    fields = {k: v for k, v in request.form.items() if k != "csrf_token" and v != ""}
    typed = fields | {"participant_ids": request.form.getlist("participant_ids")}
    try:
        form = PastCampaignFormSchema().load(typed)
        challenge, changes = record_past_campaign(
            db.session(),
            _spec_from_form(form),
            form["participant_ids"],
            actor(),
            now=utcnow(),
            award_points=form["points_per_won_deal"] is not None,
        )
    except (ValidationError, Invalid) as exc:
        db.session.rollback()
        errors = exc.messages if isinstance(exc, ValidationError) else exc.fields
        return _past_campaign_form(typed, _flat(in_words(errors))), 422
    commit_and_publish(changes)
    flash(_("Campaign recorded. Its impact is below."), "info")
    return redirect(url_for("pages.challenge_impact_page", challenge_id=challenge.id))


def _flat(errors: Any) -> dict[str, str]:
    """Each field's problems as one sentence (a nested error joins its parts)."""

    def words(value: Any) -> str:
        if isinstance(value, dict):
            return "; ".join(words(v) for v in value.values())
        return "; ".join(str(v) for v in value) if isinstance(value, list) else str(value)

    return {str(k): words(v) for k, v in (errors or {}).items()} if isinstance(errors, dict) else {}


def _spec_from_form(form: dict[str, Any]) -> dict[str, Any]:
    """Whole days in the organisation's time zone, the last one included."""
    points = form["points_per_won_deal"]
    return {
        "name": form["name"],
        "kind": form["kind"],
        "starts_at": datetime.combine(form["starts_on"], time()),
        "ends_at": datetime.combine(form["ends_on"] + timedelta(days=1), time()),
        "timezone": current_app.config["ORG_TIMEZONE"],
        "audience": {"team_ids": [form["team_id"]]},
        "rules": [{"fact": "deal_won", "points": points}] if points else [],
    }


@bp.get("/impact/challenges/<int:challenge_id>")
@manager_required
def challenge_impact_page(challenge_id: int) -> str:
    kpis = _query(ImpactQuerySchema())["kpis"]
    report = challenge_impact(db.session(), challenge_id, actor(), now=utcnow(), kpis=kpis)
    scatters = {
        link.kpi: scatter_chart(
            [(p.missions_completed, p.change) for p in link.points],
            written(report.impact.kpis[link.kpi].name),
            report.impact.kpis[link.kpi].unit,
        )
        for link in report.impact.intensity
    }
    steps = [(translated(step.mission) or "", step.completed) for step in report.funnel]
    return render_template(
        "impact/challenge.html",
        r=report,
        fmt=format_value,
        before_during=before_during_chart,
        scatters=scatters,
        # Bars of nothing say less than a sentence: no chart until someone completed a mission.
        completion=mission_completion(steps, report.participants)
        if any(done for _, done in steps)
        else None,
        missions_untouched=bool(steps) and not any(done for _, done in steps),
        choices=kpi_choices(),
        max_kpis=MAX_KPIS,
    )


def _query(schema: ImpactQuerySchema) -> dict[str, Any]:
    """The query string through its schema. A form's empty field (kind "all", no period) is no
    filter; the picker's checkboxes send kpis=a&kpis=b, and a link may send the API's kpis=a,b."""
    args: dict[str, Any] = {k: v for k, v in request.args.to_dict().items() if v != ""}
    if asked := ",".join(request.args.getlist("kpis")):
        args["kpis"] = asked
    return schema.load(args)


def _compared() -> tuple[dict[str, Any], list[ChallengeImpact]]:
    """The leadership filters and KPIs from the query string, and the ended challenges they
    select, measured on those KPIs."""
    filters = _query(LeadershipQuerySchema())
    tz = current_app.config["ORG_TIMEZONE"]
    period = parse_period(filters["period"], tz) if filters["period"] else None
    session, now, user = db.session(), utcnow(), actor()
    found = ended_challenges(session, user, now=now, kind=filters["kind"], period=period)
    ids = [c.id for c in found[:MAX_COMPARED]]
    return filters, compare_challenges(session, ids, user, now=now, kpis=filters["kpis"])


@bp.get("/impact")
@manager_required
def leadership_impact() -> str:
    filters, reports = _compared()
    pools = pool_by_kind(reports, filters["kpis"])
    names = _kpi_names()
    forests = {
        key: forest_plot(
            [(translated(r.challenge.name) or "", r.impact.kpis[key].interval) for r in reports]
            + [(_("Pooled: %(kind)s", kind=_kind(p.kind)), p.effects[key].estimate) for p in pools],
            names.get(key, key),
            reports[0].impact.kpis[key].unit,
        )
        for key in (filters["kpis"] if reports else [])
    }
    return render_template(
        "impact/leadership.html",
        reports=reports,
        pools=pools,
        forests=forests,
        filters=filters,
        kinds=ChallengeKind.values(),
        fmt=format_value,
        limit=MAX_COMPARED,
        choices=kpi_choices(),
        max_kpis=MAX_KPIS,
    )


@bp.get("/impact.csv")
@manager_required
def leadership_impact_csv() -> Response:
    filters, reports = _compared()
    keys = filters["kpis"]
    return csv_response(_csv_header(keys, reports), [_csv_row(r, keys) for r in reports],
                        "challenge-impact")  # fmt: skip


def _kpi_names() -> dict[str, str]:
    """Every KPI's name as the impact pages show it, by key, in the reader's language."""
    return {k: written(name) for k, name in ({k: d.name for k, d in REGISTRY.items()}
                                               | kpi_choices()).items()}  # fmt: skip


def _kind(kind: str) -> str:
    return str(CHALLENGE_KINDS.get(kind, kind))


def _csv_header(keys: list[str], reports: list[ChallengeImpact]) -> list[str]:
    """Columns named for people: the KPI's name, what the number is, and its unit."""
    names = _kpi_names()
    units = {k: v.unit for r in reports for k, v in r.impact.kpis.items()}
    level = percent(0.95, 0)
    header = [_("Challenge"), _("Kind"), _("Ended"), _("Audience (reps)"), _("Took part (reps)")]
    for key in keys:
        name, unit = names.get(key, key), units.get(key, "")
        label = _(" (%(unit)s)", unit=unit_label(unit, points=True)) if unit else ""
        header += [_("%(kpi)s: effect", kpi=name) + label,
                   _("%(kpi)s: %(level)s interval low", kpi=name, level=level) + label,
                   _("%(kpi)s: %(level)s interval high", kpi=name, level=level) + label,
                   _("%(kpi)s: naive difference", kpi=name) + label,
                   _("%(kpi)s: verdict", kpi=name)]  # fmt: skip
    money = [_("Incremental revenue"), _("Incremental revenue: %(level)s low", level=level),
             _("Incremental revenue: %(level)s high", level=level), _("Reward cost"),
             _("Return on cost (×)")]  # fmt: skip
    return [*header, *money]


def _csv_row(r: ChallengeImpact, keys: list[str]) -> list[Any]:
    """Numbers as numbers (percent KPIs' effects in percentage points), words for codes."""
    c = r.challenge
    row: list[Any] = [translated(c.name), _kind(c.kind), c.ends_at.date().isoformat(),
                      r.audience_size, r.participants]  # fmt: skip
    for key in keys:
        k = r.impact.kpis[key]
        row += [kpi_number(v, k.unit) for v in (k.estimate, k.ci_low, k.ci_high,
                                                k.naive_difference)]  # fmt: skip
        row.append(str(IMPACT_VERDICTS.get(k.verdict, k.verdict)))
    rev, roc = r.impact.incremental_revenue, r.return_on_cost
    row += [kpi_number(v, "currency") for v in (rev.estimate, rev.low, rev.high)]
    return [*row, kpi_number(float(r.reward_cost), "currency"),
            kpi_number(roc.estimate, "ratio") if roc else None]  # fmt: skip
