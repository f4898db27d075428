"""Two transactions at the same moment, made deterministic: the first holds what it wrote
while the second, on a thread, runs until it waits on the first's lock."""

from __future__ import annotations

import time

from sqlalchemy import Engine, text

# A statement PostgreSQL fails as it fails a transaction that lost a race under SERIALIZABLE
# (SQLSTATE 40001): the error itself, without the race.
SERIALIZATION_FAILURE = ("DO $$ BEGIN RAISE EXCEPTION 'could not serialize' "
                         "USING ERRCODE = '40001'; END $$")


def until_one_waits(engine: Engine, seconds: float = 20) -> None:
    """Until another connection waits on a lock (PostgreSQL), or a moment (SQLite, where the
    second writer waits for the whole database instead)."""
    if engine.dialect.name != "postgresql":
        time.sleep(0.5)
        return
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with engine.connect() as conn:
            if conn.execute(text("SELECT count(*) FROM pg_locks WHERE NOT granted")).scalar():
                return
        time.sleep(0.05)
    raise AssertionError("the second transaction never waited on the first")
