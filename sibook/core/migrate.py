"""Run Alembic migrations from code, so `sibook db upgrade` needs no alembic.ini."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from sibook.core.db import default_engine

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


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
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def later_than(engine: Engine, revision: str) -> str | None:
    """The database's revision when it is not ``revision`` (a later one: upgrading to an
    earlier revision changes nothing); None when the database is at ``revision``."""
    wanted = ScriptDirectory.from_config(alembic_config(engine)).get_revision(revision)
    with engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_revision()
    return None if current == (wanted.revision if wanted else None) else current
