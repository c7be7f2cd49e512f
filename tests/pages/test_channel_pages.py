"""The manager's team-channel page through its forms: connect, refuse, test, choose, disconnect,
and who may touch which team's channel."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from gameplay.channels.team_channels import TeamChannel
from kpi_engine.db import utcnow
from kpi_engine.org.models import Team
from kpi_engine.sales.ingest import SalesEvent
from tests.conftest import log_in
from tests.live.conftest import Org
from tests.webhook_receiver import Receiver, receiver_fixture  # noqa: F401 (a fixture)
from web.channel_sender import send_due
from web.extensions import db
from web.ingest import ingest

SLACK_URL = "https://hooks.slack.com/services/T0/B0/secretWXYZ"


def _team_id(app: Flask, name: str | None = "Hunters") -> int:
    with app.app_context():
        query = select(Team.id).where(Team.name == name if name else Team.name != "Hunters")
        return db.session.scalars(query).first() or 0


def _channels(app: Flask) -> list[tuple[int, str, bool, bool]]:
    with app.app_context():
        rows = db.session.scalars(select(TeamChannel).order_by(TeamChannel.id))
        return [(c.team_id, c.kind, c.wins, c.missions) for c in rows]


def _connect(client: FlaskClient, token: str, team_id: int, url: str = SLACK_URL, **extra: str):
    form = {"csrf_token": token, "team_id": str(team_id), "kind": "slack", "url": url, **extra}
    return client.post("/manage/channels", data=form)


def test_a_manager_connects_a_channel_and_sees_only_its_host_and_last_four(
    app: Flask, client: FlaskClient, org: Org
) -> None:
    token = log_in(client, "boss@example.test")
    answer = _connect(client, token, _team_id(app))
    assert answer.status_code == 303
    assert _channels(app) == [(_team_id(app), "slack", True, True)]
    page = client.get("/manage/channels").get_data(as_text=True)
    assert "Slack connected for Hunters" in page
    assert "hooks.slack.com …WXYZ" in page
    assert "secretWXYZ" not in page
    with app.app_context():
        assert SLACK_URL not in db.session.scalars(select(TeamChannel.webhook_sealed)).one()


def test_a_url_that_is_not_https_is_refused_beside_the_field_and_the_choices_are_kept(
    app: Flask, client: FlaskClient, org: Org
) -> None:
    token = log_in(client, "boss@example.test")
    form = {"csrf_token": token, "team_id": str(_team_id(app)), "kind": "teams"}
    answer = client.post("/manage/channels", data={**form, "url": "http://hooks.example.com/x"})
    assert answer.status_code == 303 and answer.location.endswith("#connect")
    page = client.get("/manage/channels").get_data(as_text=True)
    assert 'id="channel-url-error"' in page and "starts with https://" in page
    assert 'value="teams" checked' in page  # the kind chosen is kept
    assert "hooks.example.com" not in page  # the URL (a secret) is not
    assert _channels(app) == []


def test_a_missing_url_and_an_unknown_field_are_named(
    app: Flask, client: FlaskClient, org: Org
) -> None:
    token = log_in(client, "boss@example.test")
    client.post(
        "/manage/channels",
        data={"csrf_token": token, "team_id": str(_team_id(app)), "kind": "slack", "colour": "x"},
    )
    page = client.get("/manage/channels").get_data(as_text=True)
    assert "Paste the channel&#39;s incoming-webhook URL." in page
    assert "fields it does not take: colour" in page


def test_a_manager_cannot_connect_or_remove_another_teams_channel(
    app: Flask, client: FlaskClient, org: Org
) -> None:
    token = log_in(client, "boss@example.test")
    other = _team_id(app, None)
    assert _connect(client, token, other).status_code == 403
    assert _channels(app) == []
    with app.app_context():
        channel = TeamChannel(team_id=other, kind="slack", webhook_sealed="x", webhook_hint="h")
        db.session.add(channel)
        db.session.commit()
        channel_id = channel.id
    for action in ("test", "disconnect", "news"):
        answer = client.post(f"/manage/channels/{channel_id}/{action}", data={"csrf_token": token})
        assert answer.status_code == 403, action
    assert len(_channels(app)) == 1
    assert f"channel-{channel_id}" not in client.get("/manage/channels").get_data(as_text=True)


def test_the_test_button_posts_to_the_channel_and_says_it_went(
    app: Flask, client: FlaskClient, org: Org, receiver: Receiver
) -> None:
    token = log_in(client, "boss@example.test")
    _connect(client, token, _team_id(app), url=f"{receiver.url}/hook")
    (channel_id,) = [c.id for c in _all(app)]
    client.post(f"/manage/channels/{channel_id}/test", data={"csrf_token": token})
    assert receiver.paths() == ["/hook"]
    assert receiver.posts[0][1]["text"] == "👋 SalesQuest test message for Hunters"
    page = client.get("/manage/channels").get_data(as_text=True)
    assert "Test message sent: look in Hunters" in page


def test_a_refused_test_message_says_what_the_service_answered(
    app: Flask, client: FlaskClient, org: Org, receiver: Receiver
) -> None:
    receiver.fail_first = {"/hook": 1}
    token = log_in(client, "boss@example.test")
    _connect(client, token, _team_id(app), url=f"{receiver.url}/hook")
    (channel_id,) = [c.id for c in _all(app)]
    client.post(f"/manage/channels/{channel_id}/test", data={"csrf_token": token})
    page = client.get("/manage/channels").get_data(as_text=True)
    assert "Slack did not take the test message: it answered 500" in page


def test_a_post_that_failed_says_why_on_the_page(
    app: Flask, client: FlaskClient, org: Org, receiver: Receiver
) -> None:
    receiver.fail_first = {"/hook": 99}
    token = log_in(client, "boss@example.test")
    _connect(client, token, _team_id(app), url=f"{receiver.url}/hook")
    with app.app_context():
        ingest(
            [SalesEvent("w1", "deal.won", utcnow(), "ann@example.test", {"deal_id": "W1"})],
            source="api",
        )
    send_due(app)
    page = client.get("/manage/channels").get_data(as_text=True)
    assert "1 waiting" in page and "Last try: Slack answered 500" in page


def test_kinds_of_news_are_switched_and_a_channel_disconnected(
    app: Flask, client: FlaskClient, org: Org
) -> None:
    token = log_in(client, "boss@example.test")
    _connect(client, token, _team_id(app))
    (channel_id,) = [c.id for c in _all(app)]
    client.post(f"/manage/channels/{channel_id}/news", data={"csrf_token": token, "news": "wins"})
    assert _channels(app) == [(_team_id(app), "slack", True, False)]
    answer = client.post(
        f"/manage/channels/{channel_id}/news", data={"csrf_token": token, "news": "gossip"}
    )
    assert answer.status_code == 303
    assert "Unknown kind of news." in client.get("/manage/channels").get_data(as_text=True)
    client.post(f"/manage/channels/{channel_id}/disconnect", data={"csrf_token": token})
    assert _channels(app) == []


def test_a_rep_cannot_open_the_channel_page(app: Flask, client: FlaskClient, org: Org) -> None:
    log_in(client, "ann@example.test")
    assert client.get("/manage/channels").status_code in (302, 403)


def _all(app: Flask) -> list[TeamChannel]:
    with app.app_context():
        return list(db.session.scalars(select(TeamChannel)))
