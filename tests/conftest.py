"""Fixtures: one database per test run (SQLite by default, PostgreSQL with TEST_DATABASE_URL),
built by the real migrations and emptied before each test."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, create_engine, make_url, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from kpi_engine.db import Base, configure_sqlite, utcnow
from kpi_engine.demo.org import load_demo
from web.app import create_app
from web.extensions import db as flask_db

DEMO_TODAY = date(2026, 11, 2)
# The whole demo world is loaded at the real clock, so that its live challenges are live for
# the pages (which read utcnow) as they are after `flask demo`.
DEMO_WORLD_NOW = utcnow()
PASSWORD = "correct horse battery"


def _url_or_sqlite(tmp: Path, name: str) -> str:
    return os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{tmp / name}"


_built_apps: list[Flask] = []


def make_app(database_url: str, **overrides: Any) -> Flask:
    """An app for tests; its connections are closed when the test that built it ends."""
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "WTF_CSRF_ENABLED": True,
        "RATELIMIT_ENABLED": True,
        "ORG_TIMEZONE": "UTC",
    }
    config.update(overrides)
    application = create_app(config)
    _built_apps.append(application)
    return application


@pytest.fixture(autouse=True)
def _close_connections_of_apps_built_by_the_test() -> Iterator[None]:
    # An undisposed pool leaks its connections to the garbage collector, and psycopg's
    # ResourceWarning (an error here) then fails whichever test happens to be running.
    first = len(_built_apps)
    yield
    for application in _built_apps[first:]:
        with application.app_context():
            for engine in flask_db.engines.values():
                engine.dispose()
    del _built_apps[first:]


def migrate_to_head(app: Flask) -> None:
    from flask_migrate import upgrade

    with app.app_context():
        upgrade()


def empty_all_tables(engine: Engine) -> None:
    # A frame timer left by the previous test may still be reading when the next one starts:
    # PostgreSQL then picks the TRUNCATE as a deadlock's victim, and the reader is done by the
    # time it is tried again.
    for attempt in range(5):
        try:
            _empty(engine)
            return
        except OperationalError as error:
            if "deadlock" not in str(error) or attempt == 4:
                raise
            time.sleep(0.2)


def _empty(engine: Engine) -> None:
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            quoted = ", ".join(f'"{t}"' for t in tables)
            conn.execute(text(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                conn.execute(text(f'DELETE FROM "{table}"'))


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The test database, upgraded once by the migrations (not create_all)."""
    url = _url_or_sqlite(tmp_path_factory.mktemp("db"), "test.db")
    app = make_app(url)
    if url.startswith("postgresql"):
        with app.app_context():
            flask_db.drop_all()
            flask_db.session.execute(text("DROP TABLE IF EXISTS alembic_version"))
            flask_db.session.commit()
    migrate_to_head(app)
    return url


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    eng = create_engine(database_url)
    if eng.dialect.name == "sqlite":
        configure_sqlite(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A bare SQLAlchemy session for domain tests, on an empty database."""
    empty_all_tables(engine)
    with Session(engine) as s:
        yield s
        s.rollback()


@pytest.fixture
def app(database_url: str, engine: Engine) -> Iterator[Flask]:
    empty_all_tables(engine)
    application = make_app(database_url)
    yield application
    with application.app_context():
        flask_db.engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory, database_url: str) -> str:
    """A database holding the demo org, built once: a SQLite file, or on PostgreSQL a
    template database that each test clones (CREATE DATABASE ... TEMPLATE is a file copy)."""
    if database_url.startswith("postgresql"):
        url = _recreate_pg_database(database_url, "demo_template")
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('demo') / 'demo.db'}"
    app = make_app(url)
    migrate_to_head(app)
    with app.app_context():
        _load_demo_into(flask_db.session)
        flask_db.engine.dispose()
    return url


def _recreate_pg_database(base_url: str, suffix: str, template: str | None = None) -> str:
    """Drop and create a sibling database of the test database; returns its URL."""
    base = make_url(base_url)
    name = f"{base.database}_{suffix}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        clause = f' TEMPLATE "{template}"' if template else ""
        conn.execute(text(f'CREATE DATABASE "{name}"{clause}'))
    admin.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


def _load_demo_into(s: Session) -> None:
    from web.auth import hash_password

    load_demo(s, password_hash=hash_password(PASSWORD), today=DEMO_TODAY)
    s.commit()


@pytest.fixture
def demo_app(demo_template: str, database_url: str, tmp_path: Path) -> Iterator[Flask]:
    """An app on a private copy of the demo org (every demo user's password is PASSWORD)."""
    yield make_app(_private_copy(demo_template, database_url, tmp_path, "demo"))


def _private_copy(template: str, database_url: str, tmp_path: Path, suffix: str) -> str:
    if template.startswith("postgresql"):
        return _recreate_pg_database(database_url, suffix, make_url(template).database)
    copy = tmp_path / f"{suffix}.db"
    shutil.copy(template.removeprefix("sqlite:///"), copy)
    return f"sqlite:///{copy}"


@pytest.fixture(scope="session")
def demo_world_template(tmp_path_factory: pytest.TempPathFactory, database_url: str) -> str:
    """A database holding what `flask demo` loads now (the org, its story, its inputs), built
    once like demo_template; DEMO_WORLD_NOW is the clock it was loaded at."""
    from gameplay.demo.story import load_demo_world
    from web.auth import hash_password

    if database_url.startswith("postgresql"):
        url = _recreate_pg_database(database_url, "demo_world_template")
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('demo_world') / 'demo.db'}"
    app = make_app(url)
    migrate_to_head(app)
    with app.app_context():
        hashed = hash_password(PASSWORD)
        load_demo_world(flask_db.session(), password_hash=hashed, now=DEMO_WORLD_NOW)
        flask_db.session.commit()
        flask_db.engine.dispose()
    return url


@pytest.fixture
def demo_world_app(demo_world_template: str, database_url: str, tmp_path: Path) -> Iterator[Flask]:
    """An app on a private copy of the whole demo world (password PASSWORD for everyone)."""
    yield make_app(_private_copy(demo_world_template, database_url, tmp_path, "demo_world"))


def csrf_token_from(client: FlaskClient, path: str = "/login") -> str:
    html = client.get(path).get_data(as_text=True)
    marker = 'name="csrf-token" content="'
    start = html.index(marker) + len(marker)
    return html[start : html.index('"', start)]


def log_in(client: FlaskClient, email: str, password: str = PASSWORD) -> str:
    """Log in through the real form; returns the session's CSRF token for later requests."""
    token = csrf_token_from(client)
    response = client.post(
        "/login", data={"email": email, "password": password, "csrf_token": token}
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    return csrf_token_from(client, "/")


def finished_import(client: FlaskClient, response: Any, timeout: float = 120) -> Any:
    """Follow an import's answer (303 to its job's page) and wait until the job has finished,
    polling its status as the page does; returns the job's page."""
    assert response.status_code == 303, response.get_data(as_text=True)
    page = response.headers["Location"]
    status = "/api/v1/imports/" + page.rstrip("/").rsplit("/", 1)[1]
    deadline = time.monotonic() + timeout
    while client.get(status).get_json()["state"] not in ("done", "failed"):
        assert time.monotonic() < deadline, f"the import job at {status} did not finish"
        time.sleep(0.05)
    return client.get(page)
