"""/api/v1/me/avatar: upload (multipart field `avatar`) or remove the caller's picture."""

from __future__ import annotations

from flask import jsonify, request

from web.api import bp
from web.avatars import face_of, remove_picture, save_picture
from web.permissions import actor, login_required


@bp.put("/me/avatar")
@login_required
def put_my_avatar():
    upload = request.files.get("avatar")
    save_picture(actor().id, upload)
    return jsonify(_face()), 200


@bp.delete("/me/avatar")
@login_required
def delete_my_avatar():
    remove_picture(actor().id)
    return jsonify(_face()), 200


def _face() -> dict[str, object]:
    face = face_of(actor())
    return {"initials": face.initials, "hue": face.hue, "url": face.url}
