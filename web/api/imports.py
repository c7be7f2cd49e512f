"""/api/v1/imports: a CRM upload imported as a background job, and the job's status."""

from __future__ import annotations

from typing import Any

from flask import current_app, jsonify, url_for

from kpi_engine.crm.import_jobs import ImportJob, visible_job
from kpi_engine.db import utcnow
from web.api import bp
from web.extensions import db
from web.import_jobs import stale_after, submit_import, upload_options, uploaded_files
from web.permissions import actor, manager_required
from web.schemas.forms import drop_blank, form_fields
from web.schemas.imports import ImportJobSchema, ImportUploadSchema


@bp.post("/imports")
@manager_required
def post_import():
    form = ImportUploadSchema().load(drop_blank(form_fields()))
    job = submit_import(uploaded_files(), upload_options(form, actor()), actor())
    answer = jsonify(job_json(job))
    answer.headers["Location"] = url_for("api.read_import", job_id=job.id)
    return answer, 202


@bp.get("/imports/<int:job_id>")
@manager_required
def read_import(job_id: int):
    return jsonify(job_json(visible_job(db.session(), job_id, actor())))


def job_json(job: ImportJob) -> dict[str, Any]:
    """The job as the API and the page's poll read it; `stalled` is computed, never stored."""
    links = {
        "url": url_for("api.read_import", job_id=job.id),
        "page": url_for("pages.import_job", job_id=job.id),
        "stalled": job.stalled(utcnow(), stale_after(current_app.config)),
    }
    return {**ImportJobSchema().dump(job), **links}
