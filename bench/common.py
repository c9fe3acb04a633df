"""Shared by the benchmarks: an empty database and percentiles."""
from __future__ import annotations

from sqlalchemy import text

from engine.db import Base, make_engine, make_session_factory


def fresh_database(url: str):
    """(engine, session factory) on an empty schema; PostgreSQL's public schema is recreated."""
    db = make_engine(url)
    if db.dialect.name == "postgresql":
        with db.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    Base.metadata.create_all(db)
    return db, make_session_factory(db)


def percentile(values, q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]
