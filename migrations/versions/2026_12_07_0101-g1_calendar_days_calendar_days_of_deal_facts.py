"""calendar days of deal facts: deal.created_on/engaged_on/closed_on, raw_event.occurred_on

Revision ID: g1_calendar_days
Revises: f1_team_channels
Create Date: 2026-12-07 01:01:52.895341

A CRM's created, engaged and closed dates are calendar days. Until now only an instant was
kept (a date-only cell became noon of its day in ORG_TIMEZONE) and every report turned it back
into a day in the zone configured at the time of reading, so a change of ORG_TIMEZONE moved
deals across days and days to close came out fractional across daylight saving changes.

Existing rows get the day of their instant in ORG_TIMEZONE as configured when this upgrade
runs: run it with the zone the data was imported under (the default, UTC, if it never changed).
A deal event that carried `engaged_at` gets the day of it, `engaged_on`, in its payload, as new
events do on arrival. Creations the importer stamped with its own clock because the row had no
date at all are recognised by their idempotency key (the importer left the clock out of it) and
become undated: the raw event's occurred_on and the deal's created_at/created_on are NULL.

A row that had a close date but no creation date was dated by its close; its events cannot be
told apart from those of a deal created on the day it closed, so it stays dated.

Downgrade drops the days; a deal without a creation date takes its close, else its updated_at,
as created_at, which is what the importer used to stamp; `engaged_on` stays in payloads, where
nothing reads it.
"""
import hashlib
import json
from collections.abc import Iterator
from datetime import datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op
from flask import current_app

import kpi_engine.db


# revision identifiers, used by Alembic.
revision = 'g1_calendar_days'
down_revision = 'f1_team_channels'
branch_labels = None
depends_on = None

CHUNK = 5000
DEAL_EVENTS = ("deal.created", "deal.updated", "deal.stage_changed", "deal.won", "deal.lost")

deal = sa.table(
    "deal",
    sa.column("id", sa.Integer),
    sa.column("crm_id", sa.String),
    sa.column("created_at", kpi_engine.db.UTCDateTime()),
    sa.column("engaged_at", kpi_engine.db.UTCDateTime()),
    sa.column("closed_at", kpi_engine.db.UTCDateTime()),
    sa.column("updated_at", kpi_engine.db.UTCDateTime()),
    sa.column("created_on", sa.Date),
    sa.column("engaged_on", sa.Date),
    sa.column("closed_on", sa.Date),
)
raw_event = sa.table(
    "raw_event",
    sa.column("id", sa.Integer),
    sa.column("idempotency_key", sa.String),
    sa.column("type", sa.String),
    sa.column("subject", sa.String),
    sa.column("source", sa.String),
    sa.column("occurred_at", kpi_engine.db.UTCDateTime()),
    sa.column("occurred_on", sa.Date),
    sa.column("payload", sa.JSON),
)


