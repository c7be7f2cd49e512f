"""`flask --app wsgi import-crm`: CRM exports in, with a dry run that shows every decision."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_babel import gettext, ngettext

from kpi_engine.crm.import_jobs import CHUNK_ROWS
from kpi_engine.crm.importer import (
    AliasUse,
    CsvFile,
    ImportOptions,
    ImportPlan,
    RowRejection,
    plan_import,
)
from kpi_engine.crm.owners import Person
from kpi_engine.db import utcnow
from kpi_engine.errors import DomainError
from kpi_engine.org.models import AppRole
from kpi_engine.org.reach import EVERYONE
from web.extensions import db
from web.formats import number, written
from web.i18n import in_locale
from web.ingest import import_in_chunks

SHOWN = 10  # ids listed per kind of change; the counts are always complete
REJECTIONS_SHOWN = 20  # rejected lines listed one by one; the groups above count them all


def describe(plan: ImportPlan) -> list[str]:
    """The plan as lines a person reads, in the current language (the CLI's: English; a job's:
    its uploader's): totals, then the changes of a file that would import, or the rejections of
    one that would not, by cause and then the first lines one by one."""
    lines = [
        ngettext(
            "%(file)s (%(format)s, %(count)s row)",
            "%(file)s (%(format)s, %(count)s rows)",
            plan.rows,
            file=plan.file,
            format=plan.format or gettext("unknown format"),
            count=number(plan.rows),
        )
    ]
    if not plan.ok:
        fix = (
            gettext(
                "nothing imported from %(file)s: fix the rows below and run it again",
                file=plan.file,
            )
            if plan.rejected
            else gettext(
                "nothing imported from %(file)s: fix the file and run it again", file=plan.file
            )
        )
        lines.append(_INDENT + fix)
    lines += [_INDENT + gettext("error: %(error)s", error=written(e)) for e in plan.errors]
    lines.append(_INDENT + written(plan.totals()))
    # A refused file changes nothing, so its would-be creations are left out rather than
    # printed as counts that read as if part of it went in.
    if plan.ok:
        lines += _changes(plan)
    if plan.undated:
        lines.append(
            _INDENT + gettext("undated: %(summary)s", summary=written(plan.undated_summary()))
        )
    lines += [_INDENT + gettext("warning: %(warning)s", warning=written(w)) for w in plan.warnings]
    lines += [
        _INDENT
        + ngettext(
            "owner matched by name: %(owner)s → %(user)s <%(email)s> (%(count)s row);"
            " set their CRM user id to make it certain",
            "owner matched by name: %(owner)s → %(user)s <%(email)s> (%(count)s rows);"
            " set their CRM user id to make it certain",
            rows,
            owner=m.owner,
            user=m.user,
            email=m.email,
            count=number(rows),
        )
        for m, rows in plan.name_matches
    ]
    return lines + _rejections(plan)


_INDENT = "  "  # a file's lines under its name; its causes under their heading, deeper


def _changes(plan: ImportPlan) -> list[str]:
    created, updated = plan.created, plan.updated
    lines = [
        gettext(
            "deals to create: %(count)s (%(ids)s)", count=number(len(created)), ids=_ids(created)
        )
        if created
        else gettext("deals to create: %(count)s", count=number(0)),
        gettext(
            "deals to update: %(count)s (%(ids)s)", count=number(len(updated)), ids=_ids(updated)
        )
        if updated
        else gettext("deals to update: %(count)s", count=number(0)),
        gettext("deals unchanged: %(count)s", count=number(len(plan.unchanged))),
    ]
    lines += [_new_person(p) for p in plan.people]
    lines += [_alias(a) for a in plan.aliases]
    return [_INDENT + line for line in lines]


def _alias(alias: AliasUse) -> str:
    values = {"alias": alias.alias, "product": alias.product, "count": number(alias.rows)}
    if alias.new:
        return ngettext(
            "alias (new): %(alias)s → %(product)s (%(count)s row)",
            "alias (new): %(alias)s → %(product)s (%(count)s rows)",
            alias.rows,
            **values,
        )
    return ngettext(
        "alias: %(alias)s → %(product)s (%(count)s row)",
        "alias: %(alias)s → %(product)s (%(count)s rows)",
        alias.rows,
        **values,
    )


def _new_person(person: Person) -> str:
    values = {"name": person.name, "email": person.email, "place": written(person.place)}
    manager = person.role == AppRole.MANAGER
    if person.active:
        if manager:
            return gettext("new manager: %(name)s <%(email)s> %(place)s", **values)
        return gettext("new rep: %(name)s <%(email)s> %(place)s", **values)
    if manager:
        return gettext(
            "new manager: %(name)s <%(email)s> %(place)s,"
            " added deactivated (inactive in the roster)",
            **values,
        )
    return gettext(
        "new rep: %(name)s <%(email)s> %(place)s, added deactivated (inactive in the roster)",
        **values,
    )


def _ids(ids: list[str]) -> str:
    """The first ids, then how many more."""
    shown, more = ", ".join(ids[:SHOWN]), len(ids) - SHOWN
    if more <= 0:
        return shown
    return ngettext(
        "%(ids)s … and %(count)s more",
        "%(ids)s … and %(count)s more",
        more,
        ids=shown,
        count=number(more),
    )


def _rejections(plan: ImportPlan) -> list[str]:
    if not plan.rejected:
        return []
    count = len(plan.rejected)
    heading = ngettext(
        "%(count)s row rejected, by cause:",
        "%(count)s rows rejected, by cause:",
        count,
        count=number(count),
    )
    lines = [_INDENT + heading]
    lines += [_INDENT * 2 + written(group.summary) for group in plan.rejection_groups()]
    lines += [_INDENT + _rejected_line(r) for r in plan.rejected[:REJECTIONS_SHOWN]]
    more = count - REJECTIONS_SHOWN
    if more > 0:
        lines.append(
            _INDENT
            + ngettext(
                "… and %(count)s more rejected line",
                "… and %(count)s more rejected lines",
                more,
                count=number(more),
            )
        )
    return lines


def _rejected_line(rejection: RowRejection) -> str:
    reasons = _reasons(rejection.errors)
    if rejection.deal_id:
        return gettext(
            "rejected line %(line)s (%(deal)s): %(reasons)s",
            line=str(rejection.line),
            deal=rejection.deal_id,
            reasons=reasons,
        )
    return gettext(
        "rejected line %(line)s (no id): %(reasons)s", line=str(rejection.line), reasons=reasons
    )


def _reasons(errors: Mapping[str, list[str]]) -> str:
    """Each field's messages, written: "Amount: 'abc' is not an amount; Close Date: ..."."""
    return "; ".join(
        gettext(
            "%(column)s: %(problems)s",
            column=field,
            problems=", ".join(written(m) for m in messages),
        )
        for field, messages in errors.items()
    )


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
        with in_locale("en"):
            reasons = _reasons(exc.fields)
        raise click.ClickException(exc.message + f" ({reasons})") from exc
    for plan in plans:
        with in_locale("en"):  # the command line speaks English, whatever ORG_LOCALE says
            lines = describe(plan)
        click.echo("\n".join(lines))
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
