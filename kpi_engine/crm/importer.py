"""CSV import of CRM exports: formats, column mappings, dry runs, all-or-nothing per file.

Every row becomes SalesEvents that go through the same ingest path as API events, with
idempotency keys derived from the row's content: importing a file twice adds nothing, and a
later export of a deal that has moved on adds only the events that are new.

Owners are matched to users by email or CRM user id, then through a roster given with the export
(the sample's sales_teams.csv, a HubSpot users export, a Salesforce users report: its people who
have no user yet are created, their full name becoming their CRM user id), and only as a last
resort by a user's full name when exactly one user has it, which the plan reports
(kpi_engine.crm.owners). Product spellings are reconciled only through the
ProductAlias table: a products.csv catalogue adds an alias for a spelling that differs from a
catalogue name only in case, spaces or punctuation (`GTXPro` → `GTX Pro`), and the plan reports
it; spellings that merely look alike without a catalogue are reported, never merged.

A rejected row names every problem it has at once, each under the column as the file names it,
and the plan groups its rejections by cause, so a file refused for one reason on 8,800 rows
reads as one sentence with counts instead of 8,800 identical lines.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from kpi_engine.crm.cells import (
    ImpossibleDate,
    Table,
    decode,
    parse_amount,
    parse_moment,
    read_table,
    settle_date_format,
)
from kpi_engine.crm.columns import (
    CATALOGUE_COLUMNS,
    DATE_FIELDS,
    REQUIRED,
    columns_for,
    detect_format,
    roster_columns,
)
from kpi_engine.crm.owners import (
    NameMatch,
    OwnerMatch,
    Person,
    add_people,
    match_owners,
    read_roster,
)
from kpi_engine.errors import Invalid
from kpi_engine.org.audit import actor_name
from kpi_engine.org.models import User
from kpi_engine.org.reach import EVERYONE, Reach
from kpi_engine.sales.folds import ENGAGED_STAGE, FIRST_STAGE
from kpi_engine.sales.ingest import SalesEvent, refusals, stage_status
from kpi_engine.sales.models import Deal, ProductAlias, RawEvent
from kpi_engine.words import N_, Said, said, said_n


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
class Problem:
    """One thing wrong on a row: in which column, what kind of wrong (for grouping), in words."""

    column: str  # as the file names it; the field when no column holds it
    kind: str  # e.g. "not an amount", the same for every row wrong in the same way
    message: str
    value: str = ""  # the cell, kept where a group names values (unknown owners)


OWNER_UNKNOWN = N_("owner unknown")
OWNER_AMBIGUOUS = N_("owner shared by several users")
OWNER_KINDS = (OWNER_UNKNOWN, OWNER_AMBIGUOUS)
LINES_SHOWN = 5  # line numbers a group lists; its count is always complete
VALUES_SHOWN = 10  # unknown owners a group names


@dataclass(frozen=True)
class RowRejection:
    line: int
    deal_id: str | None
    problems: tuple[Problem, ...]

    @property
    def errors(self) -> dict[str, list[str]]:
        """The row's messages per column, in the order they were found."""
        errors: dict[str, list[str]] = {}
        for problem in self.problems:
            errors.setdefault(problem.column, []).append(problem.message)
        return errors


