"""Run Alembic migrations from code, so `sibook db upgrade` needs no alembic.ini.

Every command checks the database is at head before it works; importing Alembic for that costs
~0.25 s a start. ``at_head`` reads the head from the migration files and the database's
``alembic_version`` row without it: only a database that is not current (or `db upgrade`)
loads Alembic."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, inspect, text

from sibook.core.db import default_engine

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
# Every command and server process migrates before it works, so two starting at once would both
# create (or alter) the same tables: on PostgreSQL the second waits for the first on this
# advisory lock, held to the migration's commit, then finds nothing left to do. (SQLite's
# writer lock, taken at BEGIN, already serialises them.)
MIGRATION_LOCK = 1642025  # this project's own key: Decree 164/2025

# A migration file's identifiers as the template (script.py.mako) writes them; a file that
# holds anything else (a merge's tuple, a branch label) leaves the head to Alembic.
_REVISION = re.compile(r"^revision\s*(?::[^=]*)?=\s*['\"]([^'\"]+)['\"]\s*$", re.M)
_DOWN = re.compile(r"^down_revision\s*(?::[^=]*)?=\s*(?:None|['\"]([^'\"]+)['\"])\s*$", re.M)
_PLAIN = re.compile(r"^(?:branch_labels|depends_on)\s*(?::[^=]*)?=\s*None\s*$", re.M)


def alembic_config(engine: Engine) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    # configparser treats % as interpolation: escape it (URL-encoded passwords, options).
    url = engine.url.render_as_string(hide_password=False).replace("%", "%%")
    cfg.set_main_option("sqlalchemy.url", url)
    return cfg


def upgrade(engine: Engine | None = None, revision: str = "head") -> None:
    from alembic import command

    engine = engine or default_engine()
    cfg = alembic_config(engine)
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def ensure_head(engine: Engine) -> None:
    """Migrate the database to head unless it is there already (then without Alembic)."""
    if not at_head(engine):
        upgrade(engine)


def at_head(engine: Engine) -> bool:
    """The database's one revision is the migrations' one head. False whenever either is not
    that simple (no version table, several heads, a file not in the template's form)."""
    head = head_revision()
    if head is None:
        return False
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return False
        rows = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    return rows == [head]


@lru_cache(maxsize=1)
def head_revision() -> str | None:
    """The revision no migration revises, read from the files; None unless exactly one."""
    revisions: set[str] = set()
    revised: set[str] = set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        if path.name == "__init__.py":  # Alembic skips it too
            continue
        source = path.read_text(encoding="utf-8")
        revision, down = _REVISION.findall(source), _DOWN.findall(source)
        if len(revision) != 1 or len(down) != 1 or len(_PLAIN.findall(source)) != 2:
            return None
        revisions.add(revision[0])
        revised.update(d for d in down if d)
    heads = revisions - revised
    return heads.pop() if len(heads) == 1 else None


def later_than(engine: Engine, revision: str) -> str | None:
    """The database's revision when it is not ``revision`` (a later one: upgrading to an
    earlier revision changes nothing); None when the database is at ``revision``."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    wanted = ScriptDirectory.from_config(alembic_config(engine)).get_revision(revision)
    with engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_revision()
    return None if current == (wanted.revision if wanted else None) else current


def knows(revision: str) -> bool:
    """Whether ``revision`` (an id, ``head``) is one of this sibook's migrations: when it is,
    a revision Alembic cannot locate is the database's own (a newer sibook migrated it)."""
    from alembic.script import ScriptDirectory
    from alembic.util.exc import CommandError

    try:
        return ScriptDirectory(str(MIGRATIONS)).get_revision(revision) is not None
    except CommandError:
        return False
