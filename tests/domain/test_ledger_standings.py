"""The materialised standings always equal what the ledger alone says, and a standing that
drifted from its ledger is found and restored."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from gameplay.boards.leaderboards import read_leaderboard
from gameplay.core.models import Challenge, Participant
from gameplay.ops.ledger_standings import check_standings, restore_standings
from gameplay.scoring.ledger import adjust_points
from tests.domain.game_setup import END, START, ingest, launched
from tests.domain.test_game_rebuild import _event, deliveries, play
from tests.factories import make_team, make_user


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(batches=deliveries)
def test_rebuilding_from_the_ledger_gives_the_same_standings(session: Session, batches) -> None:
    nested = session.begin_nested()
    try:
        admin, [race, board] = play(session, batches)
        participant = session.scalars(
            select(Participant).where(Participant.challenge_id == board.id)
        ).first()
        assert participant is not None
        for points in (5, -5):  # a clawback takes back at most what was earned
            adjust_points(
                session, board, participant, points, reason="duplicate call", actor=admin,
                now=END + timedelta(days=2),
            )  # fmt: skip
        session.flush()
        assert check_standings(session, race) == []
        assert check_standings(session, board) == []
    finally:
        nested.rollback()


def test_a_standing_that_drifted_from_its_ledger_is_found_and_restored(session: Session) -> None:
    admin = make_user(session, app_role="admin")
    team = make_team(session)
    ann, bob = make_user(session, team=team), make_user(session, team=team)
    challenge = launched(session, admin, team_ids=[team.id])
    calls = [
        ("call", 0, 24 * 60, 1, 0),
        ("call", 0, 25 * 60, 2, 0),
        ("call", 1, 26 * 60, 3, 0),
    ]
    ingest(session, *[_event(op, [ann, bob], 0) for op in calls])
    session.flush()
    # An incident: Bob's row is overwritten behind the engine's back.
    session.execute(
        update(Participant)
        .where(Participant.challenge_id == challenge.id, Participant.user_id == bob.id)
        .values(points=500, rank=1)
    )
    session.expire_all()
    found = check_standings(session, challenge)
    assert {(d.user_id, d.field, d.kept, d.derived) for d in found} >= {
        (bob.id, "points", 500, 10),
        (bob.id, "rank", 1, 2),
    }
    version = session.get_one(Challenge, challenge.id).version
    restore_standings(session, challenge)
    assert check_standings(session, challenge) == []
    board = read_leaderboard(
        session, challenge, viewer=admin, manager_view=True, now=START + timedelta(days=2)
    )
    assert [(row.user_id, row.points, row.rank) for row in board.rows] == [
        (ann.id, 20, 1),
        (bob.id, 10, 2),
    ]
    assert session.get_one(Challenge, challenge.id).version > version, "clients get a new frame"
