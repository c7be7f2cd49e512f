"""Faces on pages: the avatar macro's helper, a rep's picture upload, and the pictures served
with caching (the URL carries the picture's version, the answer an ETag)."""

from __future__ import annotations

import io

from flask import abort, flash, redirect, request, send_file, url_for
from flask_babel import gettext

from kpi_engine.errors import DomainError
from web.avatars import face_of, picture_path, remove_picture, save_picture
from web.form_refusals import keep_refusal
from web.pages import bp
from web.permissions import actor, login_required
from web.schemas.forms import inline_errors

# A versioned URL never changes meaning: a browser keeps it for a year; the ETag answers the
# revalidation of an unversioned one with 304.
LONG = 365 * 24 * 3600
SHORT = 300

bp.add_app_template_global(face_of, "face_of")


@bp.get("/avatars/<int:user_id>.webp")
@login_required
def avatar_picture(user_id: int):
    path = picture_path(user_id)
    try:  # a few kilobytes: read whole, so no file stays open whatever the client does
        data, stat = path.read_bytes(), path.stat()
    except FileNotFoundError:
        abort(404)
    etag = f"{user_id}-{stat.st_mtime_ns}-{len(data)}"
    answer = send_file(
        io.BytesIO(data), mimetype="image/webp", conditional=True, etag=etag,
        last_modified=stat.st_mtime,
    )  # fmt: skip
    answer.cache_control.private = True
    answer.cache_control.public = False
    answer.cache_control.max_age = LONG if request.args.get("v") else SHORT
    if request.args.get("v"):
        answer.cache_control.immutable = True
    answer.headers["X-Content-Type-Options"] = "nosniff"
    return answer


@bp.post("/play/profile/avatar")
@login_required
def play_avatar():
    upload = request.files.get("avatar")
    try:
        save_picture(actor().id, upload)
    except DomainError as exc:
        keep_refusal("avatar", 0, inline_errors(exc, ("avatar",)), {})
        return redirect(url_for("pages.play_profile", _anchor="avatar-title"), 303)
    flash(gettext("Picture saved."), "info")
    return redirect(url_for("pages.play_profile", _anchor="avatar-title"), 303)


@bp.post("/play/profile/avatar/remove")
@login_required
def play_avatar_remove():
    remove_picture(actor().id)
    flash(gettext("Picture removed: your initials show instead."), "info")
    return redirect(url_for("pages.play_profile", _anchor="avatar-title"), 303)
