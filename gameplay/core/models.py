"""The game's tables: challenges, rules, missions, participants and their standings, the
append-only points ledger, proofs, badges, levels, rewards, redemptions, game preferences."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kpi_engine.db import Base, Choices, UTCDateTime, utcnow


class ChallengeKind(Choices):
    ONBOARDING = "onboarding"
    UPSELL = "upsell"
    PROSPECTING = "prospecting"
    CUSTOM = "custom"


class ChallengeFormat(Choices):
    LEADERBOARD = "leaderboard"
    RACE = "race"
    THRESHOLD = "threshold"
    TEAM_BATTLE = "team_battle"


class TeamScoring(Choices):
    SUM = "sum"
    AVERAGE = "average"


class Enrolment(Choices):
    AUTO = "auto"
    OPT_IN = "opt_in"


class FactType(Choices):
    ACTIVITY = "activity"
    DEAL_WON = "deal_won"


class ProofStatus(Choices):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class RedemptionStatus(Choices):
    REQUESTED = "requested"
    FULFILLED = "fulfilled"
    CANCELLED = "cancelled"


class Challenge(Base):
    """A time-boxed game; status is derived from the clock and launched/cancelled/finalized_at."""

    __tablename__ = "challenge"
    __table_args__ = (
        ChallengeKind.check("kind"),
        ChallengeFormat.check("format"),
        Enrolment.check("enrolment"),
        TeamScoring.check("team_scoring"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(160))
    description: Mapped[str | None] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(16), default="custom")
    format: Mapped[str] = mapped_column(String(16), default="leaderboard")
    team_scoring: Mapped[str] = mapped_column(String(8), default="sum")
    target: Mapped[int | None] = mapped_column(Integer)
    top_n: Mapped[int] = mapped_column(Integer, default=3)
    ordered_missions: Mapped[bool] = mapped_column(Boolean, default=False)
    quota_normalised: Mapped[bool] = mapped_column(Boolean, default=False)
    quotas: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    freeze_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    audience: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    enrolment: Mapped[str] = mapped_column(String(8), default="auto")
    reward_budget: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    budget_spent: Mapped[Decimal] = mapped_column(Numeric(14, 2), default=Decimal(0))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    launched_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finalized_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Increases whenever the standings change, so live clients can drop stale frames.
    version: Mapped[int] = mapped_column(Integer, default=0)
    # The share of the audience kept out at launch (a randomised holdout), and the seed its
    # draw used; the draw itself is in challenge_assignment.
    holdout_share: Mapped[Decimal | None] = mapped_column(Numeric(4, 3))
    holdout_seed: Mapped[int | None] = mapped_column(Integer)

    rules: Mapped[list[ScoringRule]] = relationship(
        back_populates="challenge", cascade="all, delete-orphan", order_by="ScoringRule.id"
    )
    missions: Mapped[list[Mission]] = relationship(
        back_populates="challenge", cascade="all, delete-orphan", order_by="Mission.position"
    )
    rewards: Mapped[list[Reward]] = relationship(
        back_populates="challenge", cascade="all, delete-orphan", order_by="Reward.id"
    )
    assignments: Mapped[list[Assignment]] = relationship(
        cascade="all, delete-orphan", order_by="Assignment.user_id"
    )

    @property
    def held_out_ids(self) -> frozenset[int]:
        """The reps the holdout draw kept out: the challenge is not theirs to see."""
        if not self.holdout_share:  # no draw: spare every read of a board the query
            return frozenset()
        return frozenset(a.user_id for a in self.assignments if a.arm == "holdout")


class Arm(Choices):
    TREATED = "treated"
    HOLDOUT = "holdout"


class Assignment(Base):
    """One audience member's side in a challenge's holdout draw at launch: kept in (treated) or
    kept out (holdout), with the stratum (team, sales role, tenure) it was drawn within."""

    __tablename__ = "challenge_assignment"
    __table_args__ = (Arm.check("arm"),)

    challenge_id: Mapped[int] = mapped_column(
        ForeignKey("challenge.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    arm: Mapped[str] = mapped_column(String(8))
    stratum: Mapped[str] = mapped_column(String(160))


class EventCriteria:
    """Which sales facts a rule or mission counts: type, then optional filters."""

    fact: Mapped[str] = mapped_column(String(12), default="activity")
    activity_kind: Mapped[str | None] = mapped_column(String(16))
    outcome: Mapped[str | None] = mapped_column(String(24))
    product: Mapped[str | None] = mapped_column(String(200))
    segment: Mapped[str | None] = mapped_column(String(120))
    min_amount: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))


class ScoringRule(EventCriteria, Base):
    """Points for each matching fact: fixed or per amount, multipliers, a daily cap, a gap."""

    __tablename__ = "scoring_rule"

    id: Mapped[int] = mapped_column(primary_key=True)
    challenge_id: Mapped[int] = mapped_column(
        ForeignKey("challenge.id", ondelete="CASCADE"), index=True
    )
    points: Mapped[int] = mapped_column(Integer, default=0)
    points_per_amount: Mapped[Decimal | None] = mapped_column(Numeric(12, 6))
    multiplier: Mapped[Decimal] = mapped_column(Numeric(6, 2), default=Decimal(1))
    multiplier_from: Mapped[datetime | None] = mapped_column(UTCDateTime())
    multiplier_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    existing_account_multiplier: Mapped[Decimal | None] = mapped_column(Numeric(6, 2))
    daily_cap: Mapped[int | None] = mapped_column(Integer)
    min_gap_minutes: Mapped[int | None] = mapped_column(Integer)

    challenge: Mapped[Challenge] = relationship(back_populates="rules")


class Mission(EventCriteria, Base):
    """A step of a challenge: automatic (count or sum of facts) or manual (a reviewed proof)."""

    __tablename__ = "mission"

    id: Mapped[int] = mapped_column(primary_key=True)
    challenge_id: Mapped[int] = mapped_column(
        ForeignKey("challenge.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)
    name: Mapped[str] = mapped_column(String(160))
    manual: Mapped[bool] = mapped_column(Boolean, default=False)
    measure: Mapped[str] = mapped_column(String(8), default="count")
    target: Mapped[int] = mapped_column(Integer, default=1)
    points: Mapped[int] = mapped_column(Integer, default=0)
    badge: Mapped[str | None] = mapped_column(String(40))

    challenge: Mapped[Challenge] = relationship(back_populates="missions")


class Participant(Base):
    """A rep enrolled in a challenge, with the standing maintained on every ledger entry."""

    __tablename__ = "participant"
    __table_args__ = (
        UniqueConstraint("challenge_id", "user_id", name="uq_participant_challenge_user"),
        Index("ix_participant_board", "challenge_id", "points", "reached_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    challenge_id: Mapped[int] = mapped_column(ForeignKey("challenge.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id", ondelete="SET NULL"))
    sales_role: Mapped[str | None] = mapped_column(String(8))
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    points: Mapped[int] = mapped_column(Integer, default=0)
    # When the current score was reached (sales time): breaks ties on the podium.
    reached_at: Mapped[datetime] = mapped_column(UTCDateTime())
    target_reached_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    rank: Mapped[int] = mapped_column(Integer, default=1)
    baseline: Mapped[int] = mapped_column(Integer, default=0)
    # When they came into the audience of a launched challenge by a change (a move to one of
    # its teams), and when they left it (moved away, changed role, were deactivated): only what
    # happened in between counts here; their points from before they left stay on the board.
    entered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    left_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[Any] = relationship("User")


class MissionProgress(Base):
    __tablename__ = "mission_progress"
    __table_args__ = (
        UniqueConstraint("mission_id", "user_id", name="uq_mission_progress_mission_user"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    mission_id: Mapped[int] = mapped_column(ForeignKey("mission.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    value: Mapped[Decimal] = mapped_column(Numeric(14, 2), default=Decimal(0))
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Proof(Base):
    """Evidence for a manual mission; a manager other than the submitter approves or rejects."""

    __tablename__ = "proof"
    __table_args__ = (ProofStatus.check("status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    mission_id: Mapped[int] = mapped_column(ForeignKey("mission.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    text: Mapped[str | None] = mapped_column(Text)
    link: Mapped[str | None] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(8), default="pending")
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    comment: Mapped[str | None] = mapped_column(Text)


# A prize's bonus points, given once the challenge has ended: they count for the rep's lifetime
# total and balance, not on the board, whose final standings the winners were named by.
PRIZE = "award"


class LedgerEntry(Base):
    """One append-only movement of points; a correction is a new entry that reverses one."""

    __tablename__ = "ledger_entry"
    __table_args__ = (
        Index("ix_ledger_entry_scope", "challenge_id", "user_id", "rule_id", "occurred_at"),
        Index("ix_ledger_entry_source", "challenge_id", "source_ref"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    challenge_id: Mapped[int] = mapped_column(ForeignKey("challenge.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    points: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(12))  # rule, mission, reversal, adjustment, award
    reason: Mapped[str] = mapped_column(String(300))
    rule_id: Mapped[int | None] = mapped_column(ForeignKey("scoring_rule.id", ondelete="SET NULL"))
    mission_id: Mapped[int | None] = mapped_column(ForeignKey("mission.id", ondelete="SET NULL"))
    source_ref: Mapped[str | None] = mapped_column(String(140))
    raw_event_id: Mapped[int | None] = mapped_column(
        ForeignKey("raw_event.id", ondelete="SET NULL")
    )
    reverses_id: Mapped[int | None] = mapped_column(
        ForeignKey("ledger_entry.id", ondelete="SET NULL"), unique=True
    )
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    @hybrid_property
    def on_the_board(self) -> bool:
        """Whether the entry counts in its challenge's standings (every kind but a prize)."""
        return self.kind != PRIZE


