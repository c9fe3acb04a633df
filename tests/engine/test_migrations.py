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
