"""A team's chat channels (Slack, Microsoft Teams) reached by incoming webhook, and which kinds
of news each one wants.

The webhook URL is a secret (anyone holding it may post into the channel), so it is stored
sealed by a cipher the caller hands in, and shown back only as its host and last characters.
Only an admin, or a manager of the team, connects, changes or disconnects a team's channel.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    String,
    Text,
    UniqueConstraint,
    select,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from gameplay.channels.deliveries import Delivery, DeliveryStatus
from gameplay.core.access import may_manage_team
from kpi_engine.db import Base, Choices, UTCDateTime, utcnow
from kpi_engine.errors import Forbidden, NotFound
from kpi_engine.org.membership import managed_team_ids
from kpi_engine.org.models import Team, User
from kpi_engine.words import N_


class ChannelKind(Choices):
    SLACK = "slack"
    TEAMS = "teams"


CHANNEL_NAMES = {"slack": "Slack", "teams": "Microsoft Teams"}
# The kinds of news a channel may take, each switched on or off per channel.
NEWS_KINDS = ("wins", "challenges", "lead_changes", "missions")
NEWS_NAMES = {
    "wins": N_("Deals won"),
    "challenges": N_("Challenge start and end"),
    "lead_changes": N_("Lead changes"),
    "missions": N_("Finished missions"),
}


class TeamChannel(Base):
    """One team's Slack or Teams channel; at most one of each kind per team."""

    __tablename__ = "team_channel"
    __table_args__ = (
        UniqueConstraint("team_id", "kind", name="uq_team_channel_team_kind"),
        ChannelKind.check("kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(8))
    webhook_sealed: Mapped[str] = mapped_column(Text)
    webhook_hint: Mapped[str] = mapped_column(String(300))
    wins: Mapped[bool] = mapped_column(Boolean, default=True)
    challenges: Mapped[bool] = mapped_column(Boolean, default=True)
    lead_changes: Mapped[bool] = mapped_column(Boolean, default=True)
    missions: Mapped[bool] = mapped_column(Boolean, default=True)
    connected_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    connected_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    def wants(self, news: str) -> bool:
        return bool(getattr(self, news))


class ChannelPost(Delivery, Base):
    """The outbox: a message for one channel, written in the transaction that made the news,
    so a rolled-back change leaves nothing to send. The sender marks it sent or failed."""

    __tablename__ = "channel_post"
    __table_args__ = (DeliveryStatus.check("status"),)

    channel_id: Mapped[int] = mapped_column(
        ForeignKey("team_channel.id", ondelete="CASCADE"), index=True
    )
    news: Mapped[str] = mapped_column(String(20))
    body: Mapped[dict[str, Any]] = mapped_column(JSON)


class ChallengeHeadline(Base):
    """What the channels were last told about a challenge (its start, its end, its leader),
    so each piece of news goes out once however many commits touch the challenge; and who led
    when the wall screens last looked ("wall_leader", gameplay/channels/wall_moments.py)."""

    __tablename__ = "challenge_headline"

    challenge_id: Mapped[int] = mapped_column(
        ForeignKey("challenge.id", ondelete="CASCADE"), primary_key=True
    )
    # started, ended, leader, wall_leader
    news: Mapped[str] = mapped_column(String(20), primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    at: Mapped[datetime] = mapped_column(UTCDateTime())


def webhook_hint(url: str) -> str:
    """How a stored webhook is shown back: its host and its last four characters."""
    return f"{urlsplit(url).hostname or '?'} …{url[-4:]}"


def team_channels(session: Session, actor: User) -> list[tuple[Team, list[TeamChannel]]]:
    """The teams the actor manages (every team for an admin), each with its channels."""
    teams = managed_team_ids(session, actor)
    rows = session.scalars(select(Team).where(Team.id.in_(teams)).order_by(Team.name)).all()
    channels = session.scalars(
        select(TeamChannel).where(TeamChannel.team_id.in_(teams)).order_by(TeamChannel.kind)
    ).all()
    return [(team, [c for c in channels if c.team_id == team.id]) for team in rows]


def connect_channel(
    session: Session,
    actor: User,
    *,
    team_id: int,
    kind: str,
    url: str,
    seal: Callable[[str], str],
    now: datetime,
) -> TeamChannel:
    """Connect (or re-point) a team's Slack or Teams channel; the URL is kept sealed."""
    team = _managed_team(session, actor, team_id)
    channel = session.scalar(
        select(TeamChannel).where(TeamChannel.team_id == team.id, TeamChannel.kind == kind)
    )
    if channel is None:
        channel = TeamChannel(team_id=team.id, kind=kind)
        session.add(channel)
    channel.webhook_sealed, channel.webhook_hint = seal(url), webhook_hint(url)
    channel.connected_by_id, channel.connected_at = actor.id, now
    session.flush()
    return channel


def change_channel_news(
    session: Session, actor: User, channel_id: int, wanted: set[str]
) -> TeamChannel:
    """Switch each kind of news on (in `wanted`) or off for one channel."""
    channel = managed_channel(session, actor, channel_id)
    for news in NEWS_KINDS:
        setattr(channel, news, news in wanted)
    session.flush()
    return channel


def disconnect_channel(session: Session, actor: User, channel_id: int) -> TeamChannel:
    """Forget a channel and its unsent posts."""
    channel = managed_channel(session, actor, channel_id)
    session.delete(channel)
    session.flush()
    return channel


def managed_channel(session: Session, actor: User, channel_id: int) -> TeamChannel:
    """A channel of a team the actor manages; NotFound or Forbidden otherwise."""
    channel = session.get(TeamChannel, channel_id)
    if channel is None:
        raise NotFound(N_("no channel %(id)s"), id=str(channel_id))
    _managed_team(session, actor, channel.team_id)
    return channel


def _managed_team(session: Session, actor: User, team_id: int) -> Team:
    team = session.get(Team, team_id)
    if team is None:
        raise NotFound(N_("no such team"), {"team_id": [N_("unknown team")]})
    if not may_manage_team(session, actor, team.id):
        raise Forbidden(
            N_("you do not manage %(team)s, so you may not change its channels"),
            {"team_id": [N_("not a team you manage")]},
            team=team.name,
        )

    return team