class CountedFact(Base):
    """A sales fact a challenge counted for a rep, kept so that undoing it can be exact."""

    __tablename__ = "counted_fact"
    __table_args__ = (Index("ix_counted_fact_source", "source_ref", "challenge_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    challenge_id: Mapped[int] = mapped_column(ForeignKey("challenge.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    source_ref: Mapped[str] = mapped_column(String(140))
    fact: Mapped[dict[str, Any]] = mapped_column(JSON)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())
    reversed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class BadgeAward(Base):
    __tablename__ = "badge_award"
    __table_args__ = (UniqueConstraint("user_id", "code", "scope", name="uq_badge_award_once"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(40))
    # "" for a lifetime badge, "challenge:<id>" for one earned in a challenge.
    scope: Mapped[str] = mapped_column(String(40), default="")
    awarded_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Level(Base):
    """A configurable level threshold on lifetime points (defaults apply when none are set)."""

    __tablename__ = "level"

    number: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(String(60))
    min_points: Mapped[int] = mapped_column(Integer, unique=True)


class Reward(Base):
    """A catalogue item reps buy with points, or (with a challenge) a prize for its winners."""

    __tablename__ = "reward"

    id: Mapped[int] = mapped_column(primary_key=True)
    challenge_id: Mapped[int | None] = mapped_column(
        ForeignKey("challenge.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(160))
    cost: Mapped[int] = mapped_column(Integer, default=0)
    bonus_points: Mapped[int] = mapped_column(Integer, default=0)
    cash_value: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    challenge: Mapped[Challenge | None] = relationship(back_populates="rewards")


class ChallengeAward(Base):
    """A place a finalised challenge gave someone; unique so finalising twice awards once."""

    __tablename__ = "challenge_award"
    __table_args__ = (
        UniqueConstraint("challenge_id", "user_id", name="uq_challenge_award_winner"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    challenge_id: Mapped[int] = mapped_column(ForeignKey("challenge.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    place: Mapped[int] = mapped_column(Integer)
    points: Mapped[int] = mapped_column(Integer)
    rewards: Mapped[list[Any]] = mapped_column(JSON, default=list)
    awarded_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Redemption(Base):
    __tablename__ = "redemption"
    __table_args__ = (RedemptionStatus.check("status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    reward_id: Mapped[int] = mapped_column(ForeignKey("reward.id", ondelete="CASCADE"))
    cost: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(10), default="requested")
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime())
    fulfilled_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    fulfilled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    reward: Mapped[Reward] = relationship()


class PlayerProfile(Base):
    """Per-user game state kept on each entry: lifetime points, points spent, preferences."""

    __tablename__ = "player_profile"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("user.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    lifetime_points: Mapped[int] = mapped_column(Integer, default=0)
    spent_points: Mapped[int] = mapped_column(Integer, default=0)
    anonymised: Mapped[bool] = mapped_column(Boolean, default=False)
    muted_kinds: Mapped[list[str]] = mapped_column(JSON, default=list)

    @property
    def balance(self) -> int:
        return self.lifetime_points - self.spent_points
