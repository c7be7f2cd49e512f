"""The organisation: teams, users and their API tokens."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Index,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kpi_engine.db import Base, Choices, UTCDateTime, utcnow


class AppRole(Choices):
    REP = "rep"
    MANAGER = "manager"
    ADMIN = "admin"


class SalesRole(Choices):
    SDR = "SDR"
    AE = "AE"
    AM = "AM"
    CSM = "CSM"


class Team(Base):
    __tablename__ = "team"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    region: Mapped[str | None] = mapped_column(String(120))
    # use_alter breaks the team <-> user foreign-key cycle so both tables can be created.
    manager_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", use_alter=True, ondelete="SET NULL")
    )

    manager: Mapped[User | None] = relationship(foreign_keys=[manager_id])
    members: Mapped[list[User]] = relationship(
        back_populates="team", foreign_keys="User.team_id", order_by="User.name"
    )


class User(Base):
    __tablename__ = "user"
    __table_args__ = (
        AppRole.check("app_role"),
        SalesRole.check("sales_role", nullable=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str | None] = mapped_column(String(256))
    app_role: Mapped[str] = mapped_column(String(16), default="rep")
    sales_role: Mapped[str | None] = mapped_column(String(8))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id", ondelete="SET NULL"))
    crm_user_id: Mapped[str | None] = mapped_column(String(120), unique=True)
    hire_date: Mapped[date | None] = mapped_column(Date)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # A login session is valid while it carries this number; raising it ends them all.
    session_version: Mapped[int] = mapped_column(default=0, server_default="0")
    # The language this person chose to read the product in; None follows the organisation.
    locale: Mapped[str | None] = mapped_column(String(16))
    # The supported language their browser asked for when they last logged in: what is written
    # to them outside a request (notifications, pushes) falls back to it after their choice and
    # the organisation's default, as their pages do to the browser's.
    browser_locale: Mapped[str | None] = mapped_column(String(16))

    team: Mapped[Team | None] = relationship(back_populates="members", foreign_keys=[team_id])

    # Flask-Login reads these four attributes; plain properties keep the model framework-free.
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return str(self.id)


class ApiToken(Base):
    """A personal token for integrations; only its SHA-256 digest is stored."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120), default="integration")
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship()


class PastMembership(Base):
    """A stretch a user spent in a team before the one they are in now (User.team_id): from
    started_at (None: from the start of their history) until ended_at, when they moved.

    Only moves write these rows, so a user who never moved has none and is in their current
    team for all time; a team scope reads a deal at its date through them
    (kpi_engine.org.history)."""

    __tablename__ = "past_membership"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id", ondelete="SET NULL"))
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime] = mapped_column(UTCDateTime())


class OrgAction(Choices):
    TEAM_CREATED = "team.created"
    TEAM_CHANGED = "team.changed"
    USER_CREATED = "user.created"
    USER_CHANGED = "user.changed"


class OrgChange(Base):
    """One audited change to a person or a team: who made it, when, and each changed field's
    value before and after, as people read them (names, not ids), kept even if renamed later."""

    __tablename__ = "org_change"
    __table_args__ = (OrgAction.check("action"), Index("ix_org_change_at", "at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    # Who, as they were called then: a person, "command line", or the import that added people.
    actor_name: Mapped[str] = mapped_column(String(254))
    action: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"), index=True
    )
    team_id: Mapped[int | None] = mapped_column(
        ForeignKey("team.id", ondelete="SET NULL"), index=True
    )
    before: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    after: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    user: Mapped[User | None] = relationship(foreign_keys=[user_id])
    team: Mapped[Team | None] = relationship(foreign_keys=[team_id])
