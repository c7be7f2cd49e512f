"""GET and HEAD requests read: their database transaction is read-only from its first statement
(kpi_engine.db.reads_next, read_only), so on SQLite it begins DEFERRED and reads a snapshot
instead of queueing behind writers for the write lock, and on PostgreSQL it is a READ ONLY
transaction in which a write fails. Reads never write (STYLE.md); this makes it hold."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, current_app, request

from kpi_engine.db import reads_next
from web.extensions import db

READ_METHODS = frozenset({"GET", "HEAD"})
_SCRATCH = "writes_in_a_savepoint"
F = TypeVar("F", bound=Callable[..., Any])


def writes_in_a_savepoint(view: F) -> F:
    """Mark a GET view that writes in a savepoint it rolls back (a draft's preview plays it
    over past data): its transaction is an ordinary one, not read-only."""
    setattr(view, _SCRATCH, True)
    return view


def _mark_reads() -> None:
    if request.method not in READ_METHODS or request.endpoint == "static":
        return
    view = current_app.view_functions.get(request.endpoint or "")
    if not getattr(view, _SCRATCH, False):
        reads_next(db.session())


def init_app(app: Flask) -> None:
    """Register the hook first, before any hook that may load the user."""
    app.before_request_funcs.setdefault(None, []).insert(0, _mark_reads)
