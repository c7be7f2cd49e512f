"""Deals, stage changes and activities of one scope and period as pandas frames.

Scope and period filters run in SQL and only the columns the formulas read are selected, so a rep's
scorecard reads a rep's rows, not the organisation's. Each frame is loaded on first use: a
scorecard without activity KPIs never queries activities. The loaders also read an explicit set of
reps instead of a scope (impact analytics reads a challenge's participants and comparison reps).

A deal's created, engaged and closed facts are calendar days (`*_on`, as naive midnight
timestamps in the frames): a deal is in a period when its day is one of the period's days,
whatever ORG_TIMEZONE is now. Activities carry instants and are cut at the period's bounds in
the organisation's zone. A deal without a creation day (an undated export row) is read along
with the period's deals so that the KPIs that need the day can say how many they left out.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Float,
    Select,
    String,
    cast,
    extract,
    func,
    select,
    true,
    type_coerce,
)
from sqlalchemy.orm import Session

from kpi_engine.errors import Forbidden, Invalid
from kpi_engine.org.history import members, teams_at
from kpi_engine.org.models import Team, User
from kpi_engine.periods import Period
from kpi_engine.sales.models import Activity, Deal, DealStageChange
from kpi_engine.words import N_

SCOPE_KINDS = ("rep", "team", "region", "org")
DEAL_COLUMNS = (
    "owner_id", "account", "product", "segment", "amount", "status",
    "created_on", "engaged_on", "closed_on", "created_at", "engaged_at", "closed_at",
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
    # Ids are the database's 32-bit integers; a longer number would overflow the query.
    small = ref.isascii() and ref.isdigit() and len(ref) <= 10 and int(ref) < 2**31
    numeric = kind in ("rep", "team") and small
    if numeric or (kind == "region" and ref) or (kind == "org" and not ref):
        return Scope(kind, ref)
    raise Invalid(
        N_("scope %(scope)r is not valid"),
        {"scope": [N_("use rep:<id>, team:<id> (ids up to 2147483647), region:<name> or org")]},
        scope=text,
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
    raise Forbidden(
        N_("you may not see the scope %(scope)s"), {"scope": [N_("not yours")]}, scope=scope.label
    )


def scope_teams(scope: Scope) -> Select[Any] | None:
    """The teams a team or region scope covers, as a subquery; None for a rep or the org."""
    if scope.kind == "team":
        return select(Team.id).where(Team.id == scope.ref_id)
    if scope.kind == "region":
        return select(Team.id).where(Team.region == scope.ref)
    return None


# Whose rows a loader reads: a scope, or the ids of a set of reps.
Owners = Scope | Collection[int]


def in_scope(
    session: Session, column: Any, scope: Owners, moment: Any | None = None
) -> ColumnElement[bool]:
    """The rows of a scope's users. A team or region holds the people who were in it at each
    row's `moment` (a column; None: its people now), so a rep who moved keeps their past rows
    in the old team (kpi_engine.org.history). People are compared by id, not through a
    subquery of users: behind one, SQLite does not use the owner's index (1.5 s instead of
    9 ms at a million deals)."""
    if not isinstance(scope, Scope):
        return column.in_(sorted(scope))
    if scope.kind == "rep":
        return column == scope.ref_id
    teams = scope_teams(scope)
    return true() if teams is None else members(session, teams).at(column, moment)


def _sqlite(session: Session) -> bool:
    return session.get_bind().dialect.name == "sqlite"


def _selected(session: Session, model: Any, names: tuple[str, ...]) -> list[Any]:
    """The columns to select, timestamps, days and amounts in the form pandas converts a whole
    column at once rather than a Python object built per value: SQLite's UTC text and ISO days
    as they are stored, PostgreSQL's timestamps and days as integer microseconds since the epoch
    (its aware datetimes cost seconds per million values), amounts as floats, which is what the
    frame holds."""

    def as_read(name: str) -> Any:
        column = getattr(model, name)
        if name == "amount":
            return cast(column, Float)
        if not name.endswith(("_at", "_on")):
            return column
        if _sqlite(session):
            return type_coerce(column, String())
        return cast(extract("epoch", column) * 1_000_000, BigInteger)

    return [as_read(n) for n in names]


def _utc(values: list[Any], epoch: bool) -> pd.Series:
    """A column of timestamps, read as _selected reads them, as aware UTC datetimes in
    microseconds (one resolution for every column: an all-empty one would otherwise come out in
    seconds and refuse to mix with the others)."""
    if epoch:
        micros = pd.array(values, dtype="Int64").to_numpy("int64", na_value=np.iinfo("int64").min)
        return pd.Series(micros.view("M8[us]")).dt.tz_localize("UTC")
    text = pd.Series(values, dtype=object)
    return pd.to_datetime(text, utc=True, format="ISO8601").dt.as_unit("us")


def _days(values: list[Any], epoch: bool) -> pd.Series:
    """A column of calendar days, read as _selected reads them, as naive midnight timestamps."""
    if epoch:
        micros = pd.array(values, dtype="Int64").to_numpy("int64", na_value=np.iinfo("int64").min)
        return pd.Series(micros.view("M8[us]"))
    text = pd.Series(values, dtype=object)
    return pd.to_datetime(text, format="%Y-%m-%d").dt.as_unit("us")


def _column(name: str, values: list[Any], epoch: bool) -> pd.Series | list[Any]:
    if name.endswith("_at"):
        return _utc(values, epoch)
    if name.endswith("_on"):
        return _days(values, epoch)
    return values


def _read(session: Session, query: Select[Any] | Any, columns: tuple[str, ...]) -> pd.DataFrame:
    """Rows to a frame column by column (pandas' row-wise constructors are far slower)."""
    # The Core connection, not the ORM session: no per-row ORM result processing.
    rows = session.connection().execute(query).all()
    values = list(zip(*rows, strict=False)) or [()] * len(columns)
    epoch = not _sqlite(session)
    return pd.DataFrame(
        {name: _column(name, list(v), epoch) for name, v in zip(columns, values, strict=True)}
    )


def load_deals(
    session: Session,
    scope: Owners,
    first: date,
    last: date,
    columns: tuple[str, ...] = (*DEAL_COLUMNS, "team_id"),
    *,
    open_ones: bool = True,
) -> pd.DataFrame:
    """Deals that were alive on some day of first..last (inclusive): created by the last day
    and not closed before the first — which covers closed-in, created-in and open-at-end deals;
    without `open_ones`, only those closed or created in the period (at the bench's million
    deals an org card's three periods read 514,000 rows instead of 896,000). Deals without a
    creation day come too unless they closed before the first day, for Frames.undated.
    `columns` are the deal's columns to read; team_id is the owner's team. In the order of
    their ids, so that sums add up in the same order whatever plan the database picks, to the
    last bit."""
    undated = Deal.created_on.is_(None)
    alive = (Deal.created_on <= last) & (Deal.closed_on.is_(None) | (Deal.closed_on >= first))
    if not open_ones:
        created = (Deal.created_on >= first) & (Deal.created_on <= last)
        alive &= created | (Deal.closed_on <= last)
    alive |= undated & (Deal.closed_on.is_(None) | (Deal.closed_on >= first))
    names = tuple(c for c in columns if c != "team_id")
    query = (
        select(*_selected(session, Deal, names))
        .where(alive, in_scope(session, Deal.owner_id, scope, Deal.closed_at))
        .order_by(Deal.id)
    )
    if "team_id" in columns:
        query = query.add_columns(User.team_id).join(User, Deal.owner_id == User.id)
        names = (*names, "team_id")
    frame = _read(session, query, names)
    if "amount" in names:
        frame["amount"] = frame["amount"].astype("float64")
    if {"team_id", "owner_id", "closed_at"} <= set(names):
        # The owner's team when the deal closed (still open: now), as team scopes read it.
        frame["team_id"] = teams_at(
            session, frame["owner_id"], frame["closed_at"], frame["team_id"]
        )
    return frame


def days_around(start: datetime, end: datetime) -> tuple[date, date]:
    """The calendar days that can hold a fact recorded in [start, end): a fact's day is the
    date of its instant in some time zone, at most a day from the instant's UTC date."""
    day = timedelta(days=1)
    return (start - day).astimezone(UTC).date(), (end + day).astimezone(UTC).date()


def _activities_in(
    session: Session, scope: Owners, start: datetime, end: datetime
) -> ColumnElement[bool]:
    in_period = (Activity.occurred_at >= start) & (Activity.occurred_at < end)
    return in_period & in_scope(session, Activity.rep_id, scope, Activity.occurred_at)


def load_activities(
    session: Session, scope: Owners, start: datetime, end: datetime
) -> pd.DataFrame:
    query = select(*_selected(session, Activity, ACTIVITY_COLUMNS))
    return _read(session, query.where(_activities_in(session, scope, start, end)), ACTIVITY_COLUMNS)


def load_activity_counts(
    session: Session, scope: Owners, start: datetime, end: datetime, columns: tuple[str, ...]
) -> pd.DataFrame:
    """How many activities of the period there are of each distinct combination of `columns`
    (activity columns other than the time), in a column `n`."""
    selected = [getattr(Activity, c) for c in columns]
    query = select(*selected, func.count()).where(_activities_in(session, scope, start, end))
    return _read(session, query.group_by(*selected), (*columns, "n"))


def load_stages_reached(
    session: Session,
    scope: Owners,
    first: date,
    last: date,
    deal_columns: tuple[str, ...] = (),
) -> pd.DataFrame:
    """Each time a deal created on a day of first..last reached a stage; `deal_columns` adds
    columns of the deal itself (its owner_id, its created_at) to each row."""
    query = (
        select(
            *_selected(session, DealStageChange, ("deal_id", "to_stage", "changed_at", "id")),
            *_selected(session, Deal, deal_columns),
        )
        .join(Deal, DealStageChange.deal_id == Deal.id)
        .where(Deal.created_on >= first, Deal.created_on <= last)
        .where(in_scope(session, Deal.owner_id, scope, Deal.closed_at))
    )
    return _read(session, query, (*STAGE_COLUMNS, *deal_columns))


def customer_accounts_before(session: Session, scope: Scope, day: date) -> set[str]:
    """Accounts the scope won a deal from before a day: its customer base then."""
    query = select(Deal.account).where(
        Deal.status == "won",
        Deal.closed_on < day,
        Deal.account.is_not(None),
        in_scope(session, Deal.owner_id, scope, Deal.closed_at),
    )
    return {a for a in session.scalars(query.distinct()) if a}


def rep_ids(session: Session, scope: Scope) -> list[int]:
    """The active reps a scope covers."""
    query = select(User.id).where(User.app_role == "rep", User.active.is_(True))
    return list(session.scalars(query.where(in_scope(session, User.id, scope)).order_by(User.id)))


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
        first, last = self.period.first_day, self.period.last_day
        return load_deals(self.session, self.scope, first, last)

    @cached_property
    def activities(self) -> pd.DataFrame:
        return load_activities(self.session, self.scope, self.period.start, self.period.end)

    @cached_property
    def stages_reached(self) -> pd.DataFrame:
        first, last = self.period.first_day, self.period.last_day
        return load_stages_reached(self.session, self.scope, first, last)

    @cached_property
    def customers_at_start(self) -> set[str]:
        return customer_accounts_before(self.session, self.scope, self.period.first_day)

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

    def within(self, deals: pd.DataFrame, fact: str) -> pd.Series:
        """Which deals' `fact` (created, engaged, closed) fell on a day of the period."""
        day = deals[f"{fact}_on"]
        return (day >= pd.Timestamp(self.period.first_day)) & (
            day <= pd.Timestamp(self.period.last_day)
        )

    def after(self, deals: pd.DataFrame, fact: str) -> pd.Series:
        """Which deals' `fact` fell after the period's last day."""
        return deals[f"{fact}_on"] > pd.Timestamp(self.period.last_day)

    def closed(self, status: str | None = None) -> pd.DataFrame:
        """Deals closed in the period, optionally only the won or the lost."""
        d = self.deals
        mask = self.within(d, "closed")
        if status is not None:
            mask &= d["status"] == status
        return d[mask]

    def created(self) -> pd.DataFrame:
        """Deals that entered the pipeline in the period."""
        return self.deals[self.within(self.deals, "created")]

    def open_at_end(self) -> pd.DataFrame:
        """Deals in the pipeline at the period's end (an undated one may not have been yet)."""
        d = self.deals
        return d[d["created_on"].notna() & (d["closed_on"].isna() | self.after(d, "closed"))]

    def undated(self) -> pd.DataFrame:
        """Deals without a creation day that may have entered the pipeline in the period (none
        closed before it): what a KPI needing the day leaves out."""
        return self.deals[self.deals["created_on"].isna()]
