"""Moments on a board: the rep passed hears who passed them and the points of both; the rep
who moved hears whom they passed. Names follow the leaderboard's privacy (anonymised reps)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from gameplay.core.changes import Changes
from gameplay.scoring.profiles import set_preferences
from kpi_engine.org.models import User
from tests.domain.game_setup import START, ingest, launched
from tests.factories import event, make_team, make_user

CALL = [{"fact": "activity", "activity_kind": "call", "points": 5}]


def _calls(*who_minutes: tuple[User, int]) -> list:
    return [
        event(
            "activity.logged", rep, START + timedelta(minutes=m), kind="call", outcome="connected"
        )
        for rep, m in who_minutes
    ]


def _race(session: Session) -> tuple[User, User, User, int]:
    admin = make_user(session, app_role="admin")
    team = make_team(session)
    ann, bob, cat = (make_user(session, name=n, team=team) for n in ("Ann", "Bob", "Cat"))
    challenge = launched(session, admin, team_ids=[team.id], rules=CALL)
    ingest(session, *_calls((ann, 60), (bob, 70)))  # Ann and Bob tied at 5
    return ann, bob, cat, challenge.id


def _notes(changes: Changes, kind: str) -> list[tuple[int, str, dict[str, object]]]:
    return [(n.user_id, n.message, dict(n.data)) for n in changes.notifications if n.kind == kind]


def test_the_reps_passed_hear_who_passed_them_and_by_how_much(session: Session) -> None:
    ann, bob, cat, challenge_id = _race(session)
    changes = ingest(session, *_calls((cat, 120), (cat, 130)))  # Cat: 5, then 10
    expected = {"by_user_id": cat.id, "by_name": "Cat", "points": 10, "their_points": 5}
    assert _notes(changes, "overtaken") == [
        (ann.id, "Cat passed you in March blitz (10 vs 5)", expected),
        (bob.id, "Cat passed you in March blitz (10 vs 5)", expected),
    ]
    [(user_id, message, data)] = _notes(changes, "passed")
    assert (user_id, message) == (cat.id, "You passed Ann and 1 more in March blitz (10 vs 5)")
    assert data == {
        "passed_user_ids": [ann.id, bob.id],
        "passed_names": ["Ann", "Bob"],
        "points": 10,
        "their_points": 5,
    }
    assert all(n.challenge_id == challenge_id for n in changes.notifications if n.data)


def test_passing_one_rep_names_them(session: Session) -> None:
    ann, bob, _cat, _ = _race(session)
    changes = ingest(session, *_calls((bob, 200)))
    assert [m for _, m, _ in _notes(changes, "passed")] == [
        "You passed Ann in March blitz (10 vs 5)"
    ]
    assert [(u, m) for u, m, _ in _notes(changes, "overtaken")] == [
        (ann.id, "Bob passed you in March blitz (10 vs 5)")
    ]


def test_an_anonymised_rep_is_named_anonymous_on_both_sides(session: Session) -> None:
    ann, bob, cat, _ = _race(session)
    set_preferences(session, cat.id, anonymised=True)
    set_preferences(session, ann.id, anonymised=True)
    changes = ingest(session, *_calls((cat, 120), (cat, 130)))
    overtaken = _notes(changes, "overtaken")
    assert {m for _, m, _ in overtaken} == {"Anonymous rep passed you in March blitz (10 vs 5)"}
    assert all(d["by_user_id"] is None for _, _, d in overtaken)
    [(_, _, passed)] = _notes(changes, "passed")
    assert passed["passed_user_ids"] == [None, bob.id]
    assert passed["passed_names"] == ["Anonymous rep", "Bob"]


def test_nobody_passed_hears_nothing_and_a_tie_is_not_a_pass(session: Session) -> None:
    _ann, _bob, cat, _ = _race(session)
    changes = ingest(session, *_calls((cat, 120)))  # Cat reaches 5: tied with both
    assert _notes(changes, "overtaken") == [] and _notes(changes, "passed") == []
