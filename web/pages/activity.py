"""Logging an activity from the phone: pick the kind, tap the outcome, done."""

from __future__ import annotations

import uuid

from flask import flash, redirect, render_template, url_for
from flask_babel import get_translations, gettext

from gameplay.scoring.earnings import earned_by_event
from kpi_engine.db import utcnow
from kpi_engine.sales.ingest import SalesEvent
from kpi_engine.sales.models import ActivityKind, ActivityOutcome
from kpi_engine.sales.summaries import recent_activities, recent_deals
from web.error_words import in_words
from web.extensions import db
from web.formats import number, translated
from web.ingest import ingest
from web.labels import ACTIVITY_KINDS, ACTIVITY_OUTCOMES
from web.pages import bp
from web.permissions import actor, login_required
from web.schemas.forms import drop_blank, form_fields
from web.schemas.imports import ActivityFormSchema


@bp.get("/activities/new")
@login_required
def log_activity():
    user = actor()
    open_deals = [d for d in recent_deals(db.session(), user.id, limit=50) if d.status == "open"]
    return render_template(
        "log_activity.html",
        key=uuid.uuid4().hex,  # one key per form shown: a double tap is stored once
        kinds=ActivityKind.values(),
        outcomes=ActivityOutcome.values(),
        open_deals=open_deals,
        activities=recent_activities(db.session(), user.id),
    )


@bp.post("/activities")
@login_required
def record_activity():
    form = ActivityFormSchema().load(drop_blank(form_fields()))
    user = actor()
    data = {k: form[k] for k in ("kind", "outcome", "deal_id", "note") if form[k] is not None}
    event = SalesEvent(
        f"app:{user.id}:{form['key']}", "activity.logged", utcnow(), user.email, data
    )
    result = ingest([event], source="app")
    if result.rejected:
        flash(_sentence(result.rejected[0].errors), "error")
    else:
        kind = ACTIVITY_KINDS.get(form["kind"], form["kind"])
        outcome = ACTIVITY_OUTCOMES.get(form["outcome"], form["outcome"].replace("_", " "))
        logged = gettext(
            "%(kind)s logged: %(outcome)s.", kind=str(kind).capitalize(), outcome=outcome
        )
        flash(f"{logged} {_earned(event.id, user.id)}", "ok")
    return redirect(url_for("pages.log_activity"))


def _earned(key: str, user_id: int) -> str:
    earnings = earned_by_event(db.session(), key, user_id)
    if not earnings:
        return gettext("No live challenge gives points for it.")
    ngettext = get_translations().ungettext  # unfilled: the values are filled below
    return " ".join(
        ngettext(
            "+%(points)s point in %(challenge)s.", "+%(points)s points in %(challenge)s.", e.points
        ) % {"points": number(e.points), "challenge": translated(e.challenge_name)}
        for e in earnings
    )  # fmt: skip


def _sentence(errors: dict[str, list[str]]) -> str:
    problems = "; ".join(str(in_words(m)) for messages in errors.values() for m in messages)
    return gettext("Not logged: %(problems)s", problems=problems)