def upgrade():
    with op.batch_alter_table('deal', schema=None) as batch_op:
        batch_op.add_column(sa.Column('created_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('engaged_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('closed_on', sa.Date(), nullable=True))
        batch_op.alter_column(
            'created_at', existing_type=kpi_engine.db.UTCDateTime(timezone=True), nullable=True
        )
        batch_op.drop_index('ix_deal_owner_closed')
        batch_op.create_index('ix_deal_owner_closed_on', ['owner_id', 'closed_on'], unique=False)
        batch_op.create_index('ix_deal_closed_on', ['closed_on'], unique=False)
    with op.batch_alter_table('raw_event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('occurred_on', sa.Date(), nullable=True))
    zone = ZoneInfo(str(current_app.config.get("ORG_TIMEZONE") or "UTC"))
    bind = op.get_bind()
    undated = _date_raw_events(bind, zone)
    _date_deals(bind, zone, undated)


def downgrade():
    bind = op.get_bind()
    # What the importer stamped before: the row's close, else its own clock.
    stamped = sa.func.coalesce(deal.c.closed_at, deal.c.updated_at)
    bind.execute(deal.update().where(deal.c.created_at.is_(None)).values(created_at=stamped))
    with op.batch_alter_table('raw_event', schema=None) as batch_op:
        batch_op.drop_column('occurred_on')
    with op.batch_alter_table('deal', schema=None) as batch_op:
        batch_op.drop_index('ix_deal_closed_on')
        batch_op.drop_index('ix_deal_owner_closed_on')
        batch_op.create_index('ix_deal_owner_closed', ['owner_id', 'closed_at'], unique=False)
        batch_op.alter_column(
            'created_at', existing_type=kpi_engine.db.UTCDateTime(timezone=True), nullable=False
        )
        batch_op.drop_column('closed_on')
        batch_op.drop_column('engaged_on')
        batch_op.drop_column('created_on')


def _pages(bind, table, *columns) -> Iterator[list[sa.Row]]:
    """All rows of a table, a page at a time in id order, so a large table is never held whole."""
    last = 0
    while True:
        query = sa.select(table.c.id, *columns).where(table.c.id > last).order_by(table.c.id)
        rows = bind.execute(query.limit(CHUNK)).all()
        if not rows:
            return
        yield rows
        last = rows[-1].id


def _day(moment: datetime | None, zone: ZoneInfo):
    return moment.astimezone(zone).date() if moment is not None else None


def _date_raw_events(bind, zone: ZoneInfo) -> set[str]:
    """Give every raw event its day; returns the deals whose latest creation is undated."""
    latest: dict[str, tuple[datetime, int, bool]] = {}
    names = ("idempotency_key", "type", "subject", "source", "occurred_at", "payload")
    for rows in _pages(bind, raw_event, *(raw_event.c[n] for n in names)):
        days, payloads = [], []
        for row in rows:
            undated = row.type == "deal.created" and _stamped_by_import(row)
            days.append({"raw_id": row.id, "day": None if undated else _day(row.occurred_at, zone)})
            if row.type == "deal.created":
                order = (row.occurred_at, row.id, undated)
                latest[row.subject] = max(latest.get(row.subject, order), order)
            payload = _with_engaged_day(row, zone)
            if payload is not None:
                payloads.append({"raw_id": row.id, "dated": payload})
        by_id = raw_event.c.id == sa.bindparam("raw_id")
        bind.execute(raw_event.update().where(by_id).values(occurred_on=sa.bindparam("day")), days)
        if payloads:
            dated = raw_event.update().where(by_id).values(payload=sa.bindparam("dated"))
            bind.execute(dated, payloads)
    return {subject for subject, (_, _, undated) in latest.items() if undated}


def _stamped_by_import(row) -> bool:
    """A creation the importer stamped with its clock: its key was made without any date."""
    if row.source != "import":
        return False
    data = dict(row.payload["data"])
    deal_id = data.pop("deal_id", "")
    content = json.dumps(["created", "", row.payload["rep"], data], sort_keys=True)
    digest = hashlib.sha256(content.encode()).hexdigest()[:16]
    return row.idempotency_key == f"import:{deal_id}:created:{digest}"


def _with_engaged_day(row, zone: ZoneInfo):
    data = row.payload.get("data") or {}
    if row.type not in DEAL_EVENTS or not data.get("engaged_at") or "engaged_on" in data:
        return None
    engaged = datetime.fromisoformat(data["engaged_at"])
    day = _day(engaged, zone).isoformat()
    return {**row.payload, "data": {**data, "engaged_on": day}}


def _date_deals(bind, zone: ZoneInfo, undated: set[str]) -> None:
    columns = (deal.c.crm_id, deal.c.created_at, deal.c.engaged_at, deal.c.closed_at)
    for rows in _pages(bind, deal, *columns):
        days = [
            {
                "deal_id": row.id,
                "moment": None if row.crm_id in undated else row.created_at,
                "created": None if row.crm_id in undated else _day(row.created_at, zone),
                "engaged": _day(row.engaged_at, zone),
                "closed": _day(row.closed_at, zone),
            }
            for row in rows
        ]
        bind.execute(
            deal.update()
            .where(deal.c.id == sa.bindparam("deal_id"))
            .values(
                created_at=sa.bindparam("moment"),
                created_on=sa.bindparam("created"),
                engaged_on=sa.bindparam("engaged"),
                closed_on=sa.bindparam("closed"),
            ),
            days,
        )
