"""Leaderboards and formats: competition ranking, the podium rule, around-me, team averages,
leagues, most improved, anonymised reps, the freeze, race/threshold winners, opt-in."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from gameplay.boards.formats import FORMAT_RULES
from gameplay.boards.leaderboards import ANONYMOUS, read_leaderboard, team_rows, top_rows
from gameplay.core.enrollment import join_challenge, participant_for
from gameplay.manage.challenges import create_challenge
from gameplay.manage.finalization import finalize_challenge
from gameplay.scoring.profiles import set_preferences
from kpi_engine.errors import Conflict, Forbidden
from tests.domain.game_setup import BEFORE, END, START, ingest, launched, spec
from tests.factories import event, make_team, make_user


def _calls(rep, *hours: int, day: int = 3):
    return [
        event("activity.logged", rep, START.replace(day=day, hour=h), kind="call") for h in hours
    ]


def test_ties_share_a_rank_and_the_podium_goes_to_who_reached_it_first(session: Session) -> None:
    admin = make_user(session, app_role="admin")
    team = make_team(session)
    early, late, top, last = (make_user(session, team=team, name=n) for n in "ABCD")
    challenge = launched(session, admin, team_ids=[team.id])
    ingest(
        session,
        *_calls(top, 8, 9, 10),
        *_calls(late, 9, 11),
        *_calls(early, 8, 10),
        *_calls(last, 12),
    )
    board = read_leaderboard(session, challenge, viewer=admin, manager_view=True, now=END)
    assert [(r.rank, r.name, r.points) for r in board.rows] == [
        (1, "C", 30),
        (2, "A", 20),
        (2, "B", 20),
        (4, "D", 10),
    ]
    winners = FORMAT_RULES["leaderboard"].winners(session, challenge)
    assert [w.user_id for w in winners] == [top.id, early.id, late.id]


def test_around_me_shows_five_above_and_five_below(session: Session) -> None:
    admin = make_user(session, app_role="admin")
    team = make_team(session)
    reps = [make_user(session, team=team) for _ in range(20)]
    challenge = launched(
        session, admin, team_ids=[team.id], rules=[{"fact": "activity", "points": 1}]
    )
    ingest(
        session, *[e for i, rep in enumerate(reps) for e in _calls(rep, *range(i % 20 // 2 + 1))]
    )
    for me in (reps[7], reps[0], reps[19]):
        board = read_leaderboard(
            session, challenge, viewer=me, manager_view=False, now=END, board="around_me"
        )
        full = [
            r.user_id for r in top_rows(session, challenge, viewer_id=me.id, reveal=True, limit=100)
        ]
        at = full.index(me.id)
        assert [r.user_id for r in board.rows] == full[max(0, at - 5) : at + 6]
        assert [r.is_me for r in board.rows].count(True) == 1


def test_team_average_lets_a_small_team_beat_a_large_one(session: Session) -> None:
    admin = make_user(session, app_role="admin")
    big, small = make_team(session, "Big"), make_team(session, "Small")
    bigs = [make_user(session, team=big) for _ in range(4)]
    smalls = [make_user(session, team=small) for _ in range(2)]
    challenge = launched(
        session, admin, team_ids=[big.id, small.id], format="team_battle", team_scoring="average"
    )
    ingest(
        session,
        *[e for rep in bigs[:2] for e in _calls(rep, 9, 10)],
        *[e for rep in smalls for e in _calls(rep, 9, 10)],
    )
    rows = team_rows(session, challenge)
    assert [(r.name, r.points, r.members) for r in rows] == [("Small", 20.0, 2), ("Big", 10.0, 4)]
    assert {w.user_id for w in FORMAT_RULES["team_battle"].winners(session, challenge)} == {
        r.id for r in smalls
    }


def test_team_sum_favours_the_larger_total(session: Session) -> None:
    admin = make_user(session, app_role="admin")
    big, small = make_team(session, "Big"), make_team(session, "Small")
    bigs = [make_user(session, team=big) for _ in range(4)]
    small_rep = make_user(session, team=small)
    challenge = launched(session, admin, team_ids=[big.id, small.id], format="team_battle")
    ingest(session, *[e for rep in bigs for e in _calls(rep, 9)], *_calls(small_rep, 9, 10))
    assert [r.name for r in team_rows(session, challenge)] == ["Big", "Small"]


def test_league_ranks_a_sales_role_among_itself(session: Session) -> None:
    admin = make_user(session, app_role="admin")
    team = make_team(session)
    ae = make_user(session, team=team, sales_role="AE")
    sdr = make_user(session, team=team, sales_role="SDR")
    challenge = launched(session, admin, team_ids=[team.id])
    ingest(session, *_calls(ae, 9, 10, 11), *_calls(sdr, 9))
    board = read_leaderboard(
        session, challenge, viewer=sdr, manager_view=False, now=END, league="SDR"
    )
    assert [(r.rank, r.user_id) for r in board.rows] == [(1, sdr.id)]


def test_most_improved_ranks_by_points_above_own_baseline(session: Session) -> None:
    admin = make_user(session, app_role="admin")
    team = make_team(session)
    veteran, newcomer = make_user(session, team=team), make_user(session, team=team)
    week_before = START - timedelta(days=3)
    ingest(
        session,
        *[
            event("activity.logged", veteran, week_before.replace(hour=h), kind="call")
            for h in range(9, 15)
        ],
    )
    challenge = launched(session, admin, team_ids=[team.id])
    ingest(session, *_calls(veteran, 9, 10, 11), *_calls(newcomer, 9, 10))
    assert participant_for(session, challenge.id, veteran.id).baseline == 60
    board = read_leaderboard(
        session, challenge, viewer=admin, manager_view=True, now=END, board="improved"
    )
    assert [(r.user_id, r.points) for r in board.rows] == [(newcomer.id, 20), (veteran.id, -30)]


def test_anonymised_rep_is_hidden_from_peers_but_not_from_themself(session: Session) -> None:
    admin = make_user(session, app_role="admin")
    team = make_team(session)
    shy, peer = (
        make_user(session, team=team, name="Shy"),
        make_user(session, team=team, name="Peer"),
    )
    set_preferences(session, shy.id, anonymised=True)
    challenge = launched(session, admin, team_ids=[team.id])
    ingest(session, *_calls(shy, 9))
    seen_by_peer = read_leaderboard(session, challenge, viewer=peer, manager_view=False, now=END)
    seen_by_self = read_leaderboard(session, challenge, viewer=shy, manager_view=False, now=END)
    assert (seen_by_peer.rows[0].name, seen_by_peer.rows[0].user_id) == (ANONYMOUS, None)
    assert seen_by_self.rows[0].name == "Shy"


def test_freeze_hides_standings_from_reps_until_the_end(session: Session) -> None:
    admin = make_user(session, app_role="admin")
    team = make_team(session)
    rep, other = make_user(session, team=team), make_user(session, team=team)
    challenge = launched(session, admin, team_ids=[team.id], freeze_at=END - timedelta(days=1))
    ingest(session, *_calls(rep, 9), *_calls(other, 9, 10))
    frozen = read_leaderboard(
        session, challenge, viewer=rep, manager_view=False, now=END - timedelta(hours=1)
    )
    assert frozen.frozen and [r.user_id for r in frozen.rows] == [rep.id]
    manager = read_leaderboard(
        session, challenge, viewer=admin, manager_view=True, now=END - timedelta(hours=1)
    )
    assert len(manager.rows) == 2
    finalize_challenge(session, challenge, now=END)
    assert (
        len(read_leaderboard(session, challenge, viewer=rep, manager_view=False, now=END).rows) == 2
    )


def test_race_is_won_by_the_first_to_reach_the_target(session: Session) -> None:
    admin = make_user(session, app_role="admin")
    team = make_team(session)
    slow, fast, never = (make_user(session, team=team) for _ in range(3))
    challenge = launched(session, admin, team_ids=[team.id], format="race", target=20, top_n=1)
    ingest(session, *_calls(slow, 10, 11, 12, 13), *_calls(fast, 9, 10), *_calls(never, 9))
    assert [w.user_id for w in FORMAT_RULES["race"].winners(session, challenge)] == [fast.id]


def test_threshold_is_won_by_everyone_who_reaches_the_target(session: Session) -> None:
    admin = make_user(session, app_role="admin")
    team = make_team(session)
    a, b, c = (make_user(session, team=team) for _ in range(3))
    challenge = launched(session, admin, team_ids=[team.id], format="threshold", target=20)
    ingest(session, *_calls(a, 9, 10), *_calls(b, 9, 10, 11), *_calls(c, 9))
    winners = FORMAT_RULES["threshold"].winners(session, challenge)
    assert {w.user_id for w in winners} == {a.id, b.id}


def test_opt_in_challenge_counts_only_reps_who_joined(session: Session) -> None:
    admin = make_user(session, app_role="admin")
    team = make_team(session)
    joiner, bystander = make_user(session, team=team), make_user(session, team=team)
    challenge = launched(session, admin, team_ids=[team.id], enrolment="opt_in")
    join_challenge(session, challenge, joiner, now=BEFORE)
    ingest(session, *_calls(joiner, 9), *_calls(bystander, 9))
    assert participant_for(session, challenge.id, joiner.id).points == 10
    assert participant_for(session, challenge.id, bystander.id) is None
    with pytest.raises(Conflict):
        join_challenge(session, challenge, joiner, now=BEFORE)


def test_only_the_audience_may_join(session: Session) -> None:
    admin = make_user(session, app_role="admin")
    team, elsewhere = make_team(session), make_team(session)
    outsider = make_user(session, team=elsewhere)
    challenge = launched(session, admin, team_ids=[team.id], enrolment="opt_in")
    with pytest.raises(Forbidden):
        join_challenge(session, challenge, outsider, now=BEFORE)


def test_a_manager_cannot_run_a_challenge_for_teams_they_do_not_manage(session: Session) -> None:
    manager = make_user(session, app_role="manager")
    mine, theirs = make_team(session, manager=manager), make_team(session)
    assert create_challenge(session, spec([mine.id]), manager, now=BEFORE).id
    with pytest.raises(Forbidden):
        create_challenge(session, spec([mine.id, theirs.id]), manager, now=BEFORE)


def test_overtaking_a_rep_tells_them(session: Session) -> None:
    admin = make_user(session, app_role="admin")
    team = make_team(session)
    leader, chaser = make_user(session, team=team), make_user(session, team=team)
    challenge = launched(session, admin, team_ids=[team.id])
    ingest(session, *_calls(leader, 9))
    changes = ingest(session, *_calls(chaser, 9, 10))
    assert [n.user_id for n in changes.notifications if n.kind == "overtaken"] == [leader.id]
    assert changes.standings[challenge.id] == {leader.id, chaser.id}
