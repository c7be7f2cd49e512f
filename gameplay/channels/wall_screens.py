"""A wall screen's playlist: what the sales floor's TV shows in turn (boards, a team battle, a
KPI tile, recent wins), how long each slide stays, and how big a won deal must be to interrupt.

A wall belongs to the challenge whose wall-screen links open it (web/wall_links.py); until its
manager sets a playlist up it shows that challenge's board alone. Everything on a playlist is
checked against the person who sets it up (a board they may see, a team they manage, the whole
organisation only for an admin), and again against the link's owner whenever the TV reads it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, Numeric
from sqlalchemy.orm import Mapped, Session, mapped_column

from gameplay.core.access import may_manage_team, may_view_challenge
from gameplay.core.models import Challenge
from gameplay.manage.challenges import managed_challenge
from kpi_engine.db import Base, Choices, UTCDateTime
from kpi_engine.errors import Invalid
from kpi_engine.kpis.registry import REGISTRY
from kpi_engine.org.models import User
from kpi_engine.words import N_, said

DEFAULT_SECONDS = 20
DEFAULT_BIG_DEAL = Decimal(10_000)
MOST_SLIDES = 8


class SlideKind(Choices):
    BOARD = "board"
    TEAM_BATTLE = "team_battle"
    KPI = "kpi"
    WINS = "wins"


class KpiPeriod(Choices):
    MONTH = "month"
    QUARTER = "quarter"


SLIDE_NAMES = {
    "board": N_("Leaderboard"),
    "team_battle": N_("Team battle"),
    "kpi": N_("KPI tile"),
    "wins": N_("Recent wins"),
}


@dataclass(frozen=True)
class Slide:
    """One slide: a challenge's board or team battle, a KPI of a team (or of the whole
    organisation) this month or quarter, or the deals a team (or the wall's teams) won lately."""

    kind: str
    challenge_id: int | None = None
    kpi: str | None = None
    team_id: int | None = None
    period: str | None = None


@dataclass(frozen=True)
class Playlist:
    wall_id: int  # the challenge whose links open the wall
    slides: tuple[Slide, ...]
    seconds: int
    big_deal: Decimal | None  # None: deals never interrupt
    set_up: bool  # False: nobody chose yet; the wall shows its own board


class WallScreen(Base):
    """The playlist a manager chose for a challenge's wall screen."""

    __tablename__ = "wall_screen"

    challenge_id: Mapped[int] = mapped_column(
        ForeignKey("challenge.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    seconds_per_slide: Mapped[int] = mapped_column(Integer, default=DEFAULT_SECONDS)
    big_deal_amount: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    slides: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime())


def playlist_of(session: Session, wall_id: int) -> Playlist:
    """The wall's playlist, or its own board alone when nobody set one up."""
    row = session.get(WallScreen, wall_id)
    if row is None:
        own = (Slide(SlideKind.BOARD, challenge_id=wall_id),)
        return Playlist(wall_id, own, DEFAULT_SECONDS, DEFAULT_BIG_DEAL, False)
    slides = tuple(Slide(**slide) for slide in row.slides)
    return Playlist(wall_id, slides, row.seconds_per_slide, row.big_deal_amount, True)


def set_playlist(
    session: Session,
    actor: User,
    wall_id: int,
    slides: Sequence[Slide],
    *,
    seconds: int,
    big_deal: Decimal | None,
    now: datetime,
) -> Playlist:
    """Choose what the wall shows; Invalid names each slide the actor may not put on it."""
    managed_challenge(session, wall_id, actor)
    problems = {
        f"slides.{index}": [problem]
        for index, slide in enumerate(slides)
        if (problem := slide_problem(session, actor, slide))
    }
    if not slides:
        problems["slides"] = [N_("add at least one slide")]
    elif len(slides) > MOST_SLIDES:
        problems["slides"] = [said(N_("a wall shows at most %(most)s slides"), most=MOST_SLIDES)]
    if problems:
        raise Invalid(N_("some slides cannot go on this wall"), problems)

    row = session.get(WallScreen, wall_id) or WallScreen(challenge_id=wall_id)
    row.slides = [_stored(slide) for slide in slides]
    row.seconds_per_slide, row.big_deal_amount = seconds, big_deal
    row.changed_by_id, row.changed_at = actor.id, now
    session.add(row)
    session.flush()
    return playlist_of(session, wall_id)


def slide_problem(session: Session, viewer: User, slide: Slide) -> str | None:
    """Why `viewer` may not have this slide on a wall, in words; None when they may."""
    if slide.kind in (SlideKind.BOARD, SlideKind.TEAM_BATTLE):
        return _challenge_problem(session, viewer, slide)
    if slide.kind == SlideKind.KPI:
        if slide.kpi not in REGISTRY:
            return N_("choose a KPI")
        if slide.period not in KpiPeriod.values():
            return N_("choose this month or this quarter")
        if slide.team_id is None and viewer.app_role != "admin":
            return N_("choose one of your teams (the whole organisation is for admins)")
    if slide.kind not in SlideKind.values():
        return N_("choose what the slide shows")
    if slide.team_id is not None and not may_manage_team(session, viewer, slide.team_id):
        return N_("choose a team you manage")
    return None


def shown_boards(session: Session, playlist: Playlist, viewer: User) -> set[int]:
    """The challenges whose boards (or team battles) the playlist shows and `viewer` may see."""
    return {
        s.challenge_id
        for s in playlist.slides
        if s.challenge_id is not None and slide_problem(session, viewer, s) is None
    }


def _challenge_problem(session: Session, viewer: User, slide: Slide) -> str | None:
    challenge = session.get(Challenge, slide.challenge_id) if slide.challenge_id else None
    if challenge is None or not may_view_challenge(session, viewer, challenge):
        return N_("choose a challenge you can see")
    if slide.kind == SlideKind.TEAM_BATTLE and challenge.format != "team_battle":
        return said(
            N_("%(name)s is not a team battle; show it as a leaderboard"), name=challenge.name
        )
    return None


def _stored(slide: Slide) -> dict[str, Any]:
    return {k: v for k, v in asdict(slide).items() if v is not None}
