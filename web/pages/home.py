"""The first page after login, one per app role."""

from __future__ import annotations

from flask import current_app, render_template

from kpi_engine.db import utcnow
from kpi_engine.org.membership import teams_of
from kpi_engine.periods import quarter_of
from kpi_engine.sales.summaries import recent_activities, recent_deals, rep_results
from web.extensions import db
from web.pages import bp
from web.permissions import actor, login_required


@bp.get("/")
@login_required
def home():
    user = actor()
    if user.app_role == "rep":
        return render_template(
            "home_rep.html",
            deals=recent_deals(db.session(), user.id),
            activities=recent_activities(db.session(), user.id),
        )
    quarter = quarter_of(utcnow(), current_app.config["ORG_TIMEZONE"])
    teams = teams_of(db.session(), user)
    results = rep_results(db.session(), {t.id for t in teams}, quarter)
    by_team = {t.id: [r for r in results if r.user.team_id == t.id] for t in teams}
    return render_template("home_manager.html", teams=teams, by_team=by_team, quarter=quarter)
