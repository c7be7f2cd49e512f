"""The declarative base, the UTC datetime type and the clock every model shares."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import CheckConstraint, Connection, DateTime, Engine, MetaData, Table, event
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, ORMExecuteState, Session
from sqlalchemy.types import TypeDecorator

# The execution option that marks a session as read-only (see `read_only`).
READ_ONLY = "read_only"
# How long a SQLite writer waits for the write lock before "database is locked".
BUSY_TIMEOUT_SECONDS = 30
_HOLDS_LOCK = "holds_writer_lock"
# The session.info key of `reads_next`: mark the next transaction read-only when it begins.
_READS_NEXT = "reads_next"

# Named constraints let Alembic's batch mode on SQLite drop and recreate them by name.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Choices(StrEnum):
    """A closed set of values kept as text; the table's CHECK constraint is derived from it."""

    @classmethod
    def values(cls) -> tuple[str, ...]:
        return tuple(member.value for member in cls)

    @classmethod
    def check(cls, column: str, *, nullable: bool = False) -> CheckConstraint:
        """`column IN (...)` over every value (or NULL), named after the column."""
        condition = f"{column} IN ({', '.join(repr(v) for v in cls.values())})"
        if nullable:
            condition = f"{column} IS NULL OR {condition}"
        return CheckConstraint(condition, name=column)


class UTCDateTime(TypeDecorator[datetime]):
    """Stores aware datetimes as UTC and always returns them aware, on SQLite too."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where an aware UTC datetime is required")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def utcnow() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(UTC)


def configure_sqlite(engine: Engine) -> None:
    """Make a SQLite engine safe for several writers: WAL, a busy timeout, foreign keys, and
    BEGIN IMMEDIATE so a writer waits for the lock up front instead of failing mid-transaction
    with "database is locked" (the pysqlite recipe from the SQLAlchemy documentation)."""
    writers = _Writers()
    event.listen(engine, "connect", _tune_connection)
    event.listen(engine, "begin", writers.begin)
    event.listen(engine, "commit", writers.end)
    event.listen(engine, "rollback", writers.end)


def _tune_connection(dbapi_connection: Any, _record: Any) -> None:
    # Take transaction control away from pysqlite; the "begin" listener opens them instead.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_SECONDS * 1000}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def configure_postgresql(engine: Engine) -> None:
    """Run the transactions of sessions marked `read_only` as READ ONLY transactions, so that
    a statement that writes in one fails instead of writing."""
    event.listen(engine, "begin", _begin_read_only)


def configure_engine(engine: Engine) -> None:
    """The settings of `configure_sqlite` or `configure_postgresql`, by the engine's dialect."""
    if engine.dialect.name == "sqlite":
        configure_sqlite(engine)
    elif engine.dialect.name == "postgresql":
        configure_postgresql(engine)


def _begin_read_only(connection: Connection) -> None:
    if connection.get_execution_options().get(READ_ONLY, False):
        connection.exec_driver_sql("SET TRANSACTION READ ONLY")


def read_only(session: Session) -> Session:
    """Mark a session, before its first statement, as one that only reads (until its
    transaction ends: a later transaction of the same session is an ordinary one).

    On SQLite its transaction then begins DEFERRED: it reads a WAL snapshot at once instead of
    queueing behind writers for the write lock it would never use. A statement that writes in
    such a session would have to upgrade the lock and may fail with "database is locked", so
    only code that reads takes this path (GET and HEAD requests, the live layer's frames and
    notification mutes). On PostgreSQL (`configure_postgresql`) the transaction is READ ONLY:
    a write in it fails."""
    session.connection(execution_options={READ_ONLY: True})
    return session


def reads_next(session: Session) -> Session:
    """Mark a session so that its next transaction, when its first statement opens it, is
    `read_only`; nothing is opened now, so a request that never reaches the database costs
    nothing and fails nothing when the database is down. A session that begins by writing
    (an add or a flush before any read) is left alone."""
    session.info[_READS_NEXT] = True
    return session


@event.listens_for(Session, "do_orm_execute")
def _open_marked_reads(state: ORMExecuteState) -> None:
    session = state.session
    if session.info.pop(_READS_NEXT, False) and not session.in_transaction():
        read_only(session)


class _Writers:
    """The writers of one engine in this process take turns on a lock of their own, handed to
    the next as each transaction ends. SQLite's busy handler would have them poll instead,
    sleeping up to 100 ms between tries, so that under a stream of writes an unlucky one waited
    seconds. Writers in other processes still meet at SQLite's own lock."""

    def __init__(self) -> None:
        self.lock = threading.Lock()

    def begin(self, connection: Connection) -> None:
        if connection.get_execution_options().get(READ_ONLY, False):
            connection.exec_driver_sql("BEGIN")
            return
        # Past the timeout (a thread holding one write transaction opening another), SQLite's
        # own busy timeout decides, as it did before this lock.
        connection.info[_HOLDS_LOCK] = self.lock.acquire(timeout=BUSY_TIMEOUT_SECONDS)
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            self.end(connection)
            raise

    def end(self, connection: Connection) -> None:
        if connection.info.pop(_HOLDS_LOCK, False):
            self.lock.release()


def table_of(model: type[DeclarativeBase]) -> Table:
    """A mapped class's table, typed as one: Core statements write set-wise through it."""
    table = model.__table__
    assert isinstance(table, Table), f"{model.__name__} is mapped to a table"
    return table
