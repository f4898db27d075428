"""Throw-away databases for the benchmarks: a migrated fresh one per run, dropped afterwards."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

from sqlalchemy import Engine, create_engine, text

from sibook.core import migrate
from sibook.core.db import make_engine

PG_ADMIN = os.environ.get(
    "SIBOOK_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


def fresh(backend: str, workdir: Path | None = None) -> tuple[Engine, str | None]:
    """A migrated empty database; the name to drop (None for a SQLite file in ``workdir``)."""
    if backend == "sqlite":
        assert workdir is not None
        engine = make_engine(f"sqlite:///{workdir / f'{uuid.uuid4().hex}.db'}")
        migrate.upgrade(engine)
        return engine, None
    name = f"sibook_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    engine = make_engine(PG_ADMIN.rsplit("/", 1)[0] + "/" + name)
    migrate.upgrade(engine)
    return engine, name


def drop(name: str | None) -> None:
    if name is None:
        return
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()
