"""CSV import of CRM exports: formats, column mappings, dry runs, all-or-nothing per file.

Every row becomes SalesEvents that go through the same ingest path as API events, with
idempotency keys derived from the row's content: importing a file twice adds nothing, and a
later export of a deal that has moved on adds only the events that are new.

Owners are matched to users by email or CRM user id, never by a guess. The sample data set's
sales_teams.csv is a roster: its agents and managers who have no user yet are created (the
agent's full name becomes the CRM user id). Product spellings are reconciled only through the
ProductAlias table: a products.csv catalogue adds an alias for a spelling that differs from a
catalogue name only in case, spaces or punctuation (`GTXPro` → `GTX Pro`), and the plan reports
it; spellings that merely look alike without a catalogue are reported, never merged.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from kpi_engine.crm_cells import (
    Table,
    decode,
    parse_amount,
    parse_moment,
    read_table,
    settle_date_format,
)
from kpi_engine.crm_formats import (
    CATALOGUE_COLUMNS,
    DATE_FIELDS,
    REQUIRED,
    ROSTER_COLUMNS,
    columns_for,
    detect_format,
)
from kpi_engine.errors import Invalid
from kpi_engine.events import SalesEvent, refusals, resolve_reps, stage_status
from kpi_engine.models import Deal, ProductAlias, RawEvent, Team, User
from kpi_engine.reach import EVERYONE, Reach


@dataclass(frozen=True)
class ImportOptions:
    format: str | None = None  # sample | hubspot | salesforce; None: from the header or mapping
    mapping: dict[str, str] | None = None  # field → column, overriding the format's columns
    date_format: str | None = None  # iso | us | eu | a strftime pattern; None = from the file
    timezone: str = "UTC"
    email_domain: str = "example.com"
    may_add_people: bool = True
    reach: Reach = EVERYONE  # whom the importer may act for: rows for anyone else are refused


@dataclass(frozen=True)
class CsvFile:
    name: str
    data: bytes


@dataclass(frozen=True)
class RowRejection:
    line: int
    deal_id: str | None
    errors: dict[str, list[str]]


@dataclass(frozen=True)
class AliasUse:
    alias: str
    product: str
    rows: int
    new: bool


@dataclass(frozen=True)
class Person:
    name: str
    email: str
    role: str
    team: str
    region: str


@dataclass
class ImportPlan:
    """What importing one file would do; `ok` only when no row and nothing in the file is wrong."""

    file: str
    format: str = ""
    rows: int = 0
    events: list[SalesEvent] = field(default_factory=list)
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    people: list[Person] = field(default_factory=list)
    aliases: list[AliasUse] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    rejected: list[RowRejection] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.rejected and not self.errors


@dataclass
class _Context:
    session: Session
    options: ImportOptions
    now: datetime
    roster: list[Person] = field(default_factory=list)
    catalogue: set[str] = field(default_factory=set)


def plan_import(
    session: Session, files: Sequence[CsvFile], options: ImportOptions, *, now: datetime
) -> list[ImportPlan]:
    """One plan per deal file; a roster (sales_teams.csv) and catalogue (products.csv) serve all."""
    context = _Context(session, options, now)
    tables: list[tuple[str, Table]] = []
    for file in files:
        table = read_table(decode(file.data, file.name))
        if set(table.header) >= ROSTER_COLUMNS:
            context.roster.extend(_roster(table, options.email_domain))
        elif set(table.header) >= CATALOGUE_COLUMNS:
            context.catalogue.update(r["product"] for r in table.rows if r["product"])
        else:
            tables.append((file.name, table))
    if not tables:
        raise Invalid("no deal file among the files", {"files": ["give at least one deal export"]})
    return [_plan_file(context, name, table) for name, table in tables]


def prepare_import(session: Session, plan: ImportPlan) -> list[SalesEvent]:
    """Create the plan's people and aliases (flushed) and return its events; Invalid if not ok."""
    if not plan.ok:
        raise Invalid(
            f"{plan.file} was not imported: {len(plan.rejected)} rows rejected",
            {"file": plan.errors + [f"line {r.line}: {_sentence(r)}" for r in plan.rejected]},
        )
    for person in plan.people:
        _add_person(session, person)
    for use in plan.aliases:
        if use.new:
            session.add(ProductAlias(alias=use.alias, product=use.product))
    session.flush()
    return plan.events


def _sentence(rejection: RowRejection) -> str:
    return "; ".join(f"{k}: {', '.join(v)}" for k, v in rejection.errors.items())


def _roster(table: Table, domain: str) -> list[Person]:
    people: dict[str, Person] = {}
    for row in table.rows:
        team = f"Team {row['manager'].split()[-1]}"
        region = row["regional_office"]
        people.setdefault(row["manager"], _person(row["manager"], "manager", team, region, domain))
        people[row["sales_agent"]] = _person(row["sales_agent"], "rep", team, region, domain)
    return list(people.values())


