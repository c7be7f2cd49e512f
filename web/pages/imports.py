"""The CRM import page: managers and admins upload exports, see a dry run, then import.

The import itself is a background job (web.import_jobs): the upload answers at once with the
job's page, whose progress bar follows the job until its report."""

from __future__ import annotations

from flask import redirect, render_template, url_for
from flask_babel import gettext as _

from kpi_engine.crm.columns import EXPORT_COLUMNS
from kpi_engine.crm.import_jobs import recent_jobs, visible_job
from kpi_engine.crm.importer import OWNER_KINDS, plan_import
from kpi_engine.db import utcnow
from web.api.imports import job_json
from web.extensions import db
from web.import_jobs import submit_import, upload_options, uploaded_files
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
    files, options = uploaded_files(), upload_options(form, actor())
    if form["action"] == "import":
        job = submit_import(files, options, actor())
        return redirect(url_for("pages.import_job", job_id=job.id), code=303)
    plans = plan_import(db.session(), files, options, now=utcnow())
    return _page(plans=plans, dry_run=True)


@bp.get("/imports/jobs/<int:job_id>")
@manager_required
def import_job(job_id: int):
    job = visible_job(db.session(), job_id, actor())
    return render_template("import_job.html", job=job, status=job_json(job), words=_job_words())


def _job_words() -> dict[str, str]:
    """The job's states in the reader's language, for the page and js/import_job.js."""
    return {
        "queued": _("Waiting for a worker to take it…"),
        "reading": _("Reading and checking the files…"),
        "importing": _("Importing…"),
    }


def _page(**context: object) -> str:
    return render_template(
        "imports.html",
        formats=list(EXPORT_COLUMNS),
        owner_kinds=OWNER_KINDS,
        jobs=recent_jobs(db.session(), actor()),
        **context,
    )
