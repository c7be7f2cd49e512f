"""Role-based scorecards: each KPI of a role for a scope and period, with its target and status,
the previous period, the same period last year and a projection to the period's end."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property
from typing import Any

import pandas as pd
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from kpi_engine.errors import Invalid
from kpi_engine.kpis.inputs import inputs_for
from kpi_engine.kpis.models import KpiTarget, ScorecardKpi, ScorecardRole
from kpi_engine.kpis.registry import DEFINITIONS, REGISTRY, KpiDefinition, Measure, definition
from kpi_engine.kpis.targets import Threshold, set_threshold, status, targets_for, threshold
from kpi_engine.org.models import Team, User
from kpi_engine.periods import Period
from kpi_engine.sales.dataframes import Frames, Scope, in_scope, load_activity_counts, load_deals
from kpi_engine.sales.models import RawEvent
from kpi_engine.words import N_, said

DEFAULT_ROLE_KPIS: dict[str, tuple[str, ...]] = {
    "SDR": ("activities", "reply_rate", "meetings_booked", "sqls_created"),
    "AE": ("win_rate", "avg_deal_size", "sales_cycle_days", "quota_attainment"),
    "AM": ("upsell_revenue", "churn_rate", "renewal_rate"),
    # What a sales manager and leadership read first, then the KPIs that need inputs.
    "manager": ("revenue_won", "win_rate", "avg_deal_size", "sales_cycle_days",
                "pipeline_velocity", "activities", "quota_attainment", "cac", "ltv_to_cac",
                "forecast_accuracy"),
}  # fmt: skip
# The inputs (kpi_models.INPUT_KINDS) a KPI cannot be computed without. A scorecard page shows
# such a KPI only once its inputs exist for the scope and period, and says how to add them.
NEEDS_INPUTS: dict[str, tuple[str, ...]] = {
    "quota_attainment": ("quota",),
    "cac": ("marketing_cost", "sales_cost"),
    "ltv_to_cac": ("marketing_cost", "sales_cost", "churned_customers"),
    "ltv": ("churned_customers",),
    "churn_rate": ("churned_customers",),
    "forecast_accuracy": ("forecast",),
}
INPUT_NAMES = {
    "quota": N_("quotas"),
    "marketing_cost": N_("marketing costs"),
    "sales_cost": N_("sales costs"),
    "forecast": N_("forecasts"),
    "churned_customers": N_("churned customers"),
}
# A source with no event for this long is flagged as silent on every scorecard.
SILENT_AFTER = timedelta(days=3)


@dataclass(frozen=True)
class ScorecardRow:
    kpi: KpiDefinition
    measure: Measure
    status: str
    threshold: Threshold | None
    previous: float | None
    last_year: float | None
    projection: float | None


@dataclass(frozen=True)
class Scorecard:
    scope: Scope
    period: Period
    role: str
    updated_at: datetime | None
    silent_sources: list[str]
    rows: list[ScorecardRow] = field(default_factory=list)
    # The input kinds entered (or summed from the reps) for this scope and period.
    inputs: frozenset[str] = frozenset()

    def row(self, key: str) -> ScorecardRow:
        return next(r for r in self.rows if r.kpi.key == key)

    def missing_inputs(self, key: str) -> list[str]:
        """The inputs a KPI needs that this scope and period lack."""
        return [k for k in NEEDS_INPUTS.get(key, ()) if k not in self.inputs]

    @property
    def shown(self) -> list[ScorecardRow]:
        """The rows a page shows: every KPI whose inputs exist."""
        return [r for r in self.rows if not self.missing_inputs(r.kpi.key)]

    @property
    def awaiting(self) -> list[ScorecardRow]:
        """The rows held back until their inputs are entered."""
        return [r for r in self.rows if self.missing_inputs(r.kpi.key)]

    def awaiting_inputs(self) -> list[str]:
        """Every input kind the held-back KPIs need, once each, in a stable order."""
        return list(dict.fromkeys(k for r in self.awaiting for k in self.missing_inputs(r.kpi.key)))


def role_kpis(session: Session, role: str) -> list[str]:
    """The KPI keys a role's scorecard shows: what an admin chose, else the defaults."""
    query = select(ScorecardKpi.kpi_key).where(ScorecardKpi.role == role)
    chosen = list(session.scalars(query.order_by(ScorecardKpi.position, ScorecardKpi.id)))
    return chosen or list(DEFAULT_ROLE_KPIS[role])


