"""People and team changes in words, for the pages and the command line: "Team: Team Hall →
Team Marxen", in the organisation's time zone, never an internal name."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from kpi_engine.org.models import OrgAction, OrgChange

LABELS = {
    "name": _l("Name"),
    "email": _l("Email"),
    "role": _l("Role"),
    "sales_role": _l("Sales role"),
    "team": _l("Team"),
    "crm_user_id": _l("CRM user id"),
    "active": _l("Access"),
    "region": _l("Region"),
    "manager": _l("Manager"),
}
VERBS = {
    OrgAction.TEAM_CREATED: "created team",
    OrgAction.TEAM_CHANGED: "changed team",
    OrgAction.USER_CREATED: "added",
    OrgAction.USER_CHANGED: "changed",
}


def words(key: str, value: Any) -> str:
    """A field's value as a person reads it: none, active or deactivated, the text itself."""
    if key == "active":
        return gettext("active") if value else gettext("deactivated")
    return gettext("none") if value in (None, "") else str(value)


def field_changes(change: OrgChange) -> list[tuple[str, str, str]]:
    """Each changed field as (label, before, after), in the order LABELS lists them."""
    keys = [k for k in LABELS if k in change.after or k in change.before]
    return [
        (str(LABELS[k]), words(k, change.before.get(k)), words(k, change.after.get(k)))
        for k in keys
    ]


def subject(change: OrgChange) -> str:
    """Whom or what the change is about, by their current name."""
    if change.user is not None:
        return change.user.name
    if change.team is not None:
        return change.team.name
    return "someone since removed"


def change_sentence(change: OrgChange) -> str:
    """One line: "changed Darcel Schlecht: Team: Team Hall → Team Marxen"."""
    parts = [
        f"{label}: {after}" if change.action.endswith("created") else f"{label}: {before} → {after}"
        for label, before, after in field_changes(change)
    ]
    return f"{VERBS[OrgAction(change.action)]} {subject(change)}: {'; '.join(parts)}"


def local_time(moment: datetime) -> str:
    """A moment in the organisation's time zone, to the minute."""
    zone = ZoneInfo(current_app.config["ORG_TIMEZONE"])
    return moment.astimezone(zone).strftime("%d %b %Y, %H:%M")
