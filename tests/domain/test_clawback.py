"""A clawback takes back at most what the rep earned in that challenge and can still spend, so
a spendable balance never goes below zero, even when two clawbacks arrive at once."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, select
from sqlalchemy.orm import Session

from gameplay.core.models import Challenge, Participant, PlayerProfile
from gameplay.scoring.ledger import adjust_points
from gameplay.scoring.profiles import profile_of
from kpi_engine.db import Base, configure_sqlite
from kpi_engine.errors import Invalid
from kpi_engine.org.models import User
from tests.domain.game_setup import END, launched
from tests.factories import make_team, make_user


def _setup(session: Session, earned: int = 400) -> tuple[User, Challenge, Participant]:
    admin = make_user(session, app_role="admin")
    team = make_team(session)
    rep = make_user(session, team=team)
    challenge = launched(session, admin, team_ids=[team.id])
    participant = session.scalar(
        select(Participant).where(
            Participant.challenge_id == challenge.id, Participant.user_id == rep.id
        )
    )
    assert participant is not None
    adjust_points(session, challenge, participant, earned, reason="won", actor=admin, now=END)
    return admin, challenge, participant


def test_a_clawback_beyond_what_was_earned_in_the_challenge_is_refused(session: Session) -> None:
    admin, challenge, participant = _setup(session)
    with pytest.raises(Invalid) as refused:
        adjust_points(
            session, challenge, participant, -100_000, reason="clawback", actor=admin, now=END
        )
    assert refused.value.fields == {"points": ["must be at least -400"]}
    assert profile_of(session, participant.user_id).balance == 400
    adjust_points(session, challenge, participant, -400, reason="clawback", actor=admin, now=END)
    assert profile_of(session, participant.user_id).balance == 0
    assert participant.points == 0


def test_a_clawback_never_takes_points_already_spent(session: Session) -> None:
    admin, challenge, participant = _setup(session)
    profile_of(session, participant.user_id).spent_points = 350  # redeemed a reward
    session.flush()
    with pytest.raises(Invalid) as refused:
        adjust_points(session, challenge, participant, -51, reason="oops", actor=admin, now=END)
    assert "at most 50 points" in refused.value.message
    adjust_points(session, challenge, participant, -50, reason="oops", actor=admin, now=END)
    assert profile_of(session, participant.user_id).balance == 0


def test_points_from_another_challenge_cannot_be_clawed_back_here(session: Session) -> None:
    admin, challenge, participant = _setup(session, earned=10)
    other = launched(session, admin, name="April push", team_ids=challenge.audience["team_ids"])
    there = session.scalar(
        select(Participant).where(
            Participant.challenge_id == other.id, Participant.user_id == participant.user_id
        )
    )
    assert there is not None
    adjust_points(session, other, there, 500, reason="won", actor=admin, now=END)
    with pytest.raises(Invalid):
        adjust_points(session, challenge, participant, -11, reason="x", actor=admin, now=END)


@pytest.fixture
def sqlite(tmp_path: Path) -> Iterator[Engine]:
    engine = create_engine(f"sqlite:///{tmp_path / 'clawback.db'}")
    configure_sqlite(engine)
    Base.metadata.create_all(engine)
    yield engine
    engine.dispose()


def test_two_clawbacks_at_once_cannot_both_pass_on_one_balance(sqlite: Engine) -> None:
    with Session(sqlite) as session:
        admin, challenge, participant = _setup(session)
        session.commit()
        ids = (admin.id, challenge.id, participant.id)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def claw_back() -> None:
        barrier.wait()
        with Session(sqlite) as session:
            actor, chall = session.get(User, ids[0]), session.get(Challenge, ids[1])
            part = session.get(Participant, ids[2])
            assert actor is not None and chall is not None and part is not None
            try:
                adjust_points(session, chall, part, -300, reason="claw", actor=actor, now=END)
                session.commit()
                outcomes.append("taken")
            except Invalid:
                session.rollback()
                outcomes.append("refused")

    threads = [threading.Thread(target=claw_back) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["refused", "taken"]
    with Session(sqlite) as session:
        profile = session.scalar(
            select(PlayerProfile).where(PlayerProfile.user_id == participant.user_id)
        )
        assert profile is not None and profile.balance == 100
