"""Shared fixtures: a migrated database per backend (SQLite always, PostgreSQL when configured),
emptied after every test; a simulated clock; the test forms folder."""
from __future__ import annotations

import os
from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import text

from engine.clock import SimulatedClock
from engine.db import Base, make_engine, make_session_factory
from engine.deployments import collect_bundle, deploy
from engine.forms import REPO_FORMS, FormStore
from engine.migrate import downgrade, upgrade
from engine.runtime import set_default_forms

FIXTURES = Path(__file__).parent / "fixtures"
BACKENDS = ["sqlite"] + (["postgresql"] if os.environ.get("KOMPIS_TEST_DATABASE_URL") else [])


@pytest.fixture(scope="session", params=BACKENDS)
def db_url(request, tmp_path_factory):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'kompis.sqlite'}"
    else:
        url = os.environ["KOMPIS_TEST_DATABASE_URL"]
        engine = make_engine(url)
        with engine.begin() as conn:  # a previous run may have left anything behind
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    upgrade(url)
    yield url
    if request.param == "postgresql":
        downgrade(url)


@pytest.fixture(scope="session")
def db_engine(db_url):
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def sessions(db_engine):
    """A session factory; every table is emptied after the test."""
    yield make_session_factory(db_engine)
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    with db_engine.begin() as conn:
        if db_engine.dialect.name == "postgresql":
            conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                conn.execute(text(f"DELETE FROM {table}"))


@pytest.fixture
def readers(db_engine, sessions):
    """Read-only sessions: they never queue behind a writer (SQLite) and see committed data."""
    return make_session_factory(db_engine, read_only=True)


@pytest.fixture
def clock():
    return SimulatedClock(datetime(2026, 1, 5, 8, 0, tzinfo=timezone.utc))


@pytest.fixture(autouse=True)
def forms():
    store = FormStore([FIXTURES / "forms", REPO_FORMS])
    set_default_forms(store)
    yield store
    set_default_forms(None)


@pytest.fixture
def deploy_fixture(sessions, clock, forms):
    """Deploy tests/fixtures/bpmn/<name>.bpmn (with its siblings) and return the deployment."""
    def _deploy(name: str, note: str = ""):
        path = FIXTURES / "bpmn" / f"{name}.bpmn"
        with sessions.begin() as session:
            deployment, _ = deploy(session, collect_bundle(path), path.name, user="owner", clock=clock,
                                   note=note, forms=forms)
            return deployment
    return _deploy