@dataclass(frozen=True)
class RejectionGroup:
    """The rows rejected for one cause: the same column wrong in the same way."""

    column: str
    kind: str
    lines: tuple[int, ...]
    values: tuple[tuple[str, int], ...] = ()  # owners not matched with their rows, most first
    hint: str = ""

    @property
    def rows(self) -> int:
        return len(self.lines)

    @property
    def summary(self) -> Said:
        """The cause as one sentence with its count, e.g. "Close Date: not a real date on 3 rows
        (lines 4, 9, 31)"; unknown owners are named with their rows and what to do about them."""
        if self.kind in OWNER_KINDS:
            return said(
                N_("%(column)s: %(owners)s (%(hint)s)"),
                column=self.column,
                owners=self._owners(),
                hint=said(self.hint) if self.hint else "",  # N_-marked: translated where shown
            )
        return said(
            N_("%(column)s: %(kind)s on %(rows)s (%(lines)s)"),
            column=self.column,
            kind=said(self.kind),
            rows=_rows(self.rows),
            lines=_lines(self.lines),
        )

    def _owners(self) -> Said:
        named = [
            said(N_("%(owner)s (%(rows)s)"), owner=v, rows=_rows(n))
            for v, n in self.values[:VALUES_SHOWN]
        ]
        more = len(self.values) - VALUES_SHOWN
        return said(
            N_("%(kind)s for %(owners)s on %(rows)s — %(named)s%(more)s"),
            kind=said(self.kind),
            owners=said_n("%(count)s owner", "%(count)s owners", len(self.values)),
            rows=_rows(self.rows),
            named=_listed(named),
            more=said(N_(", … and %(count)s more"), count=more) if more > 0 else "",
        )


def _listed(parts: Sequence[str]) -> Said:
    """Sentences joined with commas, each written in the reader's language."""
    template = ", ".join(f"%(p{n})s" for n in range(len(parts)))
    return said(template, **{f"p{n}": part for n, part in enumerate(parts)})


def _rows(count: int) -> Said:
    return said_n("%(count)s row", "%(count)s rows", count)


def _lines(numbers: Sequence[int]) -> Said:
    """The first line numbers, e.g. "lines 4, 9, 31, 40, 57, …"."""
    shown = ", ".join(str(n) for n in numbers[:LINES_SHOWN])
    shown += ", …" if len(numbers) > LINES_SHOWN else ""
    return said_n("line %(shown)s", "lines %(shown)s", len(numbers), shown=shown)


@dataclass(frozen=True)
class AliasUse:
    alias: str
    product: str
    rows: int
    new: bool


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
    name_matches: list[tuple[NameMatch, int]] = field(default_factory=list)  # with their rows
    aliases: list[AliasUse] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    rejected: list[RowRejection] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    # Lines of accepted rows without a creation date, and the columns that would give one.
    undated: list[int] = field(default_factory=list)
    creation_columns: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.rejected and not self.errors

    @property
    def accepted(self) -> int:
        """Rows that passed every check: each is a deal to create, update or leave unchanged."""
        return len(self.created) + len(self.updated) + len(self.unchanged)

    def totals(self) -> Said:
        """How many rows the file has, passed and rejected, e.g. "8,800 rows: 0 accepted, 8,800
        rejected"; a file refused as a whole (columns, dates) had none of its rows checked."""
        if self.rows and not self.accepted and not self.rejected:
            return said(
                N_("%(rows)s: none checked, the file as a whole must be fixed first"),
                rows=_rows(self.rows),
            )
        return said(
            N_("%(rows)s: %(accepted)s, %(rejected)s"),
            rows=_rows(self.rows),
            accepted=said_n("%(count)s accepted", "%(count)s accepted", self.accepted),
            rejected=said_n("%(count)s rejected", "%(count)s rejected", len(self.rejected)),
        )

    def undated_summary(self) -> Said:
        """The rows without a creation date as one sentence with their count and first lines:
        their deals stay undated instead of taking the import's time."""
        columns = self.creation_columns
        empty = (
            said_n(
                "%(columns)s empty", "%(columns)s empty", len(columns), columns=", ".join(columns)
            )
            if columns
            else said(N_("no column holds one"))
        )
        return said_n(
            "%(count)s row has no creation date (%(empty)s; %(lines)s): its deal gets none"
            " rather than the import's date, and KPIs that need one (pipeline conversion,"
            " sales cycle) leave them out and say how many",
            "%(count)s rows have no creation date (%(empty)s; %(lines)s): their deals get"
            " none rather than the import's date, and KPIs that need one (pipeline"
            " conversion, sales cycle) leave them out and say how many",
            len(self.undated),
            empty=empty,
            lines=_lines(self.undated),
        )

    def rejection_groups(self) -> list[RejectionGroup]:
        """The rejections by cause (column and kind of problem), the most rows first."""
        lines: dict[tuple[str, str], dict[int, None]] = {}
        values: dict[tuple[str, str], Counter[str]] = {}
        for rejection in self.rejected:
            for problem in rejection.problems:
                cause = (problem.column, problem.kind)
                lines.setdefault(cause, {})[rejection.line] = None
                if problem.kind in OWNER_KINDS:
                    values.setdefault(cause, Counter())[problem.value] += 1
        groups = []
        for (column, kind), found in lines.items():
            counted = sorted(values.get((column, kind), {}).items(), key=lambda v: (-v[1], v[0]))
            hint = _owner_hint(kind, [v for v, _ in counted]) if kind in OWNER_KINDS else ""
            groups.append(RejectionGroup(column, kind, tuple(found), tuple(counted), hint))
        return sorted(groups, key=lambda g: -g.rows)


