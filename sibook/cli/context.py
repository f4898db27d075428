"""What commands share: a database that is migrated before it is used."""

from __future__ import annotations

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from sibook.core import migrate
from sibook.core.db import default_engine
from sibook.registry.population import (
    HttpPopulationRegistry,
    LocalPopulationRegistry,
    PopulationRegistry,
)


def ready_engine() -> Engine:
    """The configured database, migrated to head (a no-op when it already is)."""
    engine = default_engine()
    migrate.upgrade(engine)
    return engine


def population_registry(session: Session, url: str | None) -> PopulationRegistry:
    """The configured population database: a real service by URL, else the local store."""
    return HttpPopulationRegistry(url) if url else LocalPopulationRegistry(session)
