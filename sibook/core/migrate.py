"""Run Alembic migrations from code, so `sibook db upgrade` needs no alembic.ini."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, text

from sibook.core.db import default_engine

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
# Every command and server process migrates before it works, so two starting at once would both
# create (or alter) the same tables: on PostgreSQL the second waits for the first on this
# advisory lock, held to the migration's commit, then finds nothing left to do. (SQLite's
# writer lock, taken at BEGIN, already serialises them.)
MIGRATION_LOCK = 1642025  # this project's own key: Decree 164/2025


def alembic_config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    # configparser treats % as interpolation: escape it (URL-encoded passwords, options).
    url = engine.url.render_as_string(hide_password=False).replace("%", "%%")
    cfg.set_main_option("sqlalchemy.url", url)
    return cfg


def upgrade(engine: Engine | None = None, revision: str = "head") -> None:
    engine = engine or default_engine()
    cfg = alembic_config(engine)
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def later_than(engine: Engine, revision: str) -> str | None:
    """The database's revision when it is not ``revision`` (a later one: upgrading to an
    earlier revision changes nothing); None when the database is at ``revision``."""
    wanted = ScriptDirectory.from_config(alembic_config(engine)).get_revision(revision)
    with engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_revision()
    return None if current == (wanted.revision if wanted else None) else current
