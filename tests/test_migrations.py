"""The migrations build the schema the models describe, and unwind to nothing."""

from __future__ import annotations

import os
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from kpi_engine.db import Base
from tests.conftest import make_app
from web.extensions import db


def _fresh_app(tmp_path: Path):
    return make_app(
        os.environ.get("TEST_DATABASE_URL_MIGRATIONS") or f"sqlite:///{tmp_path / 'm.db'}"
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