def _person(name: str, role: str, team: str, region: str, domain: str) -> Person:
    return Person(name, ".".join(name.lower().split()) + "@" + domain, role, team, region)


def _add_person(session: Session, person: Person) -> None:
    team = session.scalar(select(Team).where(Team.name == person.team))
    if team is None:
        team = Team(name=person.team, region=person.region)
        session.add(team)
    user = User(email=person.email, name=person.name, app_role=person.role)
    if person.role == "rep":
        user.sales_role, user.crm_user_id, user.team = "AE", person.name, team
    else:
        team.manager = user
    session.add(user)
    session.flush()


def _plan_file(context: _Context, name: str, table: Table) -> ImportPlan:
    plan = ImportPlan(file=name, rows=len(table.rows))
    try:
        options = context.options
        plan.format = options.format or ("mapping" if options.mapping else "")
        plan.format = plan.format or detect_format(table.header)
        columns = columns_for(plan.format, table.header, context.options.mapping)
        date_format = settle_date_format(_date_cells(table, columns), context.options.date_format)
    except Invalid as exc:
        plan.errors.append(exc.message + "".join(f" ({m})" for v in exc.fields.values() for m in v))
        return plan
    records = _records(context, plan, table, columns, date_format)
    _plan_people(context, plan, records)
    _plan_reach(context, plan, records)
    _plan_products(context, plan, records)
    _plan_deals(context, plan, records)
    return plan


def _date_cells(table: Table, columns: dict[str, str]) -> list[str]:
    return [
        row[columns[f]] for row in table.rows for f in DATE_FIELDS if row.get(columns.get(f, ""))
    ]


@dataclass
class _Record:
    line: int
    values: dict[str, str]
    moments: dict[str, datetime]
    amount: Decimal | None


def _records(
    context: _Context, plan: ImportPlan, table: Table, columns: dict[str, str], date_format: str
) -> list[_Record]:
    zone = ZoneInfo(context.options.timezone)
    records: list[_Record] = []
    seen: dict[str, int] = {}
    for line, row in enumerate(table.rows, start=2):
        values = {f: row.get(c, "") for f, c in columns.items()}
        errors: dict[str, list[str]] = {}
        moments = _moments(values, date_format, zone, errors)
        amount = _amount(values.get("amount", ""), table.delimiter, errors)
        _check_row(values, moments, errors)
        deal_id = values["deal_id"]
        if deal_id in seen:
            errors["deal_id"] = [f"deal {deal_id} already appears on line {seen[deal_id]}"]
        seen.setdefault(deal_id, line)
        if errors:
            plan.rejected.append(RowRejection(line, deal_id or None, errors))
        else:
            records.append(_Record(line, values, moments, amount))
    return records


def _moments(
    values: dict[str, str], date_format: str, zone: ZoneInfo, errors: dict[str, list[str]]
) -> dict[str, datetime]:
    moments: dict[str, datetime] = {}
    for name in DATE_FIELDS:
        cell = values.get(name, "")
        try:
            if cell:
                moments[name] = parse_moment(cell, date_format, zone)
        except ValueError:
            errors[name] = [f"{cell!r} is not a date in the {date_format} format"]
    return moments


def _amount(cell: str, delimiter: str, errors: dict[str, list[str]]) -> Decimal | None:
    try:
        amount = parse_amount(cell, delimiter) if cell else None
    except ValueError:
        errors["amount"] = [f"{cell!r} is not an amount"]
        return None
    if amount is not None and amount < 0:
        errors["amount"] = [f"{cell!r} is negative"]
    return amount


def _check_row(
    values: dict[str, str], moments: dict[str, datetime], errors: dict[str, list[str]]
) -> None:
    for name in REQUIRED:
        if not values.get(name):
            errors[name] = [f"the {name.replace('_', ' ')} is empty"]
    currency = values.get("currency", "")
    if currency and not re.fullmatch(r"[A-Za-z]{3}", currency):
        errors["currency"] = [f"{currency!r} is not a three-letter currency code"]
    status = stage_status(values.get("stage", ""))
    if status != "open" and "closed" not in moments and "closed" not in errors:
        errors["closed"] = [f"a {status} deal needs its close date"]


def _plan_people(context: _Context, plan: ImportPlan, records: list[_Record]) -> None:
    roster = {p.name: p for p in context.roster}
    known = resolve_reps(context.session, {r.values["owner"] for r in records} | set(roster))
    emails = set(context.session.scalars(select(User.email)))
    for person in context.roster:
        if person.name in known or person.email in emails:
            continue
        if not context.options.may_add_people:
            plan.errors.append(f"{person.name} has no user, and only an admin may add people")
        plan.people.append(person)
    names = {p.name for p in plan.people if p.role == "rep"}
    for record in list(records):
        owner = record.values["owner"]
        if owner not in known and owner not in names:
            message = f"unknown owner {owner!r}: no user has that email or CRM user id"
            plan.rejected.append(
                RowRejection(record.line, record.values["deal_id"], {"owner": [message]})
            )
            records.remove(record)
    plan.rejected.sort(key=lambda r: r.line)


