"""The manager's live pages: the one-form challenge builder with a preview on past data, the
live participation panel, the proof approval queue, and the wall-screen links."""

from __future__ import annotations

from typing import Any

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext, ngettext
from marshmallow import ValidationError

from gameplay.channels.wall_moments import board_ids, note_leaders
from gameplay.channels.wall_screens import playlist_of
from gameplay.core.access import may_change_challenge
from gameplay.core.lifecycle import challenge_status
from gameplay.core.models import Mission, Proof
from gameplay.manage.challenges import (
    cancel_challenge,
    create_challenge,
    launch_challenge,
    managed_challenge,
    managed_challenges,
)
from gameplay.manage.design import holdout_view, power_plan
from gameplay.manage.participation import participation, proof_queue
from gameplay.manage.preview import preview_challenge
from gameplay.scoring.missions import review_proof
from kpi_engine.db import utcnow
from kpi_engine.errors import DomainError, Invalid
from kpi_engine.org.membership import teams_of
from kpi_engine.org.models import SalesRole
from web.builder_presets import TITLES, preset_form
from web.error_words import in_words
from web.extensions import db
from web.pages import bp
from web.pages.impact_charts import format_value
from web.permissions import actor, manager_required
from web.read_requests import writes_in_a_savepoint
from web.realtime import commit_and_publish
from web.rep_view import time_left
from web.schemas.builder import (
    MISSION_ROWS,
    RULE_ROWS,
    TIMEZONES,
    BuilderSchema,
    builder_summary,
    flat_errors,
    nest_rows,
    rows_to_show,
    spec_from,
    winners_summary,
)
from web.schemas.challenges import ReviewSchema
from web.schemas.forms import form_fields
from web.wall_links import create_wall_link, revoke_wall_links, wall_links

REFUSED_REVIEW = "manage.refused_review"


@bp.get("/manage")
@manager_required
def manage():
    now, user = utcnow(), actor()
    mine = managed_challenges(db.session(), user, now=now)
    rows = [(c, challenge_status(c, now), time_left(c, now)) for c in mine]
    return render_template("manage/index.html", rows=rows)


@bp.get("/manage/challenges/new")
@manager_required
def manage_builder():
    teams = teams_of(db.session(), actor())
    # The manager's own teams start ticked: a template saved unchanged is for their team.
    own = [t.id for t in teams if t.manager_id == actor().id] or [t.id for t in teams][:1]
    form = preset_form(request.args.get("template", "prospecting"), utcnow(), own)
    return _builder(form, {})


def _builder(form: dict[str, Any], errors: dict[str, Any], status: int = 200):
    rules, missions = (
        rows_to_show(form, "rules", RULE_ROWS),
        rows_to_show(form, "missions", MISSION_ROWS),
    )
    return (
        render_template(
            "manage/builder.html",
            form=form,
            errors=errors,
            presets=TITLES,
            teams=teams_of(db.session(), actor()),
            sales_roles=SalesRole.values(),
            timezones=TIMEZONES,
            rule_rows=range(rules),
            mission_rows=range(missions),
            score_summary=builder_summary(form),
            win_summary=winners_summary(form),
        ),
        status,
    )


@bp.post("/manage/challenges")
@manager_required
def manage_create():
    form = form_fields("team_ids", "sales_roles")
    try:
        spec = spec_from(BuilderSchema().load(nest_rows(form)))
        challenge = create_challenge(db.session(), spec, actor(), now=utcnow())
    except (ValidationError, Invalid) as exc:
        db.session.rollback()
        errors = in_words(exc.messages if isinstance(exc, ValidationError) else exc.fields)
        return _builder(form, flat_errors(errors) if isinstance(errors, dict) else {}, 422)
    db.session.commit()
    flash(gettext("Draft saved. Check the preview, then launch it."), "info")
    return redirect(url_for("pages.manage_challenge", challenge_id=challenge.id))


@bp.get("/manage/challenges/<int:challenge_id>")
@manager_required
@writes_in_a_savepoint  # a draft's page shows its preview
def manage_challenge(challenge_id: int):
    # A refused review comes back here after a redirect, its comment and errors kept.
    return _challenge_page(challenge_id, session.pop(REFUSED_REVIEW, None))


def _challenge_page(challenge_id: int, review: dict[str, Any] | None = None, code: int = 200):
    """The challenge's page; `review` holds a refused review (its proof, comment and errors)."""
    challenge = managed_challenge(db.session(), challenge_id, actor())
    now, tz = utcnow(), current_app.config["ORG_TIMEZONE"]
    status = challenge_status(challenge, now)
    draft = status == "draft"
    page = render_template(
        "manage/challenge.html",
        challenge=challenge,
        status=status,
        time_left=time_left(challenge, now),
        preview=preview_challenge(db.session(), challenge) if draft else None,
        power=power_plan(db.session(), challenge) if draft else None,
        holdout=None if draft else holdout_view(db.session(), challenge),
        fmt=format_value,
        panel=None if draft else participation(db.session(), challenge, now, tz),
        proofs=proof_queue(db.session(), challenge.id, actor()),
        links=wall_links(db.session(), challenge.id),
        review=review or {},
        may_change=may_change_challenge(db.session(), actor(), challenge),
    )
    return page, code


