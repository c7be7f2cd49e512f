"""The rep's profile section "Phone notifications": the devices that get Web Push, a test
message, and removing a device. Subscribing happens in the browser (web/static/js/push.js),
which hands the subscription to /api/v1/me/devices."""

from __future__ import annotations

from dataclasses import dataclass

from flask import flash, redirect, url_for
from flask_babel import gettext, ngettext

from gameplay.channels.phones import PushSubscription, devices_of, remove_device
from gameplay.channels.pushes import TEST_MESSAGE, queue_test_push
from kpi_engine.db import utcnow
from web.extensions import db
from web.pages import bp
from web.permissions import actor, login_required
from web.push_keys import application_server_key


@dataclass(frozen=True)
class PhonesSection:
    devices: list[PushSubscription]
    public_key: str


def phones_section() -> PhonesSection:
    """What the profile's phone-notifications section shows for the current user."""
    return PhonesSection(devices_of(db.session(), actor().id), application_server_key())


@bp.post("/play/profile/devices/test")
@login_required
def play_test_push():
    link, text = url_for("pages.play_profile"), gettext(TEST_MESSAGE)
    sent = queue_test_push(db.session(), actor().id, now=utcnow(), link=link, text=text)
    db.session.commit()
    if sent:
        flash(
            gettext("A test notification is on its way to %(devices)s.", devices=_devices(sent)),
            "info",
        )
    else:
        flash(
            gettext("No device gets notifications yet: turn them on from your phone first."),
            "error",
        )
    return redirect(url_for("pages.play_profile", _anchor="phones-title"), 303)


@bp.post("/play/profile/devices/<int:device_id>/remove")
@login_required
def play_remove_device(device_id: int):
    device = remove_device(db.session(), actor(), device_id)
    db.session.commit()
    flash(gettext("%(device)s no longer gets notifications.", device=device.label), "info")
    return redirect(url_for("pages.play_profile", _anchor="phones-title"), 303)


def _devices(n: int) -> str:
    return ngettext("your device", "your %(num)s devices", n)
