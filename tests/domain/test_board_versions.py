"""A board's version is the database's: unique and increasing with every write, assigned in
the writing transaction, and the Changes of a write carry the board's rows as it left them.

Runs on SQLite (threads of one process take turns) and, with TEST_DATABASE_URL, on
PostgreSQL (writers of one board wait for its row's lock)."""

from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from gameplay.core.models import Challenge, Participant
from gameplay.scoring.engine import record_sales_events
from kpi_engine.org.models import User
from tests.domain.game_setup import END, START, ingest, launched
from tests.factories import event, make_team, make_user

WRITERS = 8


def _world(session: Session) -> tuple[int, list[User]]:
    admin = make_user(session, app_role="admin")
    team = make_team(session)
    reps = [make_user(session, team=team) for _ in range(4)]
    challenge = launched(session, admin, team_ids=[team.id])
    session.commit()
    return challenge.id, reps


def test_writers_at_once_never_share_a_version(session: Session, engine: Engine) -> None:
    challenge_id, reps = _world(session)
    calls = [
        event("activity.logged", reps[n % len(reps)], START + timedelta(minutes=n), kind="call")
        for n in range(WRITERS)
    ]
    session.rollback()  # the set-up holds no lock (a SQLite read begins a write transaction)
    versions: list[int] = []
    errors: list[BaseException] = []
    start = threading.Barrier(WRITERS)

    def write(n: int) -> None:
        try:
            with Session(engine) as mine:
                start.wait()
                _, changes = record_sales_events(mine, [calls[n]], source="api", now=END)
                mine.commit()
                versions.append(changes.boards[challenge_id].version)
        except BaseException as error:  # reported below, in the test's thread
            errors.append(error)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert len(versions) == WRITERS and len(set(versions)) == WRITERS
    session.expire_all()
    assert session.get_one(Challenge, challenge_id).version == max(versions)


def test_a_write_carries_the_rows_it_moved_as_the_board_now_holds_them(
    session: Session,
) -> None:
    challenge_id, reps = _world(session)
    before = session.get_one(Challenge, challenge_id).version
    first = ingest(session, event("activity.logged", reps[0], START, kind="call"))
    # The second rep passes the first.
    second = ingest(
        session,
        *[
            event("activity.logged", reps[1], START + timedelta(minutes=m),
                  kind="call")
            for m in (1, 2)
        ],
    )  # fmt: skip
    one, two = first.boards[challenge_id], second.boards[challenge_id]
    assert before < one.version < two.version
    stored = {
        p.id: (p.user_id, p.points, p.rank)
        for p in session.scalars(
            select(Participant)
            .where(Participant.challenge_id == challenge_id)
            .execution_options(populate_existing=True)
        )
    }
    carried = {row.participant_id: (row.user_id, row.points, row.rank) for row in two.rows}
    # Every row moved: the passer and the passed by points or rank, the reps still at zero
    # one place lower; each as the board now holds it, with no read after the write.
    assert carried == stored
    assert carried[_pid(session, challenge_id, reps[0].id)] == (reps[0].id, 10, 2)
    assert carried[_pid(session, challenge_id, reps[2].id)] == (reps[2].id, 0, 3)
    assert {row.participant_id for row in one.rows} == set(stored)  # 0 -> 10: all moved too
    assert session.get_one(Challenge, challenge_id).version == two.version


def _pid(session: Session, challenge_id: int, user_id: int) -> int:
    query = select(Participant.id).where(
        Participant.challenge_id == challenge_id, Participant.user_id == user_id
    )
    return session.scalars(query).one()