def set_role_kpis(session: Session, role: str, keys: Sequence[str]) -> list[str]:
    """Replace the KPIs a role's scorecard shows (an empty list restores the defaults)."""
    if role not in ScorecardRole.values():
        raise Invalid(
            N_("no scorecard role %(role)r"),
            {"role": [", ".join(ScorecardRole.values())]},
            role=role,
        )
    known = [definition(k).key for k in keys]
    session.execute(delete(ScorecardKpi).where(ScorecardKpi.role == role))
    session.add_all(ScorecardKpi(role=role, kpi_key=k, position=n) for n, k in enumerate(known))
    session.flush()
    return role_kpis(session, role)


def role_for(session: Session, scope: Scope) -> str:
    """A rep's scorecard follows their sales role (a CSM gets the account manager's); every
    other scope is a manager's."""
    if scope.kind != "rep":
        return "manager"
    sales_role = session.scalar(select(User.sales_role).where(User.id == scope.ref_id))
    return {"SDR": "SDR", "AM": "AM", "CSM": "AM"}.get(sales_role or "", "AE")


def freshness(session: Session, scope: Scope, now: datetime) -> tuple[datetime | None, list[str]]:
    """When the scope's data last arrived, and the sources silent for longer than SILENT_AFTER."""
    query = select(RawEvent.source, func.max(RawEvent.received_at)).group_by(RawEvent.source)
    query = query.where(in_scope(session, RawEvent.rep_id, scope))
    latest: dict[str, datetime] = dict(session.execute(query).all())
    silent = sorted(s for s, at in latest.items() if at is not None and now - at > SILENT_AFTER)
    return max((at for at in latest.values() if at), default=None), silent


class CardFrames(Frames):
    """The frames of the KPIs on a card, reading only what their formulas read: the deal
    columns they name, and the activities as a count per distinct combination of the rep and
    the activity columns they name, counted in SQL. No formula reads when in the period an
    activity happened, so each combination repeated by its count gives the same numbers as
    every activity fetched one by one, from a row per combination instead of one per activity
    (for tool adoption, one per rep). Deals still open at the period's end are read only when
    a KPI on the card needs them (KpiDefinition.reads_open_deals)."""

    def __init__(
        self,
        session: Session,
        scope: Scope,
        period: Period,
        now: datetime,
        kpis: Sequence[KpiDefinition] = DEFINITIONS,
    ) -> None:
        super().__init__(session, scope, period, inputs_for(session, scope, period), now)
        self.deal_columns = tuple(dict.fromkeys(c for k in kpis for c in k.deal_columns))
        read = (c for k in kpis for c in k.activity_columns)
        self.activity_columns = tuple(dict.fromkeys(("rep_id", *read)))
        self.open_ones = any(k.reads_open_deals for k in kpis)

    @cached_property
    def deals(self) -> pd.DataFrame:
        first, last = self.period.first_day, self.period.last_day
        return load_deals(
            self.session, self.scope, first, last, self.deal_columns, open_ones=self.open_ones
        )

    @cached_property
    def activities(self) -> pd.DataFrame:
        start, end = self.period.start, self.period.end
        counted = load_activity_counts(self.session, self.scope, start, end, self.activity_columns)
        every = counted.loc[counted.index.repeat(counted["n"]), list(self.activity_columns)]
        return every.reset_index(drop=True)


def frames_for(
    session: Session,
    scope: Scope,
    period: Period,
    now: datetime,
    kpis: Sequence[KpiDefinition] = DEFINITIONS,
) -> Frames:
    """The frames the formulas of `kpis` (by default every KPI) read."""
    return CardFrames(session, scope, period, now, kpis)


def measure_all(frames: Frames, kpis: Sequence[KpiDefinition]) -> dict[str, Measure]:
    return {k.key: k.formula(frames) for k in kpis}


def projection(kpi: KpiDefinition, value: float | None, period: Period, now: datetime) -> Any:
    """The value at the period's end if the run-rate so far holds: sums scale with elapsed time,
    rates and averages stay as they are; nothing before the period starts."""
    if value is None or now < period.start:
        return None
    if not kpi.additive or now >= period.end:
        return value
    elapsed = (now - period.start) / (period.end - period.start)
    return value / elapsed if elapsed else None


