"""`flask --app wsgi import-crm`: CRM exports in, with a dry run that shows every decision."""

from __future__ import annotations

import json
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from kpi_engine.crm.import_jobs import CHUNK_ROWS
from kpi_engine.crm.importer import CsvFile, ImportOptions, ImportPlan, plan_import
from kpi_engine.db import utcnow
from kpi_engine.errors import DomainError
from kpi_engine.org.reach import EVERYONE
from web.extensions import db
from web.ingest import import_in_chunks

SHOWN = 10  # ids listed per kind of change; the counts are always complete
REJECTIONS_SHOWN = 20  # rejected lines listed one by one; the groups above count them all


def describe(plan: ImportPlan) -> list[str]:
    """The plan as lines a person reads: totals, then the changes of a file that would import,
    or the rejections of one that would not, by cause and then the first lines one by one."""
    lines = [f"{plan.file} ({plan.format or 'unknown format'}, {plan.rows:,} rows)"]
    if not plan.ok:
        fix = "fix the rows below" if plan.rejected else "fix the file"
        lines.append(f"  nothing imported from {plan.file}: {fix} and run it again")
    lines += [f"  error: {e}" for e in plan.errors]
    lines.append(f"  {plan.totals()}")
    # A refused file changes nothing, so its would-be creations are left out rather than
    # printed as counts that read as if part of it went in.
    if plan.ok:
        lines += _changes(plan)
    if plan.undated:
        lines.append(f"  undated: {plan.undated_summary()}")
    lines += [f"  warning: {w}" for w in plan.warnings]
    lines += [
        f"  owner matched by name: {m.owner} → {m.user} <{m.email}> ({rows:,} rows);"
        " set their CRM user id to make it certain"
        for m, rows in plan.name_matches
    ]
    return lines + _rejections(plan)


def _changes(plan: ImportPlan) -> list[str]:
    lines = [_listed("deals to create", plan.created), _listed("deals to update", plan.updated)]
    lines.append(f"  deals unchanged: {len(plan.unchanged)}")
    lines += [
        f"  new {p.role}: {p.name} <{p.email}> {p.place}"
        + ("" if p.active else ", added deactivated (inactive in the roster)")
        for p in plan.people
    ]
    return lines + [
        f"  alias{' (new)' if a.new else ''}: {a.alias} → {a.product} ({a.rows} rows)"
        for a in plan.aliases
    ]


def _rejections(plan: ImportPlan) -> list[str]:
    if not plan.rejected:
        return []
    lines = [f"  {len(plan.rejected):,} rows rejected, by cause:"]
    lines += [f"    {group.summary}" for group in plan.rejection_groups()]
    lines += [
        f"  rejected line {r.line} ({r.deal_id or 'no id'}): {_reasons(r.errors)}"
        for r in plan.rejected[:REJECTIONS_SHOWN]
    ]
    more = len(plan.rejected) - REJECTIONS_SHOWN
    return lines + ([f"  … and {more:,} more rejected lines"] if more > 0 else [])


def _listed(label: str, ids: list[str]) -> str:
    more = f" … and {len(ids) - SHOWN} more" if len(ids) > SHOWN else ""
    return f"  {label}: {len(ids)}" + (f" ({', '.join(ids[:SHOWN])}{more})" if ids else "")


def _reasons(errors: dict[str, list[str]]) -> str:
    return "; ".join(f"{field}: {', '.join(messages)}" for field, messages in errors.items())


@click.command("import-crm")
@with_appcontext
@click.argument(
    "files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["sample", "hubspot", "salesforce"]),
    default=None,
    help="The export's format; read from its header when omitted.",
)
@click.option(
    "--mapping",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help='A JSON file {"deal_id": "column", "owner": "column", ...} naming the columns.',
)
@click.option("--dry-run", is_flag=True, help="Show what would change and every rejected row.")
@click.option(
    "--date-format",
    default=None,
    help="iso, us (MM/DD/YYYY), eu (DD/MM/YYYY) or a strftime pattern.",
)
@click.option(
    "--email-domain",
    default="example.com",
    show_default=True,
    help="Domain of the emails built for people a roster adds without an email column.",
)
def import_crm_command(
    files: tuple[Path, ...],
    fmt: str | None,
    mapping: Path | None,
    dry_run: bool,
    date_format: str | None,
    email_domain: str,
) -> None:
    """Import CRM exports (sample data set, HubSpot deals, Salesforce opportunities).

    Each deal file is imported whole or not at all; importing it again changes nothing.
    Give a roster of the owners (sales_teams.csv, a HubSpot users export, a Salesforce users
    report) to add the people it names, products.csv to reconcile spellings.
    """
    options = ImportOptions(
        format=fmt,
        mapping=json.loads(mapping.read_text()) if mapping else None,
        date_format=date_format,
        timezone=current_app.config["ORG_TIMEZONE"],
        email_domain=email_domain,
    )
    try:
        csv_files = [CsvFile(p.name, p.read_bytes()) for p in files]
        plans = plan_import(db.session(), csv_files, options, now=utcnow())
    except DomainError as exc:
        raise click.ClickException(exc.message + f" ({_reasons(exc.fields)})") from exc
    for plan in plans:
        click.echo("\n".join(describe(plan)))
        if plan.ok and not dry_run:
            stored, known = _import(plan)
            click.echo(f"  imported: {stored} events stored, {known} already known")
    failed = [p.file for p in plans if not p.ok]
    if failed:
        raise click.ClickException(f"not imported, see above what to fix: {', '.join(failed)}")
    if dry_run:
        click.echo("dry run: nothing was changed")


def _import(plan: ImportPlan) -> tuple[int, int]:
    """Store the plan's rows chunk by chunk (the CLI runs with the admin's rights), with a
    progress bar of the rows stored when the file has more than one chunk."""
    if plan.accepted <= CHUNK_ROWS:
        return import_in_chunks(plan, reach=EVERYONE)
    with click.progressbar(
        length=plan.accepted, label=f"  importing {plan.file}", show_pos=True, width=30
    ) as bar:
        return import_in_chunks(plan, reach=EVERYONE, after=lambda rows, _result: bar.update(rows))
