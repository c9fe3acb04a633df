"""One SQLAlchemy engine per app; one session per request, committed by the route, closed at teardown."""
from __future__ import annotations

import weakref

from flask import Flask, current_app, g
from sqlalchemy.orm import Session

from engine.clock import Clock, SystemClock
from engine.clock_store import StoredClock
from engine.db import make_engine, make_session_factory

_engines: "weakref.WeakSet" = weakref.WeakSet()
_clocks: "weakref.WeakSet" = weakref.WeakSet()


def init_app(app: Flask) -> None:
    engine = make_engine(app.config.get("DATABASE_URL"))
    _engines.add(engine)
    app.extensions["kompis"] = {
        "engine": engine,
        "sessions": make_session_factory(engine),
        "readers": make_session_factory(engine, read_only=True),
        "clock": app.config.get("KOMPIS_CLOCK_OBJECT") or _make_clock(app.config.get("KOMPIS_CLOCK", "real"), engine),
    }
    app.teardown_appcontext(_close_session)


def _make_clock(kind: str, engine) -> Clock:
    if kind == "simulated":
        clock = StoredClock(engine)  # shared with the scheduler and `kompis clock advance`
        _clocks.add(clock)
        return clock
    if kind != "real":
        raise ValueError(f"KOMPIS_CLOCK must be 'real' or 'simulated', not {kind!r}")
    return SystemClock()


def session() -> Session:
    if "db_session" not in g:
        g.db_session = current_app.extensions["kompis"]["sessions"]()
    return g.db_session


def reader() -> Session:
    """The request's read-only session: for pages and look-ups that write nothing (never waits for
    a writer on SQLite)."""
    if "db_reader" not in g:
        g.db_reader = current_app.extensions["kompis"]["readers"]()
    return g.db_reader


def for_lookup(writes: bool) -> Session:
    """Where a look-up before the request's command runs (the API token): for a request that may
    write on PostgreSQL, the command's own session, one pooled connection per request instead of
    two (a checkout with its liveness ping costs ~0.3 ms). Otherwise the reader: on SQLite the
    command session's first statement takes the write lock, which the request must not hold while
    it does anything else."""
    if writes and current_app.extensions["kompis"]["engine"].dialect.name == "postgresql":
        return session()
    return reader()


def sessions():
    return current_app.extensions["kompis"]["sessions"]


def clock() -> Clock:
    return current_app.extensions["kompis"]["clock"]


def dispose_all() -> None:
    """Close pooled connections of every app's engine (end of a CLI command, end of tests)."""
    for engine in list(_engines):
        engine.dispose()
    for clock in list(_clocks):
        clock.dispose()


def _close_session(_exc) -> None:
    for key in ("db_session", "db_reader"):
        db_session = g.pop(key, None)
        if db_session is not None:
            db_session.close()
