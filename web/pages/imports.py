"""The CRM import page: managers and admins upload exports, see a dry run, then import."""

from __future__ import annotations

from flask import current_app, render_template, request

from kpi_engine.crm.columns import EXPORT_COLUMNS
from kpi_engine.crm.importer import OWNER_KINDS, CsvFile, ImportOptions, plan_import
from kpi_engine.db import utcnow
from kpi_engine.errors import Invalid
from kpi_engine.org.reach import reach
from web.extensions import db
from web.ingest import import_plan
from web.pages import bp
from web.permissions import actor, manager_required
from web.schemas.forms import drop_blank, form_fields
from web.schemas.imports import ImportFormSchema


@bp.get("/imports")
@manager_required
def imports():
    return _page()


@bp.post("/imports")
@manager_required
def run_import():
    form = ImportFormSchema().load(drop_blank(form_fields()))
    uploads = [f for f in request.files.getlist("files") if f.filename]
    if not uploads:
        raise Invalid("choose at least one CSV file", {"files": ["no file was chosen"]})
    options = ImportOptions(
        format=form["format"],
        mapping=form["mapping"],
        date_format=form["date_format"],
        timezone=current_app.config["ORG_TIMEZONE"],
        may_add_people=actor().app_role == "admin",
        reach=reach(db.session(), actor()),
    )
    files = [CsvFile(f.filename or "upload.csv", f.read()) for f in uploads]
    plans = plan_import(db.session(), files, options, now=utcnow())
    dry_run = form["action"] == "dry_run"
    ok = [p for p in plans if p.ok]
    imported = (
        {} if dry_run else {p.file: import_plan(p, reach=options.reach, actor=actor()) for p in ok}
    )
    return _page(plans=plans, imported=imported, dry_run=dry_run)


def _page(**context: object) -> str:
    return render_template(
        "imports.html", formats=list(EXPORT_COLUMNS), owner_kinds=OWNER_KINDS, **context
    )
