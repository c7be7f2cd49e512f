"""Wall screens in the domain: the playlist a manager may set up (each refusal named by slide),
what each slide shows the floor, and the moments that interrupt it (a lead taken, a big deal)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy.orm import Session

from gameplay.channels.wall_moments import board_ids, note_leaders, wall_moments
from gameplay.channels.wall_screens import Slide, playlist_of, set_playlist
from gameplay.channels.wall_slides import BoardSlide, KpiSlide, TeamSlide, WinsSlide, shown_slides
from gameplay.core.changes import Moment
from gameplay.scoring.engine import record_sales_events
from gameplay.scoring.profiles import set_preferences
from kpi_engine.errors import Invalid, NotFound
from tests.domain.game_setup import START, launched
from tests.factories import event, make_team, make_user

LIVE = START + timedelta(days=1)


def _org(session: Session):
    manager = make_user(session, app_role="manager")
    team = make_team(session, name="Hunters", manager=manager)
    ana = make_user(session, name="Ana Ruiz", team=team)
    ben = make_user(session, name="Ben Ode", team=team)
    return manager, team, ana, ben


def _moments(session: Session, wall_id: int, *events, now=LIVE) -> list[Moment]:
    result, changes = record_sales_events(session, list(events), source="api", now=now)
    won = [t.deal for t in result.deal_transitions if t.became_won]
    return wall_moments(session, changes, walls={wall_id}, won=won, now=now)


def _calls(rep, n: int, at=LIVE):
    return [event("activity.logged", rep, at + timedelta(minutes=i), kind="call") for i in range(n)]


def test_a_wall_nobody_set_up_shows_its_own_board(session: Session) -> None:
    manager, team, *_ = _org(session)
    blitz = launched(session, manager, team_ids=[team.id])
    playlist = playlist_of(session, blitz.id)
    assert (playlist.slides, playlist.set_up) == ((Slide("board", challenge_id=blitz.id),), False)


def test_a_playlist_refuses_each_slide_the_manager_may_not_show_naming_it(
    session: Session,
) -> None:
    manager, team, *_ = _org(session)
    other = make_team(session, manager=make_user(session, app_role="manager"))
    blitz = launched(session, manager, team_ids=[team.id])
    elsewhere = launched(session, other.manager, team_ids=[other.id], name="Other blitz")
    slides = [
        Slide("board", challenge_id=blitz.id),
        Slide("board", challenge_id=elsewhere.id),
        Slide("team_battle", challenge_id=blitz.id),
        Slide("kpi", kpi="win_rate", period="month"),
        Slide("kpi", kpi="win_rate", team_id=other.id, period="month"),
        Slide("kpi", kpi="no_such_kpi", team_id=team.id, period="month"),
        Slide("wins", team_id=other.id),
    ]
    with pytest.raises(Invalid) as refused:
        set_playlist(session, manager, blitz.id, slides, seconds=20, big_deal=None, now=LIVE)
    assert refused.value.fields == {
        "slides.1": ["choose a challenge you can see"],
        "slides.2": ["March blitz is not a team battle; show it as a leaderboard"],
        "slides.3": ["choose one of your teams (the whole organisation is for admins)"],
        "slides.4": ["choose a team you manage"],
        "slides.5": ["choose a KPI"],
        "slides.6": ["choose a team you manage"],
    }
    with pytest.raises(Invalid) as empty:
        set_playlist(session, manager, blitz.id, [], seconds=20, big_deal=None, now=LIVE)
    assert empty.value.fields == {"slides": ["add at least one slide"]}
    with pytest.raises(NotFound):  # another team's challenge is not even visible
        set_playlist(
            session, manager, elsewhere.id, slides[:1], seconds=20, big_deal=None, now=LIVE
        )
    assert not playlist_of(session, blitz.id).set_up


def test_the_slides_show_the_board_the_team_battle_a_kpi_and_recent_wins(session: Session) -> None:
    manager, team, ana, ben = _org(session)
    rivals = make_team(session, name="Closers", manager=manager)
    cy = make_user(session, name="Cy Vale", team=rivals)
    blitz = launched(session, manager, team_ids=[team.id])
    battle = launched(
        session, manager, team_ids=[team.id, rivals.id], format="team_battle", name="Battle"
    )
    slides = [
        Slide("board", challenge_id=blitz.id),
        Slide("team_battle", challenge_id=battle.id),
        Slide("kpi", kpi="revenue_won", team_id=team.id, period="month"),
        Slide("wins"),
    ]
    set_playlist(session, manager, blitz.id, slides, seconds=15, big_deal=Decimal(5000), now=LIVE)
    set_preferences(session, ben.id, anonymised=True)
    _moments(session, blitz.id, *_calls(ana, 2), *_calls(cy, 3))
    record_sales_events(
        session,
        [
            event("deal.won", ben, LIVE, deal_id="D1", account="Acme", amount=7000),
            event("deal.won", cy, LIVE, deal_id="D2", account="Globex", amount=900),
        ],
        source="api",
        now=LIVE,
    )
    shown = dict(shown_slides(session, playlist_of(session, blitz.id), manager, now=LIVE, tz="UTC"))
    board, teams, kpi, wins = (shown[i] for i in range(4))
    assert isinstance(board, BoardSlide) and [r.name for r in board.rows[:2]] == [
        "Ana Ruiz",
        "Anonymous rep",
    ]
    assert isinstance(teams, TeamSlide) and [r.name for r in teams.rows] == ["Closers", "Hunters"]
    assert isinstance(kpi, KpiSlide) and (kpi.scope, kpi.value) == ("Hunters", 7000.0)
    assert isinstance(wins, WinsSlide)
    # Newest first; Ben chose to be anonymous on boards, and the TV keeps it.
    assert [(w.rep, w.account) for w in wins.wins] == [
        ("Cy Vale", "Globex"),
        ("Anonymous rep", "Acme"),
    ]
    assert wins.scope == "Closers, Hunters"


def test_a_slide_its_links_owner_may_no_longer_see_is_skipped(session: Session) -> None:
    manager, team, *_ = _org(session)
    blitz = launched(session, manager, team_ids=[team.id])
    slides = [Slide("board", challenge_id=blitz.id), Slide("wins", team_id=team.id)]
    playlist = set_playlist(session, manager, blitz.id, slides, seconds=20, big_deal=None, now=LIVE)
    team.manager = make_user(session, app_role="manager")
    session.flush()
    assert shown_slides(session, playlist, manager, now=LIVE, tz="UTC") == []


def test_a_wall_cheers_when_someone_takes_the_lead_after_it_started_watching(
    session: Session,
) -> None:
    manager, team, ana, ben = _org(session)
    blitz = launched(session, manager, team_ids=[team.id])
    note_leaders(session, board_ids(playlist_of(session, blitz.id)), now=LIVE)
    first = _moments(session, blitz.id, *_calls(ana, 1))
    values = (("name", "Ana Ruiz"), ("challenge", "March blitz"), ("points", 10))
    assert first == [
        Moment(
            blitz.id, "lead", "Ana Ruiz takes the lead", "March blitz · 10 points", values=values
        )
    ]
    assert _moments(session, blitz.id, *_calls(ana, 1, LIVE + timedelta(hours=1))) == []
    passed = _moments(session, blitz.id, *_calls(ben, 3, LIVE + timedelta(hours=2)))
    assert [m.title for m in passed] == ["Ben Ode takes the lead"]


def test_a_wall_that_never_looked_notes_the_leader_without_cheering(session: Session) -> None:
    manager, team, ana, _ = _org(session)
    blitz = launched(session, manager, team_ids=[team.id])
    assert _moments(session, blitz.id, *_calls(ana, 1)) == []
    assert _moments(session, blitz.id, *_calls(ana, 1, LIVE + timedelta(hours=1))) == []


def test_no_lead_is_cheered_on_a_frozen_board_or_a_wall_not_in_force(session: Session) -> None:
    manager, team, ana, _ = _org(session)
    frozen = launched(session, manager, team_ids=[team.id], freeze_at=START + timedelta(hours=1))
    note_leaders(session, [frozen.id], now=LIVE)
    assert _moments(session, frozen.id, *_calls(ana, 1)) == []
    _, changes = record_sales_events(
        session, _calls(ana, 1, LIVE + timedelta(hours=1)), source="api", now=LIVE
    )
    assert wall_moments(session, changes, walls=set(), now=LIVE) == []


def test_a_big_deal_by_a_rep_of_the_walls_teams_is_cheered_and_a_small_one_is_not(
    session: Session,
) -> None:
    manager, team, ana, _ = _org(session)
    outsider = make_user(session, name="Out Sider", team=make_team(session))
    blitz = launched(session, manager, team_ids=[team.id])
    own = [Slide("board", challenge_id=blitz.id)]
    set_playlist(session, manager, blitz.id, own, seconds=20, big_deal=Decimal(5000), now=LIVE)
    won = [
        event("deal.won", ana, LIVE, deal_id="B1", account="Acme", amount=12000, currency="EUR"),
        event("deal.won", ana, LIVE, deal_id="B2", account="Tiny", amount=4999),
        event("deal.won", outsider, LIVE, deal_id="B3", account="Elsewhere", amount=90000),
    ]
    assert _moments(session, blitz.id, *won) == [
        Moment(blitz.id, "big_deal", "Ana Ruiz won Acme", "12,000 EUR",
               values=(("name", "Ana Ruiz"), ("account", "Acme"), ("currency", "EUR"),
                       ("amount", 12000.0)))
    ]  # fmt: skip
    set_playlist(session, manager, blitz.id, own, seconds=20, big_deal=None, now=LIVE)
    again = event("deal.won", ana, LIVE, deal_id="B4", account="Initech", amount=50000)
    assert _moments(session, blitz.id, again) == []