def _owner_hint(kind: str, owners: list[str]) -> str:
    """What makes these owners known: an admin adds them on the People page (a name as their
    CRM user id), or a roster given with the export adds them by name."""
    if kind == OWNER_AMBIGUOUS:
        return N_("give each of them their CRM user id on the People page, then import again")
    by_name = N_(
        "add the owners' roster (sales_teams.csv, a HubSpot users export or a Salesforce"
        " users report) to the import, or have an admin add them on the People page with"
        " the name as their CRM user id (flask --app wsgi create-user --crm-id NAME …)"
    )
    by_email = N_(
        "have an admin add them on the People page (flask --app wsgi create-user --email EMAIL …)"
    )
    names, emails = any("@" not in o for o in owners), any("@" in o for o in owners)
    if names and emails:
        return said(N_("%(one)s; or %(other)s"), one=said(by_name), other=said(by_email))
    return by_name if names else by_email if emails else ""


@dataclass
class _Context:
    session: Session
    options: ImportOptions
    now: datetime
    roster: list[Person] = field(default_factory=list)
    roster_errors: list[str] = field(default_factory=list)
    catalogue: set[str] = field(default_factory=set)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.options.timezone)


def plan_import(
    session: Session, files: Sequence[CsvFile], options: ImportOptions, *, now: datetime
) -> list[ImportPlan]:
    """One plan per deal file; a roster (sales_teams.csv, a HubSpot or Salesforce users export)
    and a catalogue (products.csv) serve all."""
    context = _Context(session, options, now)
    tables: list[tuple[str, Table]] = []
    for file in files:
        table = read_table(decode(file.data, file.name))
        roster = roster_columns(table.header, options.mapping)
        if roster is not None:
            found = read_roster(table, roster, options.email_domain, file.name)
            context.roster.extend(found.people)
            context.roster_errors.extend(found.errors)
        elif set(table.header) >= CATALOGUE_COLUMNS:
            context.catalogue.update(r["product"] for r in table.rows if r["product"])
        else:
            tables.append((file.name, table))
    if not tables:
        raise Invalid(
            N_("no deal file among the files"), {"files": [N_("give at least one deal export")]}
        )
    return [_plan_file(context, name, table) for name, table in tables]


def prepare_import(
    session: Session, plan: ImportPlan, *, now: datetime, actor: User | None = None
) -> list[SalesEvent]:
    """Create the plan's people (with their teams, audited as the import of `actor`, None: the
    command line) and aliases, flushed, and return its events; Invalid if the plan is not ok."""
    if not plan.ok:
        lines: list[str] = [
            said(N_("line %(line)s: %(why)s"), line=str(r.line), why=_sentence(r))
            for r in plan.rejected
        ]
        raise Invalid(
            N_("%(file)s was not imported: %(count)s rows rejected"),
            {"file": plan.errors + lines},
            file=plan.file,
            count=len(plan.rejected),
        )
    via = f"{actor_name(actor)}, importing {plan.file}"
    add_people(session, plan.people, actor=actor, now=now, via=via)
    for use in plan.aliases:
        if use.new:
            session.add(ProductAlias(alias=use.alias, product=use.product))
    session.flush()
    return plan.events


