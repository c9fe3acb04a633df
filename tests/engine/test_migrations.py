"""The Alembic migrations build exactly the schema the models describe, on both databases."""
from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from engine import models  # noqa: F401
from engine.db import Base


def test_migrated_schema_matches_the_models(db_engine):
    with db_engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": False})
        diff = compare_metadata(context, Base.metadata)
    assert diff == []


def test_downgrade_and_upgrade_round_trip(tmp_path):
    from sqlalchemy import inspect

    from engine.db import make_engine
    from engine.migrate import downgrade, upgrade

    url = f"sqlite:///{tmp_path / 'roundtrip.sqlite'}"
    upgrade(url)
    downgrade(url, "base")
    engine = make_engine(url)
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    engine.dispose()
    upgrade(url)


def test_a_case_state_is_stored_compressed_with_lz4_on_postgresql(sessions, clock):
    """Migration 0010: the state every command rewrites is compressed with lz4 (faster than pglz
    and smaller for these documents); SQLite keeps it as JSON text."""
    from sqlalchemy import text

    import engine
    from engine.deployments import deploy
    from tests.bpmn_text import script_process

    with sessions.begin() as session:
        deploy(session, {"s.bpmn": script_process("points = 3")}, "s.bpmn", user="owner", clock=clock)
        case_id = engine.start_case(session, "scripted", {"notes": "Träff på biblioteket. " * 500},
                                    user="anna", clock=clock).id
    with sessions() as session:
        if session.get_bind().dialect.name == "postgresql":
            stored = text("SELECT pg_column_compression(state) FROM cases WHERE id = :id")
            assert session.scalar(stored, {"id": case_id}) == "lz4"
        else:
            assert session.scalar(text("SELECT json_valid(state) FROM cases WHERE id = :id"), {"id": case_id}) == 1
