"""Shared by the benchmarks: where their databases live, an empty schema, percentiles, results."""
from __future__ import annotations

import json
import os
import platform
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url

from engine.db import Base, database_url, make_engine, make_session_factory

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
# Never the test suite's database: benchmarks empty theirs.
DEFAULT_POSTGRESQL = "postgresql://postgres@127.0.0.1:5432/kompis_bench"


def bench_url(database: str) -> str:
    """A throw-away SQLite file, or KOMPIS_BENCH_DATABASE_URL / kompis_bench on PostgreSQL (created if missing)."""
    if database == "sqlite":
        return f"sqlite:///{tempfile.mkdtemp(prefix='kompis-bench-')}/bench.sqlite"
    url = os.environ.get("KOMPIS_BENCH_DATABASE_URL", DEFAULT_POSTGRESQL)
    _create_postgresql_database(url)
    return url


def discard(url: str) -> None:
    """Remove a throw-away SQLite database (a 100k one takes 1.7 GB); PostgreSQL's stays for inspection."""
    if url.startswith("sqlite:///"):
        path = Path(url[len("sqlite:///"):])
        if path.parent.name.startswith("kompis-bench-"):
            shutil.rmtree(path.parent, ignore_errors=True)


def _create_postgresql_database(url: str) -> None:
    target = make_url(database_url(url))
    admin = make_engine(target.set(database="postgres").render_as_string(hide_password=False))
    try:
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            exists = conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": target.database})
            if not exists:
                conn.execute(text(f'CREATE DATABASE "{target.database}"'))
    finally:
        admin.dispose()


def empty_schema(url: str):
    """An engine on an emptied database (PostgreSQL's public schema is recreated)."""
    db = make_engine(url)
    if db.dialect.name == "postgresql":
        with db.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    return db


def fresh_database(url: str):
    """(engine, session factory) on an empty schema made from the models."""
    db = empty_schema(url)
    Base.metadata.create_all(db)
    return db, make_session_factory(db)


def percentile(values, q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def timing(values: list[float]) -> dict:
    """p50 / p95 / max in milliseconds of timings in seconds."""
    return {"p50_ms": statistics.median(values) * 1000, "p95_ms": percentile(values, 0.95) * 1000,
            "max_ms": max(values) * 1000, "n": len(values)}


def machine() -> dict:
    """What the figures were measured on."""
    cpu = ""
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                   if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    # The machine may be shared: the load average says how much else ran at the time.
    return {"cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version(),
            "system": platform.platform(), "load_average": os.getloadavg()}


def round_trip_ms(url: str, n: int = 500) -> float | None:
    """Median time of `SELECT 1` on a bare DBAPI connection: what one statement costs on this machine
    before Kompis does anything. On a shared virtual machine it has been seen to move from 0.09 ms to
    0.45 ms within an hour, and every PostgreSQL figure moves with it. None for SQLite (in process)."""
    if not url.startswith(("postgresql", "postgres")):
        return None
    db = make_engine(url)
    try:
        with db.connect() as conn:
            cursor = conn.connection.driver_connection.cursor()
            timings = []
            for _ in range(n):
                began = time.perf_counter()
                cursor.execute("SELECT 1")
                cursor.fetchall()
                timings.append(time.perf_counter() - began)
        return statistics.median(timings) * 1000
    finally:
        db.dispose()


def write_result(name: str, results: dict) -> Path:
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(results, indent=2, default=str))
    return path