def _sentence(rejection: RowRejection) -> Said:
    """The row's problems by column: "amount: 'x' is not an amount; stage: ..."."""
    by_column = [
        said(N_("%(column)s: %(problems)s"), column=column, problems=_listed(messages))
        for column, messages in rejection.errors.items()
    ]
    template = "; ".join(f"%(p{n})s" for n in range(len(by_column)))
    return said(template, **{f"p{n}": part for n, part in enumerate(by_column)})


def _plan_file(context: _Context, name: str, table: Table) -> ImportPlan:
    plan = ImportPlan(file=name, rows=len(table.rows))
    try:
        options = context.options
        plan.format = options.format or ("mapping" if options.mapping else "")
        plan.format = plan.format or detect_format(table.header)
        columns = columns_for(plan.format, table.header, context.options.mapping)
        date_format = settle_date_format(_date_cells(table, columns), context.options.date_format)
    except Invalid as exc:
        reasons = [m for v in exc.fields.values() for m in v]
        template = "%(message)s" + "".join(f" (%(r{n})s)" for n in range(len(reasons)))
        plan.errors.append(
            said(template, message=exc.message, **{f"r{n}": r for n, r in enumerate(reasons)})
        )
        return plan
    plan.creation_columns = tuple(columns[f] for f in ("created", "engaged") if f in columns)
    owners = _plan_people(context, plan, table, columns["owner"])
    records = _records(context, plan, table, columns, date_format, owners)
    _plan_reach(context, plan, records, columns)
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
    rep: str  # the owner as the events name them: an email or a CRM user id


def _records(
    context: _Context,
    plan: ImportPlan,
    table: Table,
    columns: dict[str, str],
    date_format: str,
    owners: OwnerMatch,
) -> list[_Record]:
    """The rows that pass every check; each other row is rejected once with all its problems."""
    zone = context.zone
    records: list[_Record] = []
    seen: dict[str, int] = {}
    for line, row in enumerate(table.rows, start=2):
        values = {f: row.get(c, "") for f, c in columns.items()}
        problems: list[Problem] = []
        moments = _moments(values, date_format, zone, problems)
        amount = _amount(values.get("amount", ""), table.delimiter, problems)
        _check_row(values, moments, problems)
        owner, deal_id = values["owner"], values["deal_id"]
        if owner and owner not in owners.refs:
            problems.append(_owner_problem(owner, owners))
        if deal_id in seen:
            message = said(
                N_("deal %(deal)s already appears on line %(line)s"),
                deal=deal_id,
                line=str(seen[deal_id]),
            )
            problems.append(Problem("deal_id", N_("already on an earlier line"), message))
        if deal_id:
            seen.setdefault(deal_id, line)
        if problems:
            plan.rejected.append(RowRejection(line, deal_id or None, _named(problems, columns)))
        else:
            records.append(_Record(line, values, moments, amount, owners.refs[owner]))
    return records


def _owner_problem(owner: str, owners: OwnerMatch) -> Problem:
    shared = owners.ambiguous.get(owner)
    if shared:
        message = said(
            N_("owner %(owner)r could be any of %(names)s: give each a CRM user id"),
            owner=owner,
            names=", ".join(shared),
        )
        return Problem("owner", OWNER_AMBIGUOUS, message, owner)
    message = said(
        N_("unknown owner %(owner)r: no user has that email, CRM user id or name"), owner=owner
    )
    return Problem("owner", OWNER_UNKNOWN, message, owner)


def _named(problems: list[Problem], columns: dict[str, str]) -> tuple[Problem, ...]:
    """The problems under the file's own column names, which the person can find in the file."""
    return tuple(replace(p, column=columns.get(p.column, p.column)) for p in problems)


