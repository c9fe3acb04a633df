"""Pooled PostgreSQL connections: pinged when in doubt, not on every checkout, and a server that
ended them costs no command."""
from __future__ import annotations

import os
import time

import pytest
from sqlalchemy import text

from engine import db as db_module
from engine.db import make_engine, make_session_factory

# Only PostgreSQL has a server that can end a session, so these run on it alone (CI always sets
# the URL); they need no schema, only the server.
SERVERS = [os.environ["KOMPIS_TEST_DATABASE_URL"]] if os.environ.get("KOMPIS_TEST_DATABASE_URL") else []


@pytest.fixture(params=SERVERS, ids=["postgresql"] * len(SERVERS))
def server_url(request):
    return request.param


@pytest.fixture
def pinged(server_url, monkeypatch):
    engine = make_engine(server_url, pool_size=1, max_overflow=0)
    pings = []
    real_ping = engine.dialect.do_ping
    monkeypatch.setattr(engine.dialect, "do_ping", lambda conn: (pings.append(1), real_ping(conn))[1])
    yield make_session_factory(engine), pings
    engine.dispose()


def backend_pid(sessions) -> int:
    with sessions.begin() as session:
        return session.scalar(text("SELECT pg_backend_pid()"))


def test_a_connection_in_steady_use_is_not_pinged_and_one_long_idle_is(pinged, monkeypatch):
    sessions, pings = pinged
    first = backend_pid(sessions)
    for _ in range(5):
        assert backend_pid(sessions) == first
    assert pings == []
    monkeypatch.setattr(db_module, "PING_AFTER_IDLE_SECONDS", 0.0)
    assert backend_pid(sessions) == first
    assert pings == [1]


def test_a_connection_the_server_ended_is_replaced_before_the_command_runs(pinged, server_url):
    sessions, pings = pinged
    first = backend_pid(sessions)
    killer = make_engine(server_url)
    try:
        with killer.connect() as conn:
            assert conn.scalar(text("SELECT pg_terminate_backend(:pid)"), {"pid": first}) is True
            deadline = time.monotonic() + 5
            while conn.scalar(text("SELECT count(*) FROM pg_stat_activity WHERE pid = :pid"), {"pid": first}):
                assert time.monotonic() < deadline, "the server did not end the session"
                time.sleep(0.01)
    finally:
        killer.dispose()
    with sessions.begin() as session:  # no error: the dead connection was pinged and replaced
        assert session.scalar(text("SELECT pg_backend_pid()")) != first
    assert pings == [1]
