"""The migrations build exactly the schema the models declare, and the last one can be undone."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect

from sibook.core import migrate
from sibook.core.schema import metadata


def test_the_migrated_database_matches_the_models(engine: Engine) -> None:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, metadata) == []


def test_the_declaration_jobs_migration_is_undone_and_redone(engine: Engine) -> None:
    cfg = migrate.alembic_config(engine)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0005")
    assert "declaration_jobs" not in inspect(engine).get_table_names()
    migrate.upgrade(engine)
    assert "declaration_jobs" in inspect(engine).get_table_names()
