"""The migrations build the schema the models describe, unwind to nothing, and carry existing
data across (the calendar days of deals)."""

from __future__ import annotations

import os
from datetime import UTC, date, datetime
from pathlib import Path

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from kpi_engine.crm.importer import CsvFile, ImportOptions, plan_import, prepare_import
from kpi_engine.db import Base
from kpi_engine.sales.ingest import ingest_events, rebuild_mirror
from kpi_engine.sales.models import Deal
from tests.conftest import make_app
from tests.factories import event, make_user
from web.extensions import db

DATA = Path(__file__).resolve().parent / "data"


def _fresh_app(tmp_path: Path, **config: str):
    return make_app(
        os.environ.get("TEST_DATABASE_URL_MIGRATIONS") or f"sqlite:///{tmp_path / 'm.db'}",
        **config,
    )


def test_upgrade_from_empty_matches_the_models(tmp_path: Path) -> None:
    app = _fresh_app(tmp_path)
    with app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            drift = compare_metadata(context, Base.metadata)
        assert drift == []
        downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        db.engine.dispose()


def test_the_calendar_days_revision_dates_existing_deals_in_the_zone_of_their_import(
    tmp_path: Path,
) -> None:
    """Deals imported under Pacific/Auckland before the revision (no days, undated rows
    stamped with the import's clock) get back every day and every undatedness on upgrade."""
    app = _fresh_app(tmp_path, ORG_TIMEZONE="Pacific/Auckland")
    with app.app_context():
        upgrade()
        session = db.session()
        _import_in_auckland(session)
        expected = _days_of_deals(session)
        assert expected["9202"][0] is None and expected["ENGAGED"][1] == date(2017, 3, 2)
        downgrade(revision="f1_team_channels")
        _forget_engaged_days(session)
        upgrade()
        # A row with a close date and no creation date was dated by its close before the
        # revision, and nothing stored tells it from a deal created on its closing day.
        _, _, closed_on, _ = expected["9204"]
        expected["9204"] = (closed_on, None, closed_on, _closed_at(session, "9204"))
        assert _days_of_deals(session) == expected
        rebuild_mirror(session)
        assert _days_of_deals(session) == expected
        session.rollback()
        db.engine.dispose()


DAYS_FILES = ("hubspot_eu_calendar.csv", "hubspot_undated.csv")
AUCKLAND = "Pacific/Auckland"


def _import_in_auckland(session: Session) -> None:
    ann = make_user(session, email="ann@example.test")
    make_user(session, email="bob@example.test")
    now = datetime(2026, 11, 2, 12, tzinfo=UTC)
    for name in DAYS_FILES:
        csv_file = CsvFile(name, (DATA / name).read_bytes())
        [plan] = plan_import(session, [csv_file], ImportOptions(timezone=AUCKLAND), now=now)
        ingest_events(
            session, prepare_import(session, plan, now=now), source="import", now=now, tz=AUCKLAND
        )
    # An API event with an engagement instant: late on 1 March in UTC, 2 March in Auckland.
    engaged = datetime(2017, 3, 1, 23, 30, tzinfo=UTC)
    api = event("deal.created", ann, engaged, deal_id="ENGAGED", engaged_at=engaged)
    ingest_events(session, [api], now=now, tz=AUCKLAND)
    session.commit()


def _days_of_deals(session: Session) -> dict[str, tuple[object, ...]]:
    columns = (Deal.created_on, Deal.engaged_on, Deal.closed_on, Deal.created_at)
    query = select(Deal.crm_id, *columns)
    found = {crm_id: tuple(rest) for crm_id, *rest in session.execute(query)}
    session.rollback()
    return found


def _closed_at(session: Session, crm_id: str) -> datetime | None:
    found = session.scalar(select(Deal.closed_at).where(Deal.crm_id == crm_id))
    session.rollback()
    return found


def _forget_engaged_days(session: Session) -> None:
    """Payloads as events stored before the revision had them: no engaged_on."""
    raw = sa.table("raw_event", sa.column("id", sa.Integer), sa.column("payload", sa.JSON))
    for raw_id, payload in session.execute(sa.select(raw.c.id, raw.c.payload)).all():
        data = {k: v for k, v in payload["data"].items() if k != "engaged_on"}
        stmt = raw.update().where(raw.c.id == raw_id).values(payload={**payload, "data": data})
        session.execute(stmt)
    session.commit()
