"""Deals, stage changes and activities of one scope and period as pandas frames.

Scope and period filters run in SQL and only the columns the formulas read are selected, so a rep's
scorecard reads a rep's rows, not the organisation's. Each frame is loaded on first use: a
scorecard without activity KPIs never queries activities. The loaders also read an explicit set of
reps instead of a scope (impact analytics reads a challenge's participants and comparison reps).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Any

import pandas as pd
from sqlalchemy import (
    ColumnElement,
    DateTime,
    Float,
    Select,
    String,
    func,
    select,
    true,
    type_coerce,
)
from sqlalchemy.orm import Session

from kpi_engine.errors import Forbidden, Invalid
from kpi_engine.models import Activity, Deal, DealStageChange, Team, User
from kpi_engine.periods import Period

SCOPE_KINDS = ("rep", "team", "region", "org")
DEAL_COLUMNS = (
    "owner_id", "account", "product", "segment", "amount", "status",
    "created_at", "engaged_at", "closed_at",
)  # fmt: skip
ACTIVITY_COLUMNS = ("rep_id", "kind", "outcome", "occurred_at")
STAGE_COLUMNS = ("deal_id", "stage", "changed_at", "change_id")


@dataclass(frozen=True)
class Scope:
    """rep:<id>, team:<id>, region:<name> or org."""

    kind: str
    ref: str = ""

    @property
    def label(self) -> str:
        return f"{self.kind}:{self.ref}" if self.ref else self.kind

    @property
    def ref_id(self) -> int:
        return int(self.ref)


def parse_scope(text: str) -> Scope:
    """Read a scope string; Invalid names the accepted forms."""
    kind, _, ref = text.strip().partition(":")
    numeric = kind in ("rep", "team") and ref.isdigit()
    if numeric or (kind == "region" and ref) or (kind == "org" and not ref):
        return Scope(kind, ref)
    raise Invalid(
        f"scope {text!r} is not valid",
        {"scope": ["use rep:<id>, team:<id>, region:<name> or org"]},
    )


def check_access(session: Session, actor: User, scope: Scope) -> None:
    """A rep sees only their own scope, a manager their teams and their reps, an admin all."""
    if actor.app_role == "admin" or scope.label == f"rep:{actor.id}":
        return
    if actor.app_role == "manager" and scope.kind in ("rep", "team"):
        managed = select(Team.id).where(Team.manager_id == actor.id)
        team_id = (
            scope.ref_id
            if scope.kind == "team"
            else session.scalar(select(User.team_id).where(User.id == scope.ref_id))
        )
        if team_id is not None and session.scalar(managed.where(Team.id == team_id)):
            return
    raise Forbidden(f"you may not see the scope {scope.label}", {"scope": ["not yours"]})


def member_ids(scope: Scope) -> Select[Any] | None:
    """The users a scope covers, as a subquery; None for the whole organisation."""
    if scope.kind == "rep":
        return select(User.id).where(User.id == scope.ref_id)
    if scope.kind == "team":
        return select(User.id).where(User.team_id == scope.ref_id)
    if scope.kind == "region":
        return select(User.id).join(Team, User.team_id == Team.id).where(Team.region == scope.ref)
    return None


# Whose rows a loader reads: a scope, or the ids of a set of reps.
Owners = Scope | Collection[int]


def _in_scope(column: Any, scope: Owners) -> ColumnElement[bool]:
    if not isinstance(scope, Scope):
        return column.in_(sorted(scope))
    members = member_ids(scope)
    return true() if members is None else column.in_(members)


def _utc(frame: pd.DataFrame, columns: tuple[str, ...]) -> pd.DataFrame:
    # One resolution for every column: an all-empty column would otherwise come out in seconds
    # and refuse to mix with the others.
    for name in columns:
        frame[name] = pd.to_datetime(frame[name], utc=True, format="ISO8601").dt.as_unit("us")
    return frame


def _read(session: Session, query: Select[Any] | Any, columns: tuple[str, ...]) -> pd.DataFrame:
    """Rows to a frame column by column (pandas' row-wise constructors are far slower)."""
    # The Core connection, not the ORM session: no per-row ORM result processing.
    rows = session.connection().execute(query).all()
    values = list(zip(*rows, strict=False)) or [()] * len(columns)
    return pd.DataFrame({name: list(v) for name, v in zip(columns, values, strict=True)})


def _selected(session: Session, model: Any, names: tuple[str, ...]) -> list[Any]:
    """The columns to select; timestamps skip the per-value UTCDateTime conversion because
    pandas converts a whole column at once (SQLite hands back its UTC text, PostgreSQL aware
    datetimes), and amounts come as floats, which is what the frame holds, not as a Decimal
    built per value."""
    raw = String() if session.get_bind().dialect.name == "sqlite" else DateTime(timezone=True)
    as_read = {n: raw for n in names if n.endswith("_at")} | {"amount": Float()}
    return [
        type_coerce(getattr(model, n), as_read[n]) if n in as_read else getattr(model, n)
        for n in names
    ]


def _times(columns: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(c for c in columns if c.endswith("_at"))


def load_deals(
    session: Session,
    scope: Owners,
    start: datetime,
    end: datetime,
    columns: tuple[str, ...] = (*DEAL_COLUMNS, "team_id"),
) -> pd.DataFrame:
    """Deals that were alive at some point of [start, end): created before the end and not
    closed before the start — which covers closed-in, created-in and open-at-end deals.
    `columns` are the deal's columns to read; team_id is the owner's team."""
    alive = (Deal.created_at < end) & ((Deal.closed_at.is_(None)) | (Deal.closed_at >= start))
    names = tuple(c for c in columns if c != "team_id")
    query = select(*_selected(session, Deal, names)).where(alive, _in_scope(Deal.owner_id, scope))
    if "team_id" in columns:
        query = query.add_columns(User.team_id).join(User, Deal.owner_id == User.id)
        names = (*names, "team_id")
    frame = _read(session, query, names)
    if "amount" in names:
        frame["amount"] = pd.to_numeric(frame["amount"], errors="coerce").astype("float64")
    return _utc(frame, _times(names))


def load_activities(
    session: Session, scope: Owners, start: datetime, end: datetime
) -> pd.DataFrame:
    query = select(*_selected(session, Activity, ACTIVITY_COLUMNS)).where(
        Activity.occurred_at >= start,
        Activity.occurred_at < end,
        _in_scope(Activity.rep_id, scope),
    )
    return _utc(_read(session, query, ACTIVITY_COLUMNS), ("occurred_at",))


def load_stages_reached(
    session: Session,
    scope: Owners,
    start: datetime,
    end: datetime,
    deal_columns: tuple[str, ...] = (),
) -> pd.DataFrame:
    """Each time a deal created in the period reached a stage; `deal_columns` adds columns of
    the deal itself (its owner_id, its created_at) to each row."""
    query = (
        select(
            *_selected(session, DealStageChange, ("deal_id", "to_stage", "changed_at", "id")),
            *_selected(session, Deal, deal_columns),
        )
        .join(Deal, DealStageChange.deal_id == Deal.id)
        .where(Deal.created_at >= start, Deal.created_at < end)
        .where(_in_scope(Deal.owner_id, scope))
    )
    columns = (*STAGE_COLUMNS, *deal_columns)
    return _utc(_read(session, query, columns), _times(columns))


def customer_accounts_before(session: Session, scope: Scope, moment: datetime) -> set[str]:
    """Accounts the scope won a deal from before a moment: its customer base then."""
    query = select(Deal.account).where(
        Deal.status == "won",
        Deal.closed_at < moment,
        Deal.account.is_not(None),
        _in_scope(Deal.owner_id, scope),
    )
    return {a for a in session.scalars(query.distinct()) if a}


def rep_ids(session: Session, scope: Scope) -> list[int]:
    """The active reps a scope covers."""
    query = select(User.id).where(User.app_role == "rep", User.active.is_(True))
    return list(session.scalars(query.where(_in_scope(User.id, scope)).order_by(User.id)))


def last_event_at(session: Session, scope: Scope) -> datetime | None:
    """When the scope's deal data last changed."""
    return session.scalar(select(func.max(Deal.updated_at)).where(_in_scope(Deal.owner_id, scope)))


class Frames:
    """The frames for one scope and period, each loaded from SQL on first use."""

    def __init__(
        self,
        session: Session,
        scope: Scope,
        period: Period,
        inputs: dict[str, float],
        now: datetime,
    ) -> None:
        self.session, self.scope, self.period = session, scope, period
        self.inputs, self.now = inputs, now

    @cached_property
    def deals(self) -> pd.DataFrame:
        return load_deals(self.session, self.scope, self.period.start, self.period.end)

    @cached_property
    def activities(self) -> pd.DataFrame:
        return load_activities(self.session, self.scope, self.period.start, self.period.end)

    @cached_property
    def stages_reached(self) -> pd.DataFrame:
        return load_stages_reached(self.session, self.scope, self.period.start, self.period.end)

    @cached_property
    def customers_at_start(self) -> set[str]:
        return customer_accounts_before(self.session, self.scope, self.period.start)

    @cached_property
    def reps(self) -> list[int]:
        return rep_ids(self.session, self.scope)

    def split(self, deal_column: str, value: Any, activity_column: str | None = None) -> Frames:
        """The frames of one slice (a segment, a product, a team, a rep), without inputs: a
        quota or a cost belongs to the whole scope, not to a slice of it."""
        part = Frames(self.session, self.scope, self.period, {}, self.now)
        part.__dict__["deals"] = self.deals[self.deals[deal_column] == value]
        if activity_column is not None:
            part.__dict__["activities"] = self.activities[self.activities[activity_column] == value]
            part.__dict__["reps"] = [value]
        return part

    def closed(self, status: str | None = None) -> pd.DataFrame:
        """Deals closed in the period, optionally only the won or the lost."""
        d = self.deals
        mask = (d["closed_at"] >= self.period.start) & (d["closed_at"] < self.period.end)
        if status is not None:
            mask &= d["status"] == status
        return d[mask]

    def created(self) -> pd.DataFrame:
        """Deals that entered the pipeline in the period."""
        d = self.deals
        return d[(d["created_at"] >= self.period.start) & (d["created_at"] < self.period.end)]

    def open_at_end(self) -> pd.DataFrame:
        d = self.deals
        return d[d["closed_at"].isna() | (d["closed_at"] >= self.period.end)]