@bp.post("/manage/challenges/<int:challenge_id>/launch")
@manager_required
def manage_launch(challenge_id: int):
    try:
        _, changes = launch_challenge(db.session(), challenge_id, actor(), now=utcnow())
    except DomainError as exc:
        return _refused(challenge_id, exc)
    commit_and_publish(changes)
    flash(gettext("Launched: the audience is enrolled and notified."), "info")
    return redirect(url_for("pages.manage_challenge", challenge_id=challenge_id))


@bp.post("/manage/challenges/<int:challenge_id>/cancel")
@manager_required
def manage_cancel(challenge_id: int):
    try:
        _, changes = cancel_challenge(db.session(), challenge_id, actor(), now=utcnow())
    except DomainError as exc:
        return _refused(challenge_id, exc)
    commit_and_publish(changes)
    flash(gettext("Cancelled: nobody wins, and the points earned so far stay."), "info")
    return redirect(url_for("pages.manage_challenge", challenge_id=challenge_id))


def _refused(challenge_id: int, exc: DomainError):
    """A button the domain refused (already launched, already ended): say why on the page."""
    db.session.rollback()
    if exc.status in (403, 404):
        raise exc
    message = in_words(exc.message)
    flash(f"{message[:1].upper()}{message[1:]}.", "error")
    return redirect(url_for("pages.manage_challenge", challenge_id=challenge_id))


@bp.post("/manage/proofs/<int:proof_id>/review")
@manager_required
def manage_review(proof_id: int):
    form = form_fields()
    try:
        data = ReviewSchema().load(form)
        proof, changes = review_proof(
            db.session(),
            proof_id,
            actor(),
            approve=data["approve"],
            comment=(data["comment"] or "").strip() or None,
            now=utcnow(),
        )
    except (ValidationError, Invalid) as exc:
        return _review_refused(proof_id, form, exc)
    challenge_id = db.session.get_one(Mission, proof.mission_id).challenge_id
    commit_and_publish(changes)
    words = gettext("Proof approved") if proof.status == "approved" else gettext("Proof rejected")
    flash(gettext("%(done)s; the rep is notified.", done=words), "info")
    return redirect(url_for("pages.manage_challenge", challenge_id=challenge_id))


def _review_refused(proof_id: int, form: dict[str, Any], exc: ValidationError | Invalid):
    """Back to the challenge page (a redirect, so the page itself answers 200 and a reload
    sends nothing twice), the refusal beside the comment box and the comment kept."""
    db.session.rollback()
    proof = db.session.get(Proof, proof_id)
    if proof is None:
        raise exc
    errors = in_words(exc.messages if isinstance(exc, ValidationError) else exc.fields)
    session[REFUSED_REVIEW] = {
        "proof_id": proof_id,
        "comment": str(form.get("comment", ""))[:1000],
        "errors": errors if isinstance(errors, dict) else {"approve": errors},
    }
    challenge_id = db.session.get_one(Mission, proof.mission_id).challenge_id
    target = url_for("pages.manage_challenge", challenge_id=challenge_id)
    return redirect(f"{target}#proof-{proof_id}", 303)


@bp.post("/manage/challenges/<int:challenge_id>/wall-links")
@manager_required
def manage_wall_link(challenge_id: int):
    challenge = managed_challenge(db.session(), challenge_id, actor())
    token = create_wall_link(db.session(), challenge, actor())
    # The new TV cheers for leads taken from now on, not for whoever has led for days.
    note_leaders(db.session(), board_ids(playlist_of(db.session(), challenge.id)), now=utcnow())
    db.session.commit()
    link = url_for("pages.wall", token=token, _external=True)
    flash(gettext("Wall-screen link (shown once, open it on the TV): %(link)s", link=link), "info")
    return redirect(url_for("pages.manage_challenge", challenge_id=challenge_id))


@bp.post("/manage/challenges/<int:challenge_id>/wall-links/revoke")
@manager_required
def manage_revoke_wall_links(challenge_id: int):
    managed_challenge(db.session(), challenge_id, actor())
    count = revoke_wall_links(db.session(), challenge_id)
    db.session.commit()
    flash(
        ngettext("Revoked %(num)s wall-screen link.", "Revoked %(num)s wall-screen links.", count),
        "info",
    )
    return redirect(url_for("pages.manage_challenge", challenge_id=challenge_id))