def _plan_reach(context: _Context, plan: ImportPlan, records: list[_Record]) -> None:
    """Refuse the rows the importer may not write, by the same rule as the events API: a row
    for a rep out of their reach, or one that would move a deal away from such a rep."""
    if context.options.reach.everyone:
        return
    for record in list(records):
        events = _events(record, context.now)
        refused = refusals(context.session, events, context.options.reach)
        if refused:
            errors = {k: v for reasons in refused.values() for k, v in reasons.items()}
            plan.rejected.append(RowRejection(record.line, record.values["deal_id"], errors))
            records.remove(record)
    plan.rejected.sort(key=lambda r: r.line)


def _normal(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def _plan_products(context: _Context, plan: ImportPlan, records: list[_Record]) -> None:
    counts = Counter(r.values["product"] for r in records if r.values.get("product"))
    aliases = dict(context.session.execute(select(ProductAlias.alias, ProductAlias.product)).all())
    catalogue = {_normal(p): p for p in context.catalogue | set(aliases.values())}
    for product, rows in sorted(counts.items()):
        if product in aliases:
            plan.aliases.append(AliasUse(product, aliases[product], rows, new=False))
        elif product not in catalogue.values() and _normal(product) in catalogue:
            plan.aliases.append(AliasUse(product, catalogue[_normal(product)], rows, new=True))
        elif context.catalogue and product not in context.catalogue:
            plan.warnings.append(f"product {product!r} ({rows} rows) is not in the catalogue")
    spellings: dict[str, set[str]] = {}
    for product in counts:
        spellings.setdefault(_normal(product), set()).add(product)
    for group in spellings.values():
        if len(group) > 1 and not context.catalogue:
            names = " / ".join(sorted(group))
            plan.warnings.append(f"{names} look like one product; kept apart (add an alias)")


def _plan_deals(context: _Context, plan: ImportPlan, records: list[_Record]) -> None:
    for record in records:
        plan.events.extend(_events(record, context.now))
    keys = [e.id for e in plan.events]
    stored = _present(context.session, RawEvent.idempotency_key, keys)
    existing = _present(context.session, Deal.crm_id, [r.values["deal_id"] for r in records])
    new_by_deal = Counter(e.data["deal_id"] for e in plan.events if e.id not in stored)
    for record in records:
        deal_id = record.values["deal_id"]
        target = plan.updated if deal_id in existing else plan.created
        (target if new_by_deal[deal_id] else plan.unchanged).append(deal_id)


def _present(session: Session, column: Any, values: list[str]) -> set[str]:
    """Which of these values the column already holds (queried in chunks)."""
    found: set[str] = set()
    for start in range(0, len(values), 500):
        found.update(session.scalars(select(column).where(column.in_(values[start : start + 500]))))
    return found


def _events(record: _Record, now: datetime) -> list[SalesEvent]:
    """A row as events: created, then the engagement (if dated), then the close (if closed)."""
    values, moments = record.values, record.moments
    status = stage_status(values["stage"])
    deal_id = values["deal_id"]
    attrs: dict[str, Any] = {
        f: values[f] for f in ("account", "product", "segment", "source") if values.get(f)
    }
    attrs["currency"] = (values.get("currency") or "USD").upper()
    if record.amount is not None and status == "open":
        attrs["amount"] = str(record.amount)
    first = values["stage"] if status == "open" and "engaged" not in moments else "Prospecting"
    start = moments.get("created") or moments.get("engaged") or moments.get("closed") or now
    steps: list[tuple[str, str, datetime, dict[str, Any]]] = [
        ("deal.created", "created", start, {**attrs, "stage": first})
    ]
    if "engaged" in moments:
        stage = values["stage"] if status == "open" else "Engaging"
        steps.append(("deal.stage_changed", "engaged", moments["engaged"], {"stage": stage}))
    if status != "open":
        close = {"stage": values["stage"], "amount": str(record.amount or 0)}
        steps.append((f"deal.{status}", "closed", moments["closed"], close))
    owner = values["owner"]
    return [
        SalesEvent(
            _key(deal_id, kind, "" if at is now else at.isoformat(), owner, data),
            type_,
            at,
            owner,
            {"deal_id": deal_id, **data},
        )
        for type_, kind, at, data in steps
    ]


def _key(deal_id: str, kind: str, when: str, owner: str, data: dict[str, Any]) -> str:
    """The same row content gives the same key, so a re-import is recognised as duplicates.

    A row without any date is stamped with the import's clock, which is left out of the key.
    """
    content = json.dumps([kind, when, owner, data], sort_keys=True)
    return f"import:{deal_id}:{kind}:{hashlib.sha256(content.encode()).hexdigest()[:16]}"