def scorecard(
    session: Session,
    scope: Scope,
    period: Period,
    *,
    now: datetime,
    role: str | None = None,
    keys: Sequence[str] | None = None,
) -> Scorecard:
    """The scorecard of a scope and period for a role (the scope's own role by default)."""
    role = role or role_for(session, scope)
    if keys is not None:
        check_keys(keys)
    kpis = [definition(k) for k in (keys or role_kpis(session, role))]
    current, before, last_year = (
        measure_all(frames_for(session, scope, p, now, kpis), kpis)
        for p in (period, period.previous(), period.same_last_year())
    )
    set_targets = targets_for(session, scope.label, period.label)
    rows = []
    for kpi in kpis:
        value, previous = current[kpi.key].value, before[kpi.key].value
        limits = _limits(kpi, set_targets.get(kpi.key), previous)
        projected = projection(kpi, value, period, now)
        # A sum (revenue, activities) is judged on where it is heading while the period runs:
        # half a quarter's revenue is not "off track" against a whole quarter's target.
        judged = projected if kpi.additive and projected is not None else value
        rows.append(
            ScorecardRow(kpi, current[kpi.key], status(kpi, judged, limits), limits, previous,
                last_year[kpi.key].value, projected)
        )  # fmt: skip
    updated_at, silent = freshness(session, scope, now)
    entered = frozenset(inputs_for(session, scope, period))
    return Scorecard(scope, period, role, updated_at, silent, rows, entered)


def check_keys(keys: Sequence[str]) -> None:
    """Invalid naming every key the registry does not hold (and the keys it does)."""
    unknown = ", ".join(repr(k) for k in keys if k not in REGISTRY)
    if unknown:
        known = ", ".join(REGISTRY)
        raise Invalid(
            N_("unknown KPI %(unknown)s"),
            {
                "kpis": [
                    said(
                        N_("unknown KPI %(unknown)s; known: %(known)s"),
                        unknown=unknown,
                        known=known,
                    )
                ]
            },
            unknown=unknown,
        )


def scope_name(session: Session, scope: Scope) -> str:
    """A scope as people call it: the rep's or the team's name, the region, the organisation."""
    if scope.kind == "org":
        return N_("Whole organisation")
    if scope.kind == "region":
        return f"Region {scope.ref}"
    model = User if scope.kind == "rep" else Team
    name = session.scalar(select(model.name).where(model.id == scope.ref_id))
    return name or f"Unknown {scope.kind}"


def _limits(kpi: KpiDefinition, row: KpiTarget | None, previous: float | None) -> Threshold | None:
    """A target someone set, else the previous period's value: no worse than last time."""
    if row is not None:
        return set_threshold(kpi, row)
    return None if previous is None else threshold(kpi, previous, None, "previous period")


BREAKDOWNS = ("segment", "product", "team", "rep")
BREAKDOWN_KPIS = ("revenue_won", "win_rate", "avg_deal_size", "sales_cycle_days",
                  "pipeline_conversion")  # fmt: skip
PERSON_KPIS = (*BREAKDOWN_KPIS, "activities", "meetings_booked")


@dataclass(frozen=True)
class Slice:
    label: str
    measures: dict[str, Measure]


def breakdown(
    session: Session, scope: Scope, period: Period, by: str, now: datetime
) -> list[Slice]:
    """Level 2 and 3: the deal KPIs split by segment, product or team, or every KPI per rep."""
    if by not in BREAKDOWNS:
        raise Invalid(
            N_("cannot split by %(by)r"),
            {"by": [said(N_("one of %(names)s"), names=", ".join(BREAKDOWNS))]},
            by=by,
        )

    # Splitting reads the owner, product, segment and team of each deal, which no formula does.
    frames = Frames(session, scope, period, inputs_for(session, scope, period), now)
    if by == "rep":
        query = select(User.id, User.name).where(User.id.in_(frames.reps))
        names = dict(session.execute(query).all())
        parts = [(names[i], frames.split("owner_id", i, "rep_id")) for i in frames.reps]
        return [Slice(n, measure_all(f, [definition(k) for k in PERSON_KPIS])) for n, f in parts]
    column = "team_id" if by == "team" else by
    values = sorted(frames.deals[column].dropna().unique().tolist())
    labels = _team_names(session, values) if by == "team" else {v: str(v) for v in values}
    kpis = [definition(k) for k in BREAKDOWN_KPIS]
    return [Slice(labels[v], measure_all(frames.split(column, v), kpis)) for v in values]


def _team_names(session: Session, ids: list[Any]) -> dict[Any, str]:
    query = select(Team.id, Team.name).where(Team.id.in_(ids))
    return dict(session.execute(query).all())


def trend(
    session: Session, scope: Scope, period: Period, key: str, now: datetime, count: int = 6
) -> list[tuple[str, float | None]]:
    """One KPI over the `count` periods ending with this one, oldest first."""
    kpi, periods = definition(key), [period]
    while len(periods) < count:
        periods.insert(0, periods[0].previous())
    return [
        (p.label, kpi.formula(frames_for(session, scope, p, now, [kpi])).value) for p in periods
    ]
