"""The manager's team-channel page: connect a team's Slack or Teams channel by its
incoming-webhook URL, choose which news it gets, send a test message, disconnect.

A refused form comes back by a redirect with what was typed and why, beside the field. The
webhook URL itself is never kept in the session nor shown back: it is a secret."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, url_for
from flask_babel import gettext
from marshmallow import ValidationError

from gameplay.channels.messages import BODIES, Headline
from gameplay.channels.outbox import delivered_counts, last_errors
from gameplay.channels.team_channels import (
    CHANNEL_NAMES,
    NEWS_KINDS,
    NEWS_NAMES,
    change_channel_news,
    connect_channel,
    disconnect_channel,
    managed_channel,
    team_channels,
)
from kpi_engine.db import utcnow
from kpi_engine.org.models import Team
from web.channel_sender import open_url, post_now, seal
from web.extensions import db
from web.form_refusals import keep_refusal, take_refusal
from web.i18n import in_locale, org_locale
from web.pages import bp
from web.permissions import actor, manager_required
from web.schemas.channels import ChannelFormSchema, ChannelNewsSchema
from web.schemas.forms import form_fields, inline_errors

FIELDS = ("team_id", "kind", "url")


@bp.get("/manage/channels")
@manager_required
def manage_channels():
    teams = team_channels(db.session(), actor())
    ids = [c.id for _, cs in teams for c in cs]
    counts, problems = delivered_counts(db.session(), ids), last_errors(db.session(), ids)
    return render_template(
        "manage/channels.html",
        teams=teams,
        counts=counts,
        problems=problems,
        kinds=CHANNEL_NAMES,
        news_kinds=NEWS_KINDS,
        news_names=NEWS_NAMES,
        refused=take_refusal("channel"),
    )


@bp.post("/manage/channels")
@manager_required
def manage_connect_channel():
    typed = form_fields()
    schema = ChannelFormSchema(allow_local_http=bool(current_app.config.get("TESTING")))
    try:
        data = schema.load(typed)
    except ValidationError as exc:
        kept = {k: v for k, v in typed.items() if k in FIELDS and k != "url"}  # url: a secret
        keep_refusal("channel", 0, _errors(exc), kept)
        return redirect(url_for("pages.manage_channels", _anchor="connect"), 303)
    # A team the manager does not manage is a 403 for the error pages, not a form refusal.
    channel = connect_channel(db.session(), actor(), seal=seal, now=utcnow(), **data)
    db.session.commit()
    team = db.session.get_one(Team, channel.team_id)
    name = CHANNEL_NAMES[channel.kind]
    flash(gettext("%(channel)s connected for %(team)s. Send a test message.", channel=name,
                  team=team.name), "info")  # fmt: skip
    return redirect(url_for("pages.manage_channels", _anchor=f"channel-{channel.id}"), 303)


def _errors(exc: ValidationError) -> dict[str, str]:
    errors = inline_errors(exc, FIELDS)
    unknown = sorted(set(exc.messages) - set(FIELDS))
    if unknown:
        errors["_form"] = f"The form sent fields it does not take: {', '.join(unknown)}."
    return errors


@bp.post("/manage/channels/<int:channel_id>/news")
@manager_required
def manage_channel_news(channel_id: int):
    try:
        wanted = ChannelNewsSchema().load(form_fields("news"))["news"]
    except ValidationError as exc:
        keep_refusal("channel", channel_id, inline_errors(exc, ("news",)), {})
        return redirect(url_for("pages.manage_channels", _anchor=f"channel-{channel_id}"), 303)
    channel = change_channel_news(db.session(), actor(), channel_id, set(wanted))
    db.session.commit()
    flash(gettext("Saved what %(channel)s gets.", channel=CHANNEL_NAMES[channel.kind]), "info")
    return redirect(url_for("pages.manage_channels", _anchor=f"channel-{channel_id}"), 303)


@bp.post("/manage/channels/<int:channel_id>/test")
@manager_required
def manage_test_channel(channel_id: int):
    # Sent now, not through the outbox: the manager who clicked wants to see the answer.
    channel = managed_channel(db.session(), actor(), channel_id)
    team = db.session.get_one(Team, channel.team_id)
    name, url = CHANNEL_NAMES[channel.kind], open_url(channel)
    db.session.rollback()  # nothing to write; no transaction stays open during the POST
    if url is None:
        flash(gettext("The %(channel)s webhook can no longer be read: connect the channel again.",
                      channel=name), "error")  # fmt: skip
    else:
        with in_locale(org_locale()):
            lines = (gettext("The news you chose on the Team channels page will show up here."),)
            title = gettext("SalesQuest test message for %(team)s", team=team.name)
            body = BODIES[channel.kind](Headline("👋", title, lines))
        error = post_now(url, body).error
        if error is None:
            flash(gettext("Test message sent: look in %(team)s's %(channel)s channel.",
                          team=team.name, channel=name), "info")  # fmt: skip
        else:
            flash(gettext("%(channel)s did not take the test message: it %(error)s.",
                          channel=name, error=error), "error")  # fmt: skip
    return redirect(url_for("pages.manage_channels", _anchor=f"channel-{channel_id}"), 303)


@bp.post("/manage/channels/<int:channel_id>/disconnect")
@manager_required
def manage_disconnect_channel(channel_id: int):
    channel = disconnect_channel(db.session(), actor(), channel_id)
    db.session.commit()
    name = CHANNEL_NAMES[channel.kind]
    flash(gettext("%(channel)s disconnected; nothing more is posted there.", channel=name), "info")
    return redirect(url_for("pages.manage_channels"), 303)
