"""The wall screen's pages: the manager's playlist form (refusals beside their row, what was
chosen kept), the TV page and its slides, and the moments a wall gets after a commit only."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from gameplay.channels.wall_screens import WallScreen, playlist_of
from kpi_engine.db import utcnow
from kpi_engine.errors import Invalid
from kpi_engine.org.models import Team, User
from kpi_engine.sales.ingest import SalesEvent
from tests.conftest import log_in
from tests.live.conftest import Org
from web.extensions import db, socketio
from web.ingest import ingest


@pytest.fixture
def boss(client: FlaskClient, org: Org) -> FlaskClient:
    client.environ_base["HTTP_X_CSRFTOKEN"] = log_in(client, "boss@example.test")
    return client


def _team_id(app: Flask) -> int:
    with app.app_context():
        return db.session.scalars(select(Team.id).where(Team.name == "Hunters")).one()


def _link(app: Flask, org: Org) -> str:
    """A wall-screen link made as the manager makes one: with the button on the challenge."""
    manager = app.test_client()
    made = manager.post(
        f"/manage/challenges/{org.challenge_id}/wall-links",
        data={"csrf_token": log_in(manager, "boss@example.test")},
        follow_redirects=True,
    )
    link = re.search(r"http://localhost/wall/([\w-]+)", made.get_data(as_text=True))
    assert link is not None
    return link.group(1)


def _save(boss: FlaskClient, org: Org, fields: dict[str, Any]):
    form = {"csrf_token": boss.environ_base["HTTP_X_CSRFTOKEN"], **fields}
    return boss.post(f"/manage/challenges/{org.challenge_id}/wall", data=form)


def test_the_manager_sets_up_a_playlist_and_the_tv_shows_its_slides(
    app: Flask, boss: FlaskClient, org: Org
) -> None:
    page = boss.get(f"/manage/challenges/{org.challenge_id}/wall").get_data(as_text=True)
    assert "Slide 1" in page and 'value="20"' in page and "Recent wins" in page
    team_id = _team_id(app)
    saved = _save(boss, org, {
        "seconds": "12", "big_deal": "2500",
        "slides-0-kind": "board", "slides-0-challenge_id": str(org.challenge_id),
        "slides-1-kind": "kpi", "slides-1-kpi": "activities", "slides-1-team_id": str(team_id),
        "slides-1-period": "quarter",
        "slides-2-kind": "", "slides-2-challenge_id": str(org.challenge_id),
        "slides-3-kind": "wins",
    })  # fmt: skip
    assert saved.status_code == 303
    with app.app_context():
        playlist = playlist_of(db.session(), org.challenge_id)
        assert [s.kind for s in playlist.slides] == ["board", "kpi", "wins"]
        assert (playlist.seconds, playlist.big_deal) == (12, 2500)
    tv = boss.application.test_client().get(f"/wall/{_link(app, org)}").get_data(as_text=True)
    assert 'data-seconds="12"' in tv and tv.count('class="slide slide-') == 3
    assert "Call blitz" in tv and "Ann" in tv and "Activities" in tv and "Recent wins" in tv


@pytest.mark.parametrize(
    ("fields", "where", "words"),
    [
        ({"seconds": "2"}, "seconds", "Must be between 5 and 600."),
        ({"seconds": "soon"}, "seconds", "Use seconds."),
        ({"big_deal": "-5"}, "big_deal", "Must be between 0 and"),
        ({"slides-0-kind": "poster"}, "slides-0", "Choose what the slide shows."),
        ({"slides-0-kind": "board", "slides-0-challenge_id": "999999"}, "slides-0",
         "Choose a challenge you can see."),
        ({"slides-0-kind": "kpi", "slides-0-kpi": "win_rate"}, "slides-0",
         "Choose one of your teams (the whole organisation is for admins)."),
        ({"slides-0-kind": "board", "slides-0-challenge_id": "{blitz}",
          "slides-1-kind": "team_battle", "slides-1-challenge_id": "{blitz}"}, "slides-1",
         "Call blitz is not a team battle"),
        ({"slides-0-kind": ""}, "slides", "Add at least one slide."),
        ({"slides-0-kind": "wins", "slides-0-colour": "red"}, "slides-0", "Unknown field."),
        ({"slides-x-kind": "wins"}, "_form", "slides-x-kind: Unknown field."),
    ],
)  # fmt: skip
def test_a_bad_playlist_is_refused_beside_the_field_keeping_what_was_chosen(
    app: Flask, boss: FlaskClient, org: Org, fields: dict[str, str], where: str, words: str
) -> None:
    chosen = {k: v.format(blitz=org.challenge_id) for k, v in fields.items()}
    form = {"seconds": "20", "slides-0-kind": "wins", **chosen}
    answer = _save(boss, org, form)
    assert answer.status_code == 422
    html = answer.get_data(as_text=True)
    error = re.search(rf'<p class="errors" role="alert" id="{where}-error">([^<]*)</p>', html)
    assert error is not None and words in error.group(1), html[:3000]
    kept = form.get("slides-0-kind")
    if kept in ("wins", "kpi", "board"):
        assert f'<option value="{kept}" selected' in html
    with app.app_context():
        assert db.session.scalars(select(WallScreen)).all() == []


def test_another_managers_challenge_has_no_wall_page(app: Flask, org: Org) -> None:
    with app.app_context():
        s = db.session()
        other = User(name="Olga", email="olga@example.test", app_role="manager",
                     password_hash=s.get_one(User, org.ann).password_hash)  # fmt: skip
        s.add(other)
        s.commit()
    client = app.test_client()
    token = log_in(client, "olga@example.test")
    assert client.get(f"/manage/challenges/{org.challenge_id}/wall").status_code == 404
    form = {"csrf_token": token, "seconds": "20", "slides-0-kind": "wins"}
    assert client.post(f"/manage/challenges/{org.challenge_id}/wall", data=form).status_code == 404


def test_a_slide_is_served_fresh_and_a_bad_link_or_index_is_a_404(
    app: Flask, client: FlaskClient, org: Org
) -> None:
    token = _link(app, org)
    slide = client.get(f"/wall/{token}/slides/0")
    assert slide.status_code == 200 and 'data-slide="0"' in slide.get_data(as_text=True)
    assert client.get(f"/wall/{token}/slides/1").status_code == 404
    assert client.get(f"/wall/{token}/slides/99999999999").status_code == 404
    assert client.get("/wall/not-a-link/slides/0").status_code == 404


def _ann_leads(now_events: list[SalesEvent], *, whole: bool = False) -> None:
    ingest(now_events, source="api", whole=whole)


def test_a_wall_gets_the_moment_after_the_commit_and_none_for_a_rollback(
    app: Flask, org: Org
) -> None:
    token = _link(app, org)
    wall = socketio.test_client(app, auth={"wall": token})
    wall.get_received()
    now = utcnow()
    call = {"kind": "call"}
    with app.test_request_context(), pytest.raises(Invalid):
        _ann_leads(
            [SalesEvent("r-1", "activity.logged", now, "ann@example.test", call),
             SalesEvent("r-2", "activity.logged", now, "nobody@example.test", call)],
            whole=True,
        )  # fmt: skip
    assert [m for m in wall.get_received() if m["name"] == "moment"] == []
    with app.test_request_context():
        _ann_leads([SalesEvent("c-1", "activity.logged", now, "ann@example.test", call)])
    moments = [m["args"][0] for m in wall.get_received() if m["name"] == "moment"]
    assert moments == [
        {"kind": "lead", "title": "Ann takes the lead", "line": "Call blitz · 10 points",
         "values": {"name": "Ann", "challenge": "Call blitz", "points": 10}}
    ]  # fmt: skip


def test_a_wall_speaks_the_language_of_the_manager_whose_link_opened_it(
    app: Flask, org: Org
) -> None:
    token = _link(app, org)
    with app.app_context():
        boss = db.session.scalars(select(User).where(User.email == "boss@example.test")).one()
        boss.locale = "fr"
        db.session.commit()
    tv = app.test_client().get(f"/wall/{token}", headers={"Accept-Language": "en"})
    html = tv.get_data(as_text=True)
    assert '<html lang="fr">' in html and "Classement" in html and "Leaderboard" not in html
    assert "{name} prend la t" in html  # the moments' words, for js/wall.js
    slide = app.test_client().get(f"/wall/{token}/slides/0").get_data(as_text=True)
    assert "Commercial" in slide and "Points" in slide and "Rep" not in slide


def test_a_refused_slide_is_said_in_the_managers_language(boss: FlaskClient, org: Org) -> None:
    boss.environ_base["HTTP_ACCEPT_LANGUAGE"] = "fr"
    form = {"seconds": "20", "slides-0-kind": "board", "slides-0-challenge_id": org.challenge_id,
            "slides-1-kind": "team_battle", "slides-1-challenge_id": org.challenge_id}  # fmt: skip
    answer = _save(boss, org, form)
    assert answer.status_code == 422
    html = answer.get_data(as_text=True)
    error = re.search(r'<p class="errors" role="alert" id="slides-1-error">([^<]*)</p>', html)
    assert error is not None
    assert "Call blitz n&#39;est pas une bataille d&#39;équipes" in error.group(1), error.group(1)
