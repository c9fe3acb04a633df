"""Database plumbing: the declarative Base, column types, engines and sessions.

Services take a Session and only flush; the boundary (request, job, CLI command) commits.
"""
from __future__ import annotations

import os
import select
import time
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import JSON, DateTime, Engine, create_engine, event
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.exc import InvalidatePoolError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

DEFAULT_SQLITE_PATH = Path("instance") / "kompis.sqlite"


class UTCDateTime(TypeDecorator):
    """Stores UTC, returns timezone-aware UTC: SQLite would otherwise drop the offset."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("refusing to store a naive datetime; pass a timezone-aware one")
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc)


JSONType = JSON().with_variant(JSONB(), "postgresql")


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime(), dict: JSONType, list: JSONType}


def database_url(url: str | None = None) -> str:
    """The configured database URL: argument, then DATABASE_URL, then the SQLite default."""
    url = url or os.environ.get("DATABASE_URL")
    if not url:
        DEFAULT_SQLITE_PATH.parent.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{DEFAULT_SQLITE_PATH}"
    # psycopg 3 is the driver we ship; accept the plain URL people copy from docs.
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def make_engine(url: str | None = None, **kwargs) -> Engine:
    """Create an Engine with the settings Kompis relies on for each backend."""
    url = database_url(url)
    if url.startswith("sqlite"):
        kwargs.setdefault("connect_args", {"timeout": 30, "check_same_thread": False})
        engine = create_engine(url, **kwargs)
        _configure_sqlite(engine)
        return engine
    engine = create_engine(url, **kwargs)
    if not kwargs.get("pool_pre_ping"):  # asked for explicitly, pool_pre_ping pings every checkout
        _ping_when_in_doubt(engine)
    return engine


# A pooled connection used this recently, on whose socket nothing has arrived since, is handed out
# without a ping; any other is pinged first, as pool_pre_ping pings every one.
PING_AFTER_IDLE_SECONDS = 10.0
_IDLE_SINCE = "kompis_idle_since"


def _ping_when_in_doubt(engine: Engine) -> None:
    """pool_pre_ping without its round trip on a busy connection. The ping costs a round trip per
    checkout, 0.25–0.9 ms on this project's machine: up to a fifth of starting a case. A server that is
    restarted or ends a session says so on the socket (and closes it), so an idle connection that
    has received anything is pinged, and so is one idle for longer than a firewall or a silent
    network fault might take to cut it. A failed ping makes the pool connect afresh, as with
    pool_pre_ping: a restarted PostgreSQL still costs no request."""
    @event.listens_for(engine, "connect")
    def _connected(dbapi_connection, record):
        record.info[_IDLE_SINCE] = time.monotonic()

    @event.listens_for(engine, "checkin")
    def _checked_in(dbapi_connection, record):
        if dbapi_connection is not None:
            record.info[_IDLE_SINCE] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_connection, record, proxy):
        since = record.info.pop(_IDLE_SINCE, None)
        if since is not None and time.monotonic() - since < PING_AFTER_IDLE_SECONDS \
                and not _has_input(dbapi_connection):
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as exc:
            if not engine.dialect.is_disconnect(exc, dbapi_connection, None):
                raise
            # As pool_pre_ping does: the server went away, so every older pooled connection did too.
            raise InvalidatePoolError(f"the pooled connection failed its ping: {exc}") from exc


def _has_input(dbapi_connection) -> bool:
    """Whether anything arrived on an idle psycopg connection (a server's goodbye, a closed socket)."""
    try:
        if dbapi_connection.closed:
            return True
        readable, _, _ = select.select([dbapi_connection.pgconn.socket], [], [], 0)
    except Exception:  # noqa: BLE001 - a socket we cannot even look at is one to ping
        return True
    return bool(readable)


def _configure_sqlite(engine: Engine) -> None:
    # pysqlite's own transaction handling defers BEGIN and breaks SAVEPOINTs; take it over.
    # BEGIN IMMEDIATE takes the write lock up front, so two commands on one case serialize
    # instead of failing late with "database is locked" when one upgrades its read lock.
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        # Readers (see make_session_factory(read_only=True)) must not queue behind writers.
        if connection.get_execution_options().get("kompis_read_only"):
            connection.exec_driver_sql("BEGIN")
        else:
            connection.exec_driver_sql("BEGIN IMMEDIATE")


def is_postgresql(session_or_engine) -> bool:
    bind = session_or_engine.get_bind() if isinstance(session_or_engine, Session) else session_or_engine
    return bind.dialect.name == "postgresql"


def make_session_factory(engine: Engine, *, read_only: bool = False) -> sessionmaker[Session]:
    """Sessions for commands (SQLite: write lock taken at BEGIN), or for pages and polls that only read
    (`read_only`: never wait for a writer; a write through one fails on SQLite).

    PostgreSQL readers run in autocommit: under READ COMMITTED each statement takes its own snapshot
    anyway, and a BEGIN and a ROLLBACK are two round trips of the three a token check costs."""
    if read_only:
        engine = engine.execution_options(kompis_read_only=True)
        if engine.dialect.name == "postgresql":
            engine = engine.execution_options(isolation_level="AUTOCOMMIT")
    return sessionmaker(engine, expire_on_commit=False)