def _moments(
    values: dict[str, str], date_format: str, zone: ZoneInfo, problems: list[Problem]
) -> dict[str, datetime]:
    moments: dict[str, datetime] = {}
    for name in DATE_FIELDS:
        cell = values.get(name, "")
        try:
            if cell:
                moments[name] = parse_moment(cell, date_format, zone)
        except ImpossibleDate as exc:
            problems.append(Problem(name, N_("not a real date"), said(exc.args[0])))
        except ValueError as exc:
            kind = said(N_("not a date in the %(format)s format"), format=date_format)
            problems.append(Problem(name, kind, said(exc.args[0])))
    return moments


def _amount(cell: str, delimiter: str, problems: list[Problem]) -> Decimal | None:
    try:
        amount = parse_amount(cell, delimiter) if cell else None
    except ValueError:
        message = said(N_("%(cell)r is not an amount"), cell=cell)
        problems.append(Problem("amount", N_("not an amount"), message))
        return None
    if amount is not None and amount < 0:
        message = said(N_("%(cell)r is negative"), cell=cell)
        problems.append(Problem("amount", N_("negative"), message))
    return amount


def _check_row(
    values: dict[str, str], moments: dict[str, datetime], problems: list[Problem]
) -> None:
    for name in REQUIRED:
        if not values.get(name):
            message = said(N_("the %(field)s is empty"), field=name.replace("_", " "))
            problems.append(Problem(name, N_("empty"), message))
    currency = values.get("currency", "")
    if currency and not re.fullmatch(r"[A-Za-z]{3}", currency):
        message = said(N_("%(currency)r is not a three-letter currency code"), currency=currency)
        problems.append(Problem("currency", N_("not a three-letter currency code"), message))
    status = stage_status(values.get("stage", ""))
    unreadable = any(p.column == "closed" for p in problems)
    if status != "open" and "closed" not in moments and not unreadable:
        message = said(N_("a %(status)s deal needs its close date"), status=said(status))
        problems.append(Problem("closed", N_("empty on a won or lost deal"), message))


def _plan_people(context: _Context, plan: ImportPlan, table: Table, column: str) -> OwnerMatch:
    """Match the owners and plan the roster's missing people; report owners matched by name.

    Known before the rows are checked, so an unknown owner joins a row's other problems."""
    rows = Counter(row.get(column, "") for row in table.rows)
    match = match_owners(context.session, set(rows), context.roster)
    plan.errors.extend(context.roster_errors)
    for person in match.new_people:
        if not context.options.may_add_people:
            plan.errors.append(
                said(N_("%(name)s has no user, and only an admin may add people"), name=person.name)
            )
        plan.people.append(person)
    plan.name_matches = [(m, rows[owner]) for owner, m in sorted(match.by_name.items())]
    return match


# The events API's names for a refusal's subject, as fields of a row.
_REFUSED = {
    "rep": ("owner", N_("a rep outside your teams")),
    "data.deal_id": ("deal_id", N_("a deal of a rep outside your teams")),
}


def _plan_reach(
    context: _Context, plan: ImportPlan, records: list[_Record], columns: dict[str, str]
) -> None:
    """Refuse the rows the importer may not write, by the same rule as the events API: a row
    for a rep out of their reach, or one that would move a deal away from such a rep."""
    if context.options.reach.everyone:
        return
    for record in list(records):
        events = _events(record, context.now, context.zone)
        refused = refusals(context.session, events, context.options.reach)
        if refused:
            # A row's events are refused alike (created, then won): its reasons once each.
            errors = {k: v for reasons in refused.values() for k, v in reasons.items()}
            problems = [
                Problem(*_REFUSED.get(key, (key, N_("outside your teams"))), said(message))
                for key, messages in errors.items()
                for message in messages
            ]
            rejection = RowRejection(
                record.line, record.values["deal_id"], _named(problems, columns)
            )
            plan.rejected.append(rejection)
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
            plan.warnings.append(
                said(
                    N_("product %(product)r (%(rows)s) is not in the catalogue"),
                    product=product,
                    rows=_rows(rows),
                )
            )
    spellings: dict[str, set[str]] = {}
    for product in counts:
        spellings.setdefault(_normal(product), set()).add(product)
    for group in spellings.values():
        if len(group) > 1 and not context.catalogue:
            names = " / ".join(sorted(group))
            plan.warnings.append(
                said(N_("%(names)s look like one product; kept apart (add an alias)"), names=names)
            )


