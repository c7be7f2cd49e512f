"""GET and HEAD requests read: their database transaction is read-only from its first statement
(kpi_engine.db.reads_next, read_only), so on SQLite it begins DEFERRED and reads a snapshot
instead of queueing behind writers for the write lock, and on PostgreSQL it is a READ ONLY
transaction in which a write fails. Reads never write (STYLE.md); this makes it hold."""

from __future__ import annotations

from flask import Flask, request

from kpi_engine.db import reads_next
from web.extensions import db

READ_METHODS = frozenset({"GET", "HEAD"})


def _mark_reads() -> None:
    if request.method in READ_METHODS and request.endpoint != "static":
        reads_next(db.session())


def init_app(app: Flask) -> None:
    """Register the hook first, before any hook that may load the user."""
    app.before_request_funcs.setdefault(None, []).insert(0, _mark_reads)
