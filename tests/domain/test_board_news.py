"""The boards' outbox: news rows chain by version, an update covers every rep who moved in its
range, relaying marks rows once, and old relayed news goes while each board keeps its latest."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from gameplay.boards.board_news import (
    KEEP_RELAYED,
    BoardNews,
    forget_old_news,
    mark_relayed,
    pending_updates,
    relayed_versions,
    write_board_news,
)
from tests.domain.game_setup import END, START, ingest, launched
from tests.factories import event, make_team, make_user


def _call(session: Session, rep, hour: int) -> dict[int, set[int]]:  # type: ignore[no-untyped-def]
    changes = ingest(session, event("activity.logged", rep, START.replace(hour=hour), kind="call"))
    return changes.standings


def test_news_rows_chain_and_an_update_covers_every_rep_who_moved_in_its_range(
    session: Session,
) -> None:
    admin, team = make_user(session, app_role="admin"), make_team(session)
    ann, bob = make_user(session, team=team), make_user(session, team=team)
    challenge = launched(session, admin, team_ids=[team.id])
    [first] = write_board_news(session, _call(session, ann, 9), now=END)
    [second] = write_board_news(session, _call(session, bob, 10), now=END)
    assert (second.since, first.version) == (first.version, second.since)
    assert second.version > first.version
    mark_relayed(session, [first.id], now=END)
    [third] = write_board_news(session, _call(session, ann, 11), now=END)
    [update] = pending_updates(session)
    assert (update.since, update.version) == (first.version, third.version)
    assert update.user_ids == {ann.id, bob.id}
    assert update.news_ids == (second.id, third.id)
    assert relayed_versions(session, [challenge.id]) == {challenge.id: first.version}


def test_a_board_whose_version_did_not_move_gets_no_news(session: Session) -> None:
    admin, team = make_user(session, app_role="admin"), make_team(session)
    ann = make_user(session, team=team)
    launched(session, admin, team_ids=[team.id])
    standings = _call(session, ann, 9)
    assert len(write_board_news(session, standings, now=END)) == 1
    assert write_board_news(session, standings, now=END) == []


def test_the_relay_loop_sees_only_news_older_than_its_grace(session: Session) -> None:
    admin, team = make_user(session, app_role="admin"), make_team(session)
    ann = make_user(session, team=team)
    launched(session, admin, team_ids=[team.id])
    write_board_news(session, _call(session, ann, 9), now=END)
    assert pending_updates(session, written_before=END) == []
    assert len(pending_updates(session, written_before=END + timedelta(seconds=1))) == 1


def test_old_relayed_news_is_forgotten_but_each_board_keeps_its_latest(session: Session) -> None:
    admin, team = make_user(session, app_role="admin"), make_team(session)
    ann = make_user(session, team=team)
    launched(session, admin, team_ids=[team.id])
    rows = [write_board_news(session, _call(session, ann, h), now=END)[0] for h in (9, 10, 11)]
    mark_relayed(session, [r.id for r in rows[:2]], now=END)
    later = END + KEEP_RELAYED + timedelta(minutes=1)
    assert forget_old_news(session, now=later) == 2
    mark_relayed(session, [rows[2].id], now=later)
    assert forget_old_news(session, now=later) == 0
    assert session.scalars(select(BoardNews.id)).all() == [rows[2].id]
