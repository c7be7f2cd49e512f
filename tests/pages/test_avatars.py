"""Faces: a rep's picture is checked, squared and re-encoded; it is served with caching; a rep
without one shows initials on a colour that depends only on the name."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from tests.conftest import log_in
from tests.live.conftest import Org
from web.avatars import MAX_BYTES, SIDE, face_of, initials, name_hue


@pytest.fixture(autouse=True)
def avatar_folder(app: Flask, tmp_path: Path) -> Path:
    app.config["AVATAR_FOLDER"] = str(tmp_path / "avatars")
    return tmp_path / "avatars"


def picture(fmt: str = "PNG", size: tuple[int, int] = (640, 480)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 40, 40)).save(out, fmt)
    return out.getvalue()


def upload(client: FlaskClient, token: str, data: bytes, name: str = "me.png"):
    # Encoded here, in memory: the test client would spool a big body to a file it never closes.
    boundary, body = encode_multipart({"avatar": FileStorage(io.BytesIO(data), name)})
    return client.put(
        "/api/v1/me/avatar",
        data=body,
        headers={"X-CSRFToken": token},
        content_type=f"multipart/form-data; boundary={boundary}",
    )


def test_an_uploaded_picture_is_stored_as_a_square_webp_and_shown_on_the_profile(
    client: FlaskClient, org: Org, avatar_folder: Path
) -> None:
    token = log_in(client, "ann@example.test")
    answer = upload(client, token, picture("JPEG"), "me.jpg")
    assert answer.status_code == 200, answer.get_data(as_text=True)
    url = answer.get_json()["url"]
    assert url.startswith(f"/avatars/{org.ann}.webp?v=")
    with Image.open(avatar_folder / f"{org.ann}.webp") as stored:
        assert (stored.format, stored.size) == ("WEBP", (SIDE, SIDE))
    html = client.get("/play/profile").get_data(as_text=True)
    assert f'src="{url.replace("&", "&amp;")}"' in html


@pytest.mark.parametrize(
    ("data", "name", "words"),
    [
        (b"#!/bin/sh\nrm -rf /\n", "me.png", "Upload a JPEG, PNG, WebP or GIF picture."),
        (b"%PDF-1.4 not a picture", "me.pdf", "Upload a JPEG, PNG, WebP or GIF picture."),
        (picture("BMP"), "me.bmp", "Upload a JPEG, PNG, WebP or GIF picture."),
        (b"\x89PNG" + b"0" * MAX_BYTES, "big.png", "The picture is larger than 1 MB."),
    ],
)
def test_a_file_that_is_not_an_accepted_picture_or_too_big_is_refused_naming_the_field(
    client: FlaskClient, org: Org, avatar_folder: Path, data: bytes, name: str, words: str
) -> None:
    token = log_in(client, "ann@example.test")
    answer = upload(client, token, data, name)
    assert answer.status_code == 422
    assert answer.get_json()["error"]["fields"] == {"avatar": [words]}
    assert not (avatar_folder / f"{org.ann}.webp").exists()


def test_the_profile_form_refuses_a_wrong_file_inline_beside_the_field(
    client: FlaskClient, org: Org
) -> None:
    token = log_in(client, "ann@example.test")
    answer = client.post(
        "/play/profile/avatar",
        data={"avatar": (io.BytesIO(b"GIF89a broken"), "x.gif"), "csrf_token": token},
        content_type="multipart/form-data",
    )
    assert answer.status_code == 303
    html = client.get("/play/profile").get_data(as_text=True)
    assert 'id="avatar-error"' in html and "Upload a JPEG, PNG, WebP or GIF picture." in html


def test_a_picture_is_served_with_an_etag_and_long_caching_when_versioned(
    client: FlaskClient, org: Org
) -> None:
    token = log_in(client, "ann@example.test")
    url = upload(client, token, picture()).get_json()["url"]
    first = client.get(url)
    assert first.status_code == 200 and first.mimetype == "image/webp"
    assert first.headers["ETag"] and first.headers["X-Content-Type-Options"] == "nosniff"
    caching = first.headers["Cache-Control"]
    assert "private" in caching and "max-age=31536000" in caching and "immutable" in caching
    again = client.get(url, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    unversioned = client.get(f"/avatars/{org.ann}.webp")
    assert "max-age=300" in unversioned.headers["Cache-Control"]


def test_pictures_are_for_signed_in_people_and_a_missing_one_is_not_found(
    client: FlaskClient, org: Org
) -> None:
    assert client.get(f"/avatars/{org.ann}.webp").status_code in (302, 401)
    log_in(client, "ann@example.test")
    assert client.get(f"/avatars/{org.bob}.webp").status_code == 404


def test_without_a_picture_initials_show_on_a_colour_that_depends_only_on_the_name(
    client: FlaskClient, org: Org
) -> None:
    assert initials("Darcel Moss") == "DM" and initials("marty") == "M"
    assert initials("Jean-Luc Picard") == "JP" and initials("  ") == "?"
    assert name_hue("Darcel Moss") == name_hue("Darcel Moss") == 197
    assert name_hue("Marty") != name_hue("Darcel Moss")
    assert all(0 <= name_hue(n) < 360 for n in ["", "Zoë", "李小龙", "x" * 500])
    log_in(client, "ann@example.test")
    html = client.get(f"/play/challenges/{org.challenge_id}").get_data(as_text=True)
    # Initials (not the first two letters), drawn by CSS: the cell's text is the name alone.
    bob = f'data-initials="B"\n      style="--avatar-size: 24px; --avatar-hue: {name_hue("Bob")}">'
    assert f"{bob}</span>Bob" in html


def test_an_anonymised_row_gets_initials_of_the_name_shown_and_no_picture(app: Flask) -> None:
    class Row:
        user_id, name, anonymised = 7, "Anonymous rep", True

    with app.test_request_context():
        assert face_of(Row()) == face_of(Row(), picture=False)
        assert face_of(Row()).url is None and face_of(Row()).initials == "AR"
