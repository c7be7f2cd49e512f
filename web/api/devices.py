"""/api/v1/me/devices: the caller's devices that get phone notifications (Web Push). The
profile page's script subscribes through these; an app of one's own may too."""

from __future__ import annotations

from flask import current_app, jsonify, request

from gameplay.channels.phones import Device, add_device, devices_of, remove_device
from kpi_engine.db import utcnow
from web.api import bp
from web.extensions import db
from web.permissions import actor, login_required
from web.push_keys import application_server_key
from web.schemas.push import DeviceListSchema, DeviceSchema, PushSubscriptionSchema


def subscription_schema() -> PushSubscriptionSchema:
    config = current_app.config
    return PushSubscriptionSchema(
        hosts=config["PUSH_SERVICE_HOSTS"], allow_local_http=bool(config.get("TESTING"))
    )


@bp.get("/me/devices")
@login_required
def my_devices():
    devices = devices_of(db.session(), actor().id)
    answer = {"public_key": application_server_key(), "devices": devices}
    return jsonify(DeviceListSchema().dump(answer))


@bp.post("/me/devices")
@login_required
def add_my_device():
    body = subscription_schema().load(request.get_json(force=True))
    keys = body["keys"]
    label = body["label"].strip() or "This device"
    device = Device(body["endpoint"], keys["p256dh"], keys["auth"], label)
    row = add_device(db.session(), actor(), device, now=utcnow())
    db.session.commit()
    return jsonify(DeviceSchema().dump(row)), 201


@bp.delete("/me/devices/<int:device_id>")
@login_required
def remove_my_device(device_id: int):
    row = remove_device(db.session(), actor(), device_id)
    db.session.commit()
    return jsonify(DeviceSchema().dump(row))
