"""SQLite writers of one process take turns on a lock of their own (kpi_engine.db): a turn ends
with every transaction, however it ends, and readers marked read-only never wait for one."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, insert, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kpi_engine.db import Base, configure_sqlite, read_only
from kpi_engine.org.models import Team

# Far below the 30 s busy timeout: a turn that was never handed on would stall this long.
PROMPTLY = 5.0


@pytest.fixture
def sqlite(tmp_path: Path) -> Iterator[Engine]:
    engine = create_engine(f"sqlite:///{tmp_path / 'writers.db'}")
    configure_sqlite(engine)
    Base.metadata.create_all(engine)
    yield engine
    engine.dispose()


def _writes_promptly(engine: Engine, name: str) -> bool:
    done = threading.Event()

    def write() -> None:
        with Session(engine) as session, session.begin():
            session.execute(insert(Team).values(name=name))
        done.set()

    threading.Thread(target=write, daemon=True).start()
    return done.wait(PROMPTLY)


def test_a_turn_ends_with_a_commit_a_rollback_and_a_failed_statement(sqlite: Engine) -> None:
    with Session(sqlite) as session:
        session.execute(insert(Team).values(name="Hunters"))
        session.commit()
    assert _writes_promptly(sqlite, "after a commit")
    with Session(sqlite) as session:
        session.execute(insert(Team).values(name="Never"))
        session.rollback()
    assert _writes_promptly(sqlite, "after a rollback")
    with Session(sqlite) as session, pytest.raises(IntegrityError):
        session.execute(text("INSERT INTO team (id, name) VALUES (1, 'Twin')"))
    assert _writes_promptly(sqlite, "after a failed statement")
    with Session(sqlite) as session:
        names = set(session.scalars(select(Team.name)))
    assert names == {"Hunters", "after a commit", "after a rollback", "after a failed statement"}


def test_a_writer_waits_for_the_open_write_and_a_reader_does_not(sqlite: Engine) -> None:
    with Session(sqlite) as writer:
        writer.execute(insert(Team).values(name="Open"))
        with Session(sqlite) as reader:
            read_only(reader)
            assert list(reader.scalars(select(Team.name))) == []  # the last committed state
        blocked = threading.Event()
        thread = threading.Thread(
            target=lambda: _writes_promptly(sqlite, "Next") and blocked.set(), daemon=True
        )
        thread.start()
        assert not blocked.wait(0.5), "a second writer went ahead of the open one"
        writer.commit()
        thread.join(PROMPTLY + 1)
        assert blocked.is_set()
