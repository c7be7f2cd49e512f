"""What each slide of a wall shows the sales floor right now: read, never written, and only
what the wall link's owner may still see (a slide they lost access to is skipped).

A board shows its top rows as an onlooker sees them (anonymised reps stay anonymous), a team
battle its teams, a KPI tile one KPI with its target and status for this month or quarter, and
recent wins the deals won in the last week by the slide's teams.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from gameplay.boards.leaderboards import ANONYMOUS, BoardRow, TeamRow, team_rows, top_rows
from gameplay.channels.wall_screens import Playlist, Slide, SlideKind, slide_problem
from gameplay.core.access import audience_team_ids
from gameplay.core.lifecycle import is_frozen
from gameplay.core.models import Challenge, PlayerProfile
from kpi_engine.kpis.registry import KpiDefinition, definition
from kpi_engine.kpis.scorecards import scope_name, scorecard
from kpi_engine.org.models import Team, User
from kpi_engine.periods import Period, parse_period, quarter_of, zone
from kpi_engine.sales.dataframes import Scope
from kpi_engine.sales.models import Deal
from kpi_engine.words import N_, said

# A TV shows this many of a board's rows, scrolling through those below the first ten.
BOARD_ROWS = 30
RECENT_WINS = timedelta(days=7)
MOST_WINS = 12


@dataclass(frozen=True)
class BoardSlide:
    kind: str
    challenge: Challenge
    rows: list[BoardRow]
    frozen: bool


@dataclass(frozen=True)
class TeamSlide:
    kind: str
    challenge: Challenge
    rows: list[TeamRow]
    frozen: bool


@dataclass(frozen=True)
class KpiSlide:
    kind: str
    kpi: KpiDefinition
    scope: str
    period: Period
    value: float | None
    reason: str | None
    status: str
    target: float | None


@dataclass(frozen=True)
class Win:
    rep: str
    account: str | None
    amount: Decimal | None
    currency: str
    closed_at: datetime | None


@dataclass(frozen=True)
class WinsSlide:
    kind: str
    scope: str
    wins: list[Win]


SlideView = BoardSlide | TeamSlide | KpiSlide | WinsSlide


def shown_slides(
    session: Session, playlist: Playlist, owner: User, *, now: datetime, tz: str
) -> list[tuple[int, SlideView]]:
    """Each slide the owner may still show, with its place in the playlist."""
    return [
        (index, show_slide(session, playlist, slide, now=now, tz=tz))
        for index, slide in enumerate(playlist.slides)
        if slide_problem(session, owner, slide) is None
    ]


def show_slide(
    session: Session, playlist: Playlist, slide: Slide, *, now: datetime, tz: str
) -> SlideView:
    """What one slide shows now (the caller checked the owner may show it)."""
    if slide.kind in (SlideKind.BOARD, SlideKind.TEAM_BATTLE):
        return _board(session, slide, now)
    if slide.kind == SlideKind.KPI:
        return _kpi(session, slide, now, tz)
    return _wins(session, playlist, slide, now)


def _board(session: Session, slide: Slide, now: datetime) -> BoardSlide | TeamSlide:
    challenge = session.get_one(Challenge, slide.challenge_id)
    frozen = is_frozen(challenge, now)
    if slide.kind == SlideKind.TEAM_BATTLE:
        teams = [] if frozen else team_rows(session, challenge)
        return TeamSlide(slide.kind, challenge, teams, frozen)
    rows = (
        [] if frozen else top_rows(session, challenge, viewer_id=0, reveal=False, limit=BOARD_ROWS)
    )
    return BoardSlide(slide.kind, challenge, rows, frozen)


def _kpi(session: Session, slide: Slide, now: datetime, tz: str) -> KpiSlide:
    kpi = definition(slide.kpi or "")
    scope = Scope("team", str(slide.team_id)) if slide.team_id else Scope("org")
    period = _period(slide.period, now, tz)
    row = scorecard(session, scope, period, now=now, keys=[kpi.key]).row(kpi.key)
    target = row.threshold.target if row.threshold and row.threshold.source == "set" else None
    return KpiSlide(
        slide.kind,
        kpi,
        scope_name(session, scope),
        period,
        row.measure.value,
        row.measure.reason,
        row.status,
        target,
    )


def _period(kind: str | None, now: datetime, tz: str) -> Period:
    if kind == "quarter":
        return quarter_of(now, tz)
    local = now.astimezone(zone(tz))
    return parse_period(f"{local.year}-{local.month:02d}", tz)


def _wins(session: Session, playlist: Playlist, slide: Slide, now: datetime) -> WinsSlide:
    teams = {slide.team_id} if slide.team_id else wall_teams(session, playlist)
    query = (
        select(
            User.name,
            PlayerProfile.anonymised,
            Deal.account,
            Deal.amount,
            Deal.currency,
            Deal.closed_at,
        )
        .join(User, User.id == Deal.owner_id)
        .outerjoin(PlayerProfile, PlayerProfile.user_id == User.id)
        .where(
            Deal.status == "won",
            Deal.closed_at >= now - RECENT_WINS,
            User.team_id.in_(teams),
        )
        .order_by(Deal.closed_at.desc(), Deal.id.desc())
        .limit(MOST_WINS)
    )
    # A rep who chose to be anonymous on boards is anonymous on the floor's TV too.
    wins = [
        Win(ANONYMOUS if row.anonymised else row.name, row.account, row.amount, row.currency,
            row.closed_at)
        for row in session.execute(query)
    ]  # fmt: skip
    return WinsSlide(slide.kind, _teams_name(session, teams), wins)


def wall_teams(session: Session, playlist: Playlist) -> set[int]:
    """The teams a wall speaks for: its challenge's, its boards' and its slides' own."""
    teams: set[int] = set()
    boards = {s.challenge_id for s in playlist.slides if s.challenge_id}
    for challenge_id in {playlist.wall_id} | boards:
        challenge = session.get(Challenge, challenge_id)
        if challenge is not None:
            teams |= audience_team_ids(session, challenge)
    return teams | {s.team_id for s in playlist.slides if s.team_id is not None}


def _teams_name(session: Session, team_ids: set[int]) -> str:
    names = sorted(session.scalars(select(Team.name).where(Team.id.in_(team_ids))))
    if len(names) <= 3:
        return ", ".join(names) or N_("no team")
    return said(N_("%(names)s and %(count)s more teams"), names=", ".join(names[:2]),
                count=len(names) - 2)  # fmt: skip
