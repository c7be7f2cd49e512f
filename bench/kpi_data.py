"""Generated sales data for bench_kpis: 500 reps in 50 teams over two years; at scale 1.0,
1,000,000 deals and 5,000,000 activities, all from one seed.

The benchmark measures reads, so the rows go straight into the mirror tables, not through
ingestion: numpy draws each column at once; SQLite takes the rows by executemany on the
driver connection (a scratch file: no journal, no fsync) and PostgreSQL by COPY; secondary
indexes are built after the load. A filled database is kept under a name made of the
generator version, the scale and the seed, so a rerun measures at once. It is filled under a
temporary name and renamed when complete: an interrupted run leaves nothing to reuse.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import Connection, Engine, create_engine, event, insert, make_url, text

from kpi_engine.db import Base
from kpi_engine.kpis import models as kpi_models  # noqa: F401  (registers the KPI tables)
from kpi_engine.org.models import Team, User

# Bump when the generated data changes: databases filled by another version are not reused.
GENERATOR = 3
DEALS, ACTIVITIES, REPS, TEAMS = 1_000_000, 5_000_000, 500, 50
END = np.datetime64("2026-11-01T00:00:00", "us")
SPAN_DAYS = 730
SEGMENTS = ["retail", "finance", "medical", "software", "telecom", "energy", "media", "services"]
PRODUCTS = ["GTX Basic", "GTX Plus", "GTX Pro", "MG Special", "MG Advanced", "GTK 500"]
KINDS, KIND_P = ["call", "email", "meeting", "demo", "social"], [0.5, 0.3, 0.1, 0.05, 0.05]
OUTCOMES, OUTCOME_P = ["none", "connected", "replied", "meeting_booked"], [0.5, 0.25, 0.15, 0.1]
CHUNK = 250_000
DAY = np.timedelta64(86_400_000_000, "us")

Columns = dict[str, np.ndarray]


def database_name(scale: float, seed: int) -> str:
    size = "full" if scale == 1 else f"s{scale:g}".replace(".", "_")
    return f"bench_kpis_v{GENERATOR}_{size}_{seed}"


def _times(rng: np.random.Generator, n: int) -> np.ndarray:
    """Uniform over the two years before END, to the second."""
    seconds = rng.integers(0, SPAN_DAYS * 86400, n).astype("timedelta64[s]")
    return END - SPAN_DAYS * DAY + seconds


def _ids(prefix: str, n: int, width: int) -> np.ndarray:
    return np.strings.add(prefix, np.strings.zfill(np.arange(n).astype(str), width))


def deals(rng: np.random.Generator, n: int) -> Columns:
    """45 % won, 35 % lost, 20 % still open; a gamma-distributed cycle of ~44 days; 80 % engaged
    within five days of creation (and never after closing)."""
    created = _times(rng, n)
    status = rng.choice(np.array(["open", "won", "lost"]), n, p=[0.2, 0.45, 0.35])
    cycle = (rng.gamma(2.0, 22.0, n) * 86400).astype("timedelta64[s]")
    closed = np.where(status == "open", np.datetime64("NaT"), created + cycle)
    lead = (rng.random(n) * np.minimum(cycle, np.timedelta64(5 * 86400, "s"))).astype("m8[s]")
    engaged = np.where(rng.random(n) < 0.8, created + lead, np.datetime64("NaT"))
    return {
        "crm_id": _ids("D", n, 8),
        "owner_id": rng.integers(1, REPS + 1, n),
        "account": np.strings.add("Account ", rng.integers(0, 20_000, n).astype(str)),
        "product": rng.choice(PRODUCTS, n),
        "segment": rng.choice(SEGMENTS, n),
        "source": np.full(n, "bench"),
        "amount": np.round(rng.lognormal(7.5, 1.0, n), 2),
        "currency": np.full(n, "USD"),
        "stage": np.where(status == "won", "Won", np.where(status == "lost", "Lost", "Engaging")),
        "status": status,
        "created_at": created,
        "engaged_at": engaged.astype("datetime64[us]"),
        "closed_at": closed.astype("datetime64[us]"),
        # The org is in UTC, so each fact's calendar day is its instant's UTC date.
        "created_on": created.astype("datetime64[D]"),
        "engaged_on": engaged.astype("datetime64[D]"),
        "closed_on": closed.astype("datetime64[D]"),
        "updated_at": np.where(status == "open", created, closed).astype("datetime64[us]"),
    }


def activities(rng: np.random.Generator, n: int) -> Columns:
    return {
        "crm_id": _ids("A", n, 9),
        "rep_id": rng.integers(1, REPS + 1, n),
        "kind": rng.choice(KINDS, n, p=KIND_P),
        "outcome": rng.choice(OUTCOMES, n, p=OUTCOME_P),
        "occurred_at": _times(rng, n),
    }


def _text(times: np.ndarray) -> list[str | None]:
    """Timestamps as UTCDateTime stores them on SQLite (naive UTC, a space, microseconds),
    which PostgreSQL reads too in a UTC session, and days as ISO dates; None for NaT."""
    if times.dtype == np.dtype("datetime64[D]"):
        stamps = np.datetime_as_string(times, unit="D")
    else:
        stamps = np.datetime_as_string(times.astype("datetime64[us]"), unit="us")
        stamps.view(np.uint32).reshape(len(stamps), -1)[:, 10] = ord(" ")
    values = stamps.astype(object)
    values[np.isnat(times)] = None
    return list(values)


def rows(columns: Columns) -> Iterator[list[tuple[Any, ...]]]:
    """The table's rows as driver tuples, CHUNK at a time (Python objects for all 5,000,000
    would take gigabytes)."""
    n = len(next(iter(columns.values())))
    for start in range(0, n, CHUNK):
        parts = [a[start : start + CHUNK] for a in columns.values()]
        values = [_text(p) if p.dtype.kind == "M" else p.tolist() for p in parts]
        yield list(zip(*values, strict=True))


def _load(conn: Connection, table: str, columns: Columns) -> None:
    names = ", ".join(columns)
    raw: Any = conn.connection.driver_connection
    for chunk in rows(columns):
        if conn.dialect.name == "sqlite":
            marks = ", ".join("?" * len(columns))
            raw.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", chunk)  # noqa: S608
            continue
        with raw.cursor() as cursor, cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            for row in chunk:
                copy.write_row(row)


def _people() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    teams = [{"id": t + 1, "name": f"Team {t}", "region": f"Region {t % 10}"} for t in range(TEAMS)]
    joined = datetime(2024, 1, 1, tzinfo=UTC)
    reps = [
        {"id": i + 1, "email": f"rep{i}@bench.test", "name": f"Rep {i}", "app_role": "rep",
         "sales_role": "AE", "team_id": i % TEAMS + 1, "active": True, "created_at": joined}
        for i in range(REPS)
    ]  # fmt: skip
    return teams, reps


def fill(engine: Engine, scale: float, seed: int) -> None:
    """Create the schema and load the generated rows: reps 1..500, then deals, then activities."""
    Base.metadata.create_all(engine)
    rng = np.random.default_rng(seed)
    teams, reps = _people()
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql("SET TIME ZONE 'UTC'")
        conn.execute(insert(Team), teams)
        conn.execute(insert(User), reps)
        for table, make, n in (("deal", deals, DEALS), ("activity", activities, ACTIVITIES)):
            indexes = Base.metadata.tables[table].indexes
            for index in indexes:
                index.drop(conn)
            _load(conn, table, make(rng, int(n * scale)))
            for index in indexes:
                index.create(conn)
        conn.exec_driver_sql("ANALYZE")


def _scratch_sqlite(dbapi_connection: Any, _record: Any) -> None:
    for pragma in ("journal_mode=OFF", "synchronous=OFF", "cache_size=-262144"):
        dbapi_connection.execute(f"PRAGMA {pragma}")


def sqlite_database(folder: Path, scale: float, seed: int) -> str:
    """The URL of the SQLite file holding this scale and seed, generated if missing."""
    path = folder / f"{database_name(scale, seed)}.db"
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        part = path.with_suffix(".part")
        part.unlink(missing_ok=True)
        engine = create_engine(f"sqlite:///{part}")
        event.listen(engine, "connect", _scratch_sqlite)
        _timed(lambda: fill(engine, scale, seed), f"SQLite {path}")
        engine.dispose()
        part.rename(path)
    return f"sqlite:///{path}"


def postgres_database(server: str, scale: float, seed: int) -> str:
    """The URL of the PostgreSQL database holding this scale and seed on the server `server`
    names (its own database, never the one in the URL), generated if missing."""
    url, name = make_url(server), database_name(scale, seed)
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        query = text("SELECT 1 FROM pg_database WHERE datname = :name")
        if not conn.scalar(query, {"name": name}):
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}_part"')
            conn.exec_driver_sql(f'CREATE DATABASE "{name}_part"')
            engine = create_engine(url.set(database=f"{name}_part"))
            _timed(lambda: fill(engine, scale, seed), f"PostgreSQL database {name}")
            engine.dispose()
            conn.exec_driver_sql(f'ALTER DATABASE "{name}_part" RENAME TO "{name}"')
    admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


def _timed(work: Any, what: str) -> None:
    started = time.perf_counter()
    work()
    print(f"generated {what} in {time.perf_counter() - started:.0f} s", flush=True)
