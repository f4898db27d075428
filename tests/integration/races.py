"""Two transactions at the same moment, made deterministic: the first holds what it wrote
while the second, on a thread, runs until it waits on the first's lock."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from sibook.core.db import unit_of_work

# A statement PostgreSQL fails as it fails a transaction that lost a race under SERIALIZABLE
# (SQLSTATE 40001): the error itself, without the race.
SERIALIZATION_FAILURE = ("DO $$ BEGIN RAISE EXCEPTION 'could not serialize' "
                         "USING ERRCODE = '40001'; END $$")


def until_one_waits(engine: Engine, seconds: float = 20, *, waiting: int = 1) -> None:
    """Until another connection waits on a lock (PostgreSQL; ``waiting``: so many locks are
    waited on), or a moment (SQLite, where the second writer waits for the whole database
    instead)."""
    if engine.dialect.name != "postgresql":
        time.sleep(0.5)
        return
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with engine.connect() as conn:
            if conn.execute(text("SELECT count(*) FROM pg_locks WHERE NOT granted")
                            ).scalar_one() >= waiting:
                return
        time.sleep(0.05)
    raise AssertionError("the second transaction never waited on the first")


def while_held(engine: Engine, hold: Callable[[Session], object],
               second: Callable[[], object]) -> None:
    """``hold`` does its work in a transaction; ``second`` runs on a thread until it waits on
    that transaction, which then commits; returns once ``second`` has ended."""
    with unit_of_work(engine) as s:
        hold(s)
        racer = threading.Thread(target=second)
        racer.start()
        until_one_waits(engine)
    racer.join(timeout=60)
