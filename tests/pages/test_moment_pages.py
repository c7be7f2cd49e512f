"""Moments the server draws: the gap to the next rank, and the winner screen of a challenge
that ended while the rep was away."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient

from gameplay.core.models import Challenge, PlayerProfile, Reward
from gameplay.manage.finalization import finalize_due
from kpi_engine.db import utcnow
from kpi_engine.sales.ingest import SalesEvent
from tests.conftest import log_in
from tests.live.conftest import Org
from web.extensions import db
from web.ingest import ingest


def _calls(app: Flask, *reps: str) -> None:
    now = utcnow()
    events = [
        SalesEvent(f"c-{n}", "activity.logged", now, f"{rep}@example.test", {"kind": "call"})
        for n, rep in enumerate(reps)
    ]
    with app.test_request_context():
        ingest(events, source="api")


def _page(client: FlaskClient, path: str) -> str:
    answer = client.get(path)
    assert answer.status_code == 200
    return answer.get_data(as_text=True)


def test_the_board_says_how_many_points_pass_the_next_rep_or_lead_the_second(
    app: Flask, client: FlaskClient, org: Org
) -> None:
    _calls(app, "ann", "bob", "bob")  # Ann 10, Bob 20
    log_in(client, "ann@example.test")
    html = _page(client, f"/play/challenges/{org.challenge_id}")
    assert "<strong>11 pts</strong> to pass Bob" in html
    other = app.test_client()
    log_in(other, "bob@example.test")
    html = _page(other, f"/play/challenges/{org.challenge_id}")
    assert "You lead by <strong>10 pts</strong>" in html


def test_a_challenge_that_ended_shows_its_winner_screen_on_the_next_visit(
    app: Flask, client: FlaskClient, org: Org
) -> None:
    _calls(app, "ann", "bob", "bob")
    log_in(client, "ann@example.test")
    assert "data-finale=" not in _page(client, "/play")  # still live: no winner screen
    with app.app_context():
        challenge = db.session.get(Challenge, org.challenge_id)
        assert challenge is not None
        challenge.ends_at = utcnow() - timedelta(minutes=1)
        finalize_due(db.session(), now=utcnow())
        db.session.commit()
    html = _page(client, "/play")
    assert f'data-finale="{org.challenge_id}" data-won="false"' in html
    assert "You finished #2 with 10 points." in html
    assert '<span class="name">Bob</span>' in html and "20 pts" in html
    other = app.test_client()
    log_in(other, "bob@example.test")
    html = _page(other, "/play/finales")
    assert 'data-won="true"' in html and "You won with 20 points!" in html


def test_a_challenge_that_ended_long_ago_shows_no_winner_screen_when_finalised_today(
    app: Flask, client: FlaskClient, org: Org
) -> None:
    # A past campaign recorded today (or a finalisation that catches up) is history, not news.
    _calls(app, "ann")
    with app.app_context():
        challenge = db.session.get(Challenge, org.challenge_id)
        assert challenge is not None
        challenge.starts_at = utcnow() - timedelta(days=40)
        challenge.ends_at = utcnow() - timedelta(days=30)
        finalize_due(db.session(), now=utcnow())
        db.session.commit()
    log_in(client, "ann@example.test")
    assert "data-finale=" not in _page(client, "/play")


def test_an_ended_board_is_its_final_standings_with_the_prizes_off_it(
    app: Flask, client: FlaskClient, org: Org
) -> None:
    """The winner screen and the board agree once it is over: a prize's bonus points go to the
    winner's total, not onto the board; the board reads as final, with no gap left to close."""
    _calls(app, "ann", "bob", "bob")
    with app.app_context():
        challenge = db.session.get_one(Challenge, org.challenge_id)
        challenge.rewards.append(Reward(name="Winner's bonus", bonus_points=100))
        challenge.ends_at = utcnow() - timedelta(minutes=1)
        finalize_due(db.session(), now=utcnow())
        db.session.commit()
        assert db.session.get_one(PlayerProfile, org.bob).lifetime_points == 120
    log_in(client, "ann@example.test")
    html = _page(client, f"/play/challenges/{org.challenge_id}")
    board = html[html.index('id="board-title"') :]
    assert "Final standings" in board and "Leaderboard" not in board
    assert "data-live-state" not in html and "data-gap" not in html
    assert '<span class="name">Bob</span><span class="pts">20</span>' in board
    assert "You finished #2 with 10 points." in html
