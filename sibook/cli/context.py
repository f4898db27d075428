"""What commands share: a database that is migrated before it is used."""

from __future__ import annotations

from sqlalchemy import Engine

from sibook.core import migrate
from sibook.core.db import default_engine


def ready_engine() -> Engine:
    """The configured database, migrated to head (a no-op when it already is)."""
    engine = default_engine()
    migrate.upgrade(engine)
    return engine

