"""Numbers the CRM does not carry — quotas, marketing and sales costs, forecasts, churned
customers — entered or imported per scope and period. The engine never invents them."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kpi_engine.db import utcnow
from kpi_engine.errors import Invalid
from kpi_engine.kpis.models import InputKind, KpiInput
from kpi_engine.periods import Period, parse_period
from kpi_engine.sales.dataframes import Scope, parse_scope, rep_ids
from kpi_engine.words import N_, said

IMPORT_COLUMNS = ("kind", "scope", "period", "amount")


@dataclass(frozen=True)
class InputRow:
    kind: str
    scope: str
    period: str
    amount: Decimal


def check_input(kind: str, scope: str, period: str, amount: object, tz: str) -> InputRow:
    """The input normalised, or Invalid naming each bad field."""
    errors: dict[str, list[str]] = {}
    if kind not in InputKind.values():
        kinds = ", ".join(InputKind.values())
        errors["kind"] = [said(N_("kind must be one of %(kinds)s"), kinds=kinds)]
    scope_label = _label(lambda: parse_scope(scope).label, "scope", errors)
    period_label = _label(lambda: parse_period(period, tz).label, "period", errors)
    value = _amount(str(amount), errors)
    if errors:
        raise Invalid(N_("the input is not valid"), errors)
    return InputRow(kind, scope_label, period_label, value)


def _label(parse: Callable[[], str], name: str, errors: dict[str, list[str]]) -> str:
    try:
        return parse()
    except Invalid as exc:
        errors[name] = exc.fields.get(name, [exc.message])
        return ""


def _amount(text: str, errors: dict[str, list[str]]) -> Decimal:
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        errors["amount"] = [said(N_("%(text)r is not a number"), text=text)]
        return Decimal(0)
    if not value.is_finite() or value < 0:
        errors["amount"] = [N_("must be a number of 0 or more")]
    return value


def set_input(session: Session, row: InputRow) -> KpiInput:
    """Create or replace one input."""
    query = select(KpiInput).where(
        KpiInput.kind == row.kind, KpiInput.scope == row.scope, KpiInput.period == row.period
    )
    stored = session.scalar(query) or KpiInput(kind=row.kind, scope=row.scope, period=row.period)
    stored.amount, stored.updated_at = row.amount, utcnow()
    session.add(stored)
    session.flush()
    return stored


def import_inputs(session: Session, rows: Iterable[Mapping[str, str]], tz: str) -> int:
    """Store CSV rows (kind, scope, period, amount); all or nothing, errors name the line."""
    checked, errors = [], {}
    for line, raw in enumerate(rows, start=2):
        try:
            kind, scope, period, amount = (raw.get(c) or "" for c in IMPORT_COLUMNS)
            checked.append(check_input(kind, scope, period, amount, tz))
        except Invalid as exc:
            errors[f"line {line}"] = [f"{k}: {', '.join(v)}" for k, v in exc.fields.items()]
    if errors:
        raise Invalid(
            N_("%(count)s line(s) of the import are not valid"), errors, count=len(errors)
        )

    for row in checked:
        set_input(session, row)
    return len(checked)


def inputs_for(session: Session, scope: Scope, period: Period) -> dict[str, float]:
    """The inputs of a scope and period; a kind missing for a team, region or the org is the
    sum of its reps' inputs when they have some."""
    query = select(KpiInput.kind, KpiInput.amount).where(
        KpiInput.scope == scope.label, KpiInput.period == period.label
    )
    found = {kind: float(amount) for kind, amount in session.execute(query)}
    if scope.kind == "rep":
        return found
    rep_scopes = [f"rep:{i}" for i in rep_ids(session, scope)]
    summed = (
        select(KpiInput.kind, func.sum(KpiInput.amount))
        .where(KpiInput.scope.in_(rep_scopes), KpiInput.period == period.label)
        .group_by(KpiInput.kind)
    )
    return {kind: float(total) for kind, total in session.execute(summed)} | found
