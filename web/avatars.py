"""Faces: each person's avatar is an uploaded picture or their initials on a colour.

An upload is checked (a picture Pillow can read, of a listed type, under the size limit),
cropped to a square, resized and re-encoded as WebP, so what is stored is pixels Pillow wrote,
never the bytes that came in. Pictures live in the instance folder (or AVATAR_FOLDER), one
file per user; the file's modification time versions its URL, so a browser may keep it long.
Without a picture, the initials sit on a hue derived from the name (static/js/moments.js
derives the same hue for rows drawn in the browser).
"""

from __future__ import annotations

import io
import os
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import current_app, url_for
from PIL import Image, ImageOps, UnidentifiedImageError
from werkzeug.datastructures import FileStorage

from kpi_engine.errors import Invalid
from kpi_engine.words import N_, said

SIDE = 256  # pixels of the stored square
MAX_BYTES = 1024 * 1024  # an upload over this is refused (the field is named in the answer)
MAX_PIXELS = 40_000_000  # a picture larger than this is refused before it is decoded
FORMATS = {"JPEG", "PNG", "WEBP", "GIF"}
FOLDER = "avatars"


@dataclass(frozen=True)
class Face:
    """What the avatar macro draws: a picture URL, or initials on a hue."""

    initials: str
    hue: int
    url: str | None = None


def initials(name: str) -> str:
    """The first letters of the first and last words ("Darcel Moss" → "DM"), or "?"."""
    words = [w for w in name.replace("-", " ").split() if w[:1].isalnum()]
    if not words:
        return "?"
    first, last = words[0][0], words[-1][0] if len(words) > 1 else ""
    return (first + last).upper()


def name_hue(name: str) -> int:
    """A hue (0-359) that depends only on the name: the same person has the same colour on
    every page and every day (moments.js computes the same number)."""
    hue = 0
    for char in name:
        hue = (hue * 31 + ord(char)) % 360
    return hue


def face_of(person: Any, *, picture: bool = True) -> Face:
    """The avatar of a user or a board row (an anonymised row gets no picture and no user)."""
    name = str(getattr(person, "name", "") or "")
    anonymised = bool(getattr(person, "anonymised", False))
    user_id = getattr(person, "user_id", getattr(person, "id", None))
    url = picture_url(user_id) if picture and user_id is not None and not anonymised else None
    return Face(initials(name), name_hue(name), url)


def picture_path(user_id: int) -> Path:
    folder = current_app.config.get("AVATAR_FOLDER") or Path(current_app.instance_path) / FOLDER
    return Path(folder) / f"{int(user_id)}.webp"


def picture_url(user_id: int) -> str | None:
    """The versioned URL of the user's picture, or None when they have none."""
    try:
        version = picture_path(user_id).stat().st_mtime_ns
    except FileNotFoundError:
        return None
    return url_for("pages.avatar_picture", user_id=user_id, v=version)


def save_picture(user_id: int, upload: FileStorage | None) -> None:
    """Check an uploaded picture, make it a SIDE-pixel WebP square and store it."""
    if upload is None or not upload.filename:
        choose = N_("Choose a picture to upload.")
        raise Invalid(choose, {"avatar": [choose]})
    data = upload.stream.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        message = said(
            N_("The picture is larger than %(most)s MB."), most=MAX_BYTES // (1024 * 1024)
        )
        raise Invalid(message, {"avatar": [message]})
    square = _square(data)
    path = picture_path(user_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    with os.fdopen(handle, "wb") as out:
        square.save(out, "WEBP", quality=85)
    os.replace(temporary, path)  # a reader sees the old picture or the new one, never half


def remove_picture(user_id: int) -> None:
    """Go back to initials."""
    picture_path(user_id).unlink(missing_ok=True)


def _square(data: bytes) -> Image.Image:
    """The decoded picture as an RGBA square, or Invalid naming the field."""
    refused = N_("Upload a JPEG, PNG, WebP or GIF picture.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            if image.format not in FORMATS:
                raise Invalid(refused, {"avatar": [refused]})
            if image.width * image.height > MAX_PIXELS:
                raise Invalid(
                    N_("The picture has too many pixels."), {"avatar": [N_("Too many pixels.")]}
                )
            image.load()
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombWarning,
            Image.DecompressionBombError) as exc:  # fmt: skip
        raise Invalid(refused, {"avatar": [refused]}) from exc
    upright = ImageOps.exif_transpose(image) or image
    return ImageOps.fit(upright.convert("RGBA"), (SIDE, SIDE), Image.Resampling.LANCZOS)