def _plan_deals(context: _Context, plan: ImportPlan, records: list[_Record]) -> None:
    for record in records:
        plan.events.extend(_events(record, context.now, context.zone))
    plan.undated = [r.line for r in records if creation_moment(r.moments) is None]
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


_Step = tuple[str, str, datetime, dict[str, Any]]  # type, kind, when, data


def _events(record: _Record, now: datetime, zone: ZoneInfo) -> list[SalesEvent]:
    """A row as events: created, then the engagement (if dated), then the close (if closed).

    Each dated event carries its calendar day, the day the cell names (the instant is noon of
    it in the organisation's zone; a cell with a time and an offset gives its day there). A row
    without a creation date makes an undated creation, placed at the row's close, or else at
    the import's clock, only so that it comes first among the deal's events; its key is the
    one it had before creations were marked undated, so a file imported then is a duplicate."""
    values, moments = record.values, record.moments
    status = stage_status(values["stage"])
    deal_id = values["deal_id"]
    attrs: dict[str, Any] = {
        f: values[f] for f in ("account", "product", "segment", "source") if values.get(f)
    }
    attrs["currency"] = (values.get("currency") or "USD").upper()
    if record.amount is not None and status == "open":
        attrs["amount"] = str(record.amount)
    first = values["stage"] if status == "open" and "engaged" not in moments else FIRST_STAGE
    created = creation_moment(moments)
    start = created or moments.get("closed") or now
    steps: list[_Step] = [("deal.created", "created", start, {**attrs, "stage": first})]
    if "engaged" in moments:
        stage = values["stage"] if status == "open" else ENGAGED_STAGE
        steps.append(("deal.stage_changed", "engaged", moments["engaged"], {"stage": stage}))
    if status != "open":
        close = {"stage": values["stage"], "amount": str(record.amount or 0)}
        steps.append((f"deal.{status}", "closed", moments["closed"], close))
    owner = values["owner"]
    later = [_event(deal_id, owner, record.rep, step, zone, now) for step in steps[1:]]
    creation = _event(deal_id, owner, record.rep, steps[0], zone, now, undated=created is None)
    return [creation, *later]


def _event(
    deal_id: str,
    owner: str,
    rep: str,
    step: _Step,
    zone: ZoneInfo,
    now: datetime,
    *,
    undated: bool = False,
) -> SalesEvent:
    type_, kind, at, data = step
    # The key keeps the owner as the file wrote it, so a later match of the same owner by
    # another way (a CRM user id set since) still finds the same events.
    key = _key(deal_id, kind, "" if at is now else at.isoformat(), owner, data)
    day = at.astimezone(zone).date()
    return SalesEvent(key, type_, at, rep, {"deal_id": deal_id, **data}, day=day, undated=undated)


def creation_moment(moments: dict[str, datetime]) -> datetime | None:
    """When a row says its deal was created: its creation date, else its engagement (a deal
    is in the pipeline by the time a rep engages it, and the sample data set dates deals only
    so); None when it says neither, which leaves the deal undated."""
    return moments.get("created") or moments.get("engaged")


def _key(deal_id: str, kind: str, when: str, owner: str, data: dict[str, Any]) -> str:
    """The same row content gives the same key, so a re-import is recognised as duplicates.

    A row without any date is placed at the import's clock, which is left out of the key.
    """
    content = json.dumps([kind, when, owner, data], sort_keys=True)
    return f"import:{deal_id}:{kind}:{hashlib.sha256(content.encode()).hexdigest()[:16]}"
