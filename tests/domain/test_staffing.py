"""A person's open challenges follow the audience rules when an admin moves them, changes their
role or deactivates them: they leave the old team's challenges with the points they had (nothing
later counts there), join the new team's auto-enrolled ones, and a rebuild agrees."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from gameplay.core.models import Challenge, Participant
from gameplay.manage.staffing import add_player, change_player
from gameplay.ops.rebuild import rebuild_game
from kpi_engine.org.models import Team, User
from tests.domain.game_setup import END, START, ingest, launched
from tests.domain.test_game_rebuild import _snapshot
from tests.factories import event, make_team, make_user

MOVED_AT = START + timedelta(days=1)


def standing(session: Session, challenge: Challenge, user: User) -> Participant | None:
    session.expire_all()
    query = select(Participant).where(
        Participant.challenge_id == challenge.id, Participant.user_id == user.id
    )
    return session.scalar(query)


def call(rep: User, at: timedelta) -> object:
    return event("activity.logged", rep, START + at, kind="call", outcome="connected")


@pytest.fixture
def org(session: Session) -> tuple[User, Team, Team, User, Challenge, Challenge]:
    """Rita in East with 10 points in East's board; West has its own board."""
    admin = make_user(session, app_role="admin")
    east, west = make_team(session, "East"), make_team(session, "West")
    rita = make_user(session, name="Rita", team=east)
    make_user(session, name="Wes", team=west)
    east_board = launched(session, admin, team_ids=[east.id], name="East board")
    west_board = launched(session, admin, team_ids=[west.id], name="West board")
    ingest(session, call(rita, timedelta(hours=1)), now=START + timedelta(hours=1))
    return admin, east, west, rita, east_board, west_board


def test_a_rep_who_moves_leaves_the_old_board_with_their_points_and_joins_the_new(
    session: Session, org: tuple[User, Team, Team, User, Challenge, Challenge]
) -> None:
    admin, _, west, rita, east_board, west_board = org
    _, changes = change_player(session, rita.id, {"team_id": west.id}, actor=admin, now=MOVED_AT)
    assert set(changes.standings) == {east_board.id, west_board.id}
    old, new = standing(session, east_board, rita), standing(session, west_board, rita)
    assert old is not None and (old.points, old.left_at) == (10, MOVED_AT)
    assert new is not None and (new.points, new.left_at) == (0, None)
    ingest(session, call(rita, timedelta(days=2)), now=START + timedelta(days=2))
    assert standing(session, east_board, rita).points == 10  # type: ignore[union-attr]
    assert standing(session, west_board, rita).points == 10  # type: ignore[union-attr]


def test_a_sale_made_before_the_move_but_told_after_counts_where_it_was_made(
    session: Session, org: tuple[User, Team, Team, User, Challenge, Challenge]
) -> None:
    admin, _, west, rita, east_board, west_board = org
    change_player(session, rita.id, {"team_id": west.id}, actor=admin, now=MOVED_AT)
    ingest(session, call(rita, timedelta(hours=3)), now=START + timedelta(days=2))
    assert standing(session, east_board, rita).points == 20  # type: ignore[union-attr]
    assert standing(session, west_board, rita).points == 0  # type: ignore[union-attr]


def test_a_rebuild_after_a_move_gives_the_same_boards(
    session: Session, org: tuple[User, Team, Team, User, Challenge, Challenge]
) -> None:
    admin, east, west, rita, _, _ = org
    change_player(session, rita.id, {"team_id": west.id}, actor=admin, now=MOVED_AT)
    ingest(session, call(rita, timedelta(days=2)), call(rita, timedelta(hours=2)),
           now=START + timedelta(days=2))  # fmt: skip
    back = MOVED_AT + timedelta(days=2)
    change_player(session, rita.id, {"team_id": east.id}, actor=admin, now=back)
    ingest(session, call(rita, timedelta(days=4)), now=START + timedelta(days=4))
    incremental = _snapshot(session)
    rebuild_game(session, now=END + timedelta(days=1))
    assert _snapshot(session) == incremental


def test_a_deactivated_rep_stops_counting_and_a_promoted_one_leaves_the_reps_board(
    session: Session, org: tuple[User, Team, Team, User, Challenge, Challenge]
) -> None:
    admin, east, _, rita, east_board, _ = org
    bob = make_user(session, name="Bob", team=east)
    ingest(session, call(bob, timedelta(hours=2)), now=START + timedelta(hours=2))
    change_player(session, bob.id, {"active": False}, actor=admin, now=MOVED_AT)
    change_player(session, rita.id, {"app_role": "manager"}, actor=admin, now=MOVED_AT)
    ingest(session, call(bob, timedelta(days=2)), call(rita, timedelta(days=2)),
           now=START + timedelta(days=2))  # fmt: skip
    for person in (bob, rita):
        left = standing(session, east_board, person)
        assert left is not None and (left.points, left.left_at) == (10, MOVED_AT)


def test_a_rep_added_to_a_team_joins_its_live_auto_challenges(
    session: Session, org: tuple[User, Team, Team, User, Challenge, Challenge]
) -> None:
    admin, east, _, _, east_board, west_board = org
    given = {"email": "new@acme.test", "name": "Nina New", "team_id": east.id}
    nina, changes = add_player(session, given, actor=admin, now=MOVED_AT)
    assert set(changes.standings) == {east_board.id}
    assert standing(session, east_board, nina) is not None
    assert standing(session, west_board, nina) is None


def test_a_change_that_keeps_the_audience_touches_no_board(
    session: Session, org: tuple[User, Team, Team, User, Challenge, Challenge]
) -> None:
    admin, _, _, rita, _, _ = org
    given = {"crm_user_id": "Rita R"}
    _, changes = change_player(session, rita.id, given, actor=admin, now=MOVED_AT)
    assert not changes.standings
