"""Team channels: message formatting for Slack and Teams, the outbox written with the news,
who may connect a channel, and the sender's bookkeeping (claims, retries, giving up)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gameplay.channels.deliveries import claim, due_ids, record_delivery, retry_delay
from gameplay.channels.messages import Headline, slack_body, teams_body
from gameplay.channels.outbox import queue_channel_posts, queue_started_challenges
from gameplay.channels.team_channels import (
    ChannelPost,
    change_channel_news,
    connect_channel,
    team_channels,
    webhook_hint,
)
from gameplay.manage.finalization import finalize_challenge
from gameplay.scoring.engine import record_sales_events
from kpi_engine.errors import Forbidden
from tests.domain.game_setup import END, START, launched
from tests.factories import event, make_team, make_user

LIVE = START + timedelta(days=1)
SLACK_URL = "https://hooks.slack.com/services/T000/B000/abcdWXYZ"


def _sealed(url: str) -> str:
    return f"sealed:{url}"


def _org(session: Session):
    manager = make_user(session, app_role="manager")
    team = make_team(session, manager=manager)
    ana = make_user(session, name="Ana Ruiz", team=team)
    ben = make_user(session, name="Ben Ode", team=team)
    return manager, team, ana, ben


def _connect(session: Session, manager, team, kind: str = "slack"):
    return connect_channel(
        session, manager, team_id=team.id, kind=kind, url=SLACK_URL, seal=_sealed, now=START
    )


def _posts(session: Session, news: str | None = None) -> list[ChannelPost]:
    query = select(ChannelPost).order_by(ChannelPost.id)
    if news:
        query = query.where(ChannelPost.news == news)
    return list(session.scalars(query))


def _ingest_and_queue(session: Session, *events, now=LIVE):
    result, changes = record_sales_events(session, list(events), source="api", now=now)
    won = [t.deal for t in result.deal_transitions if t.became_won]
    return queue_channel_posts(session, changes, now=now, won=won)


def test_slack_body_uses_mrkdwn_blocks_and_escapes_what_slack_would_read_as_a_mention() -> None:
    body = slack_body(
        Headline("🏆", "<!channel> won Acme & Co", ("Pro plan",), (("Place 1", "A"),))
    )
    section = body["blocks"][0]
    assert body["text"] == "🏆 <!channel> won Acme & Co"
    assert section["text"] == {
        "type": "mrkdwn",
        "text": "🏆 *&lt;!channel&gt; won Acme &amp; Co*\nPro plan",
    }
    assert section["fields"] == [{"type": "mrkdwn", "text": "*Place 1*\nA"}]
    assert body["blocks"][-1]["type"] == "context"


def test_teams_body_is_an_adaptive_card_in_a_message_attachment() -> None:
    body = teams_body(Headline("🚀", "Blitz has started", ("Until Friday",), (("Place 1", "A"),)))
    assert body["type"] == "message"
    (attachment,) = body["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert card["type"] == "AdaptiveCard" and card["version"] == "1.4"
    assert card["body"][0]["text"] == "🚀 Blitz has started"
    assert card["body"][0]["weight"] == "Bolder"
    assert {"type": "FactSet", "facts": [{"title": "Place 1", "value": "A"}]} in card["body"]


def test_the_webhook_is_stored_sealed_and_shown_by_host_and_last_four(session: Session) -> None:
    manager, team, _, _ = _org(session)
    channel = _connect(session, manager, team)
    assert channel.webhook_sealed == f"sealed:{SLACK_URL}"
    assert channel.webhook_hint == "hooks.slack.com …WXYZ" == webhook_hint(SLACK_URL)
    assert SLACK_URL not in channel.webhook_hint


def test_a_manager_cannot_connect_another_teams_channel(session: Session) -> None:
    manager, _, _, _ = _org(session)
    other = make_team(session, manager=make_user(session, app_role="manager"))
    with pytest.raises(Forbidden) as refused:
        _connect(session, manager, other)
    assert refused.value.fields == {"team_id": ["not a team you manage"]}
    assert [t.id for t, _ in team_channels(session, manager)] != [other.id]


def test_an_admin_connects_any_teams_channel(session: Session) -> None:
    admin = make_user(session, app_role="admin")
    team = make_team(session, manager=make_user(session, app_role="manager"))
    assert _connect(session, admin, team, "teams").kind == "teams"


def test_a_win_posts_once_to_each_channel_of_the_reps_team(session: Session) -> None:
    manager, team, ana, _ = _org(session)
    _connect(session, manager, team, "slack")
    _connect(session, manager, team, "teams")
    other_team = make_team(session)
    _connect(session, make_user(session, app_role="admin"), other_team)
    won = event("deal.won", ana, LIVE, deal_id="D1", account="Acme", amount=12000, currency="EUR")
    assert _ingest_and_queue(session, won) == 2
    slack, teams = _posts(session, "wins")
    assert slack.body["text"] == "🏆 Ana Ruiz won Acme (12,000 EUR)"
    assert teams.body["attachments"][0]["content"]["body"][0]["text"] == slack.body["text"]


def test_a_backfilled_win_is_not_news(session: Session) -> None:
    manager, team, ana, _ = _org(session)
    _connect(session, manager, team)
    old = event("deal.won", ana, LIVE - timedelta(days=30), deal_id="OLD", account="Old Co")
    assert _ingest_and_queue(session, old) == 0


def test_many_wins_in_one_delivery_make_one_post(session: Session) -> None:
    manager, team, ana, ben = _org(session)
    _connect(session, manager, team)
    wins = [event("deal.won", rep, LIVE, deal_id=f"D{i}") for i, rep in enumerate([ana, ben, ana])]
    _ingest_and_queue(session, *wins)
    (post,) = _posts(session, "wins")
    assert post.body["text"] == "🏆 3 deals won"


def test_a_rolled_back_transaction_leaves_nothing_to_send(session: Session) -> None:
    manager, team, ana, _ = _org(session)
    _connect(session, manager, team)
    session.commit()
    _ingest_and_queue(session, event("deal.won", ana, LIVE, deal_id="D9"))
    assert len(_posts(session)) == 1
    session.rollback()
    assert _posts(session) == []


def test_a_channel_gets_only_the_kinds_of_news_it_wants(session: Session) -> None:
    manager, team, ana, _ = _org(session)
    channel = _connect(session, manager, team)
    change_channel_news(session, manager, channel.id, {"missions"})
    assert _ingest_and_queue(session, event("deal.won", ana, LIVE, deal_id="D1")) == 0


def test_challenge_start_lead_changes_and_end_are_posted_once_each(session: Session) -> None:
    manager, team, ana, ben = _org(session)
    _connect(session, manager, team)
    challenge = launched(session, manager, team_ids=[team.id])
    assert queue_started_challenges(session, now=LIVE) == 1
    assert queue_started_challenges(session, now=LIVE) == 0
    (start,) = _posts(session, "challenges")
    assert start.body["text"] == "🚀 March blitz has started"
    call = {"kind": "call"}
    _ingest_and_queue(session, event("activity.logged", ana, LIVE, **call))
    _ingest_and_queue(session, event("activity.logged", ana, LIVE + timedelta(hours=1), **call))
    ben_calls = [
        event("activity.logged", ben, LIVE + timedelta(hours=2 + h), **call) for h in (0, 1, 2)
    ]
    _ingest_and_queue(session, *ben_calls)
    leads = [p.body["text"] for p in _posts(session, "lead_changes")]
    assert leads == [
        "👑 Ana Ruiz takes the lead in March blitz",
        "👑 Ben Ode takes the lead in March blitz",
    ]
    changes = finalize_challenge(session, challenge, now=END)
    queue_channel_posts(session, changes, now=END)
    queue_channel_posts(session, changes, now=END)
    end = _posts(session, "challenges")[1:]
    assert [p.body["text"] for p in end] == ["🏁 March blitz has ended"]
    assert end[0].body["blocks"][0]["fields"][0]["text"].startswith("*Place 1*\nBen Ode")


def test_a_finished_mission_is_posted_to_the_reps_team(session: Session) -> None:
    manager, team, ana, _ = _org(session)
    _connect(session, manager, team)
    mission = {"name": "Two calls", "fact": "activity", "activity_kind": "call", "target": 2}
    launched(session, manager, team_ids=[team.id], missions=[mission])
    calls = [event("activity.logged", ana, LIVE + timedelta(hours=h), kind="call") for h in (0, 1)]
    _ingest_and_queue(session, *calls)
    (post,) = _posts(session, "missions")
    assert post.body["blocks"][0]["text"]["text"].endswith(
        "Ana Ruiz finished “Two calls” in March blitz"
    )


def test_a_claimed_post_is_skipped_by_other_senders_and_retried_with_backoff(
    session: Session,
) -> None:
    manager, team, ana, _ = _org(session)
    _connect(session, manager, team)
    _ingest_and_queue(session, event("deal.won", ana, LIVE, deal_id="D1"))
    (post_id,) = due_ids(session, ChannelPost, now=LIVE)
    post = claim(session, ChannelPost, post_id, now=LIVE, lease=timedelta(seconds=60))
    assert post is not None and post.attempts == 1
    assert claim(session, ChannelPost, post_id, now=LIVE, lease=timedelta(seconds=60)) is None
    record_delivery(session, post, error="answered 500", retry_in=timedelta(seconds=5), now=LIVE)
    assert due_ids(session, ChannelPost, now=LIVE) == []
    assert due_ids(session, ChannelPost, now=LIVE + timedelta(seconds=5)) == [post_id]
    record_delivery(session, post, error="answered 404", retry_in=None, now=LIVE)
    assert post.status == "failed"
    assert session.scalar(select(func.count()).select_from(ChannelPost)) == 1


def test_retry_delay_doubles_from_its_base_up_to_a_cap() -> None:
    waits = [retry_delay(n, base=5).total_seconds() for n in (1, 2, 3, 4)]
    assert waits == [5, 10, 20, 40]
    assert retry_delay(30, base=5) == timedelta(seconds=600)
