"""Database engine, declarative base and the unit of work: the only doors to storage.

SQLite (a file) is the embedded default; PostgreSQL is the production store. Everything above
this module speaks SQLAlchemy 2 and stays portable between the two.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

from sqlalchemy import BigInteger, Engine, Integer, MetaData, create_engine, event, make_url
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

from sibook.core import retry
from sibook.core.config import get_settings

# Stable constraint names so Alembic migrations are reproducible on both backends.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# 64-bit on PostgreSQL; on SQLite a plain INTEGER, which is 64-bit there too (and the only type
# SQLite auto-increments as a primary key).
Int64 = BigInteger().with_variant(Integer(), "sqlite")
BigId = Int64  # ids


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


CLIENT_CHECK_MS = 5000  # how often a running statement's client is checked


def make_engine(url: str | None = None, **kwargs: Any) -> Engine:
    parsed = make_url(url or get_settings().database_url)
    if parsed.get_backend_name() == "postgresql":
        # No JIT: its compile time (0.1-0.2 s, measured in bench/bench_declarations.py) is paid
        # by every large-estimate statement of a filing and repaid by none of them. Added to the
        # URL's own options (a search_path, say), not in place of them.
        given = parsed.query.get("options", "")
        given = " ".join(given) if isinstance(given, tuple) else given
        # A lock held past the wait fails the statement (SQLSTATE 55P03) instead of queueing
        # requests behind it without end: the SQLite store's busy timeout, on PostgreSQL.
        wait_ms = int(get_settings().lock_wait_seconds * 1000)
        # A client killed mid-statement (kill -9 of a filing, a crashed server) is noticed by
        # the server within this and its session ended, its locks released; otherwise the
        # statement runs on, holding them, to its end (PostgreSQL 14+).
        # temp_buffers: a filing's staged lines (temporary tables) stay in the session's memory
        # instead of going through the file system; only a session that uses temporary tables
        # takes them, and only after connecting can it no longer be raised.
        parsed = parsed.update_query_dict({"options": (
            f"{given} -c jit=off -c lock_timeout={wait_ms:d} -c temp_buffers=64MB "
            f"-c client_connection_check_interval={CLIENT_CHECK_MS:d}").strip()})
        # A pooled connection that died with a server restart is replaced, not handed to a
        # request that would then fail.
        kwargs.setdefault("pool_pre_ping", True)
    engine = create_engine(parsed, **kwargs)
    if engine.dialect.name == "postgresql":
        # Whether a failed request or command may run again: not once it committed a write.
        event.listen(engine, "commit",
                     lambda conn: retry.note_commit(conn.connection.driver_connection))
    if engine.dialect.name == "sqlite":
        busy_ms = int(get_settings().lock_wait_seconds * 1000)
        event.listen(engine, "connect", lambda conn, record: _sqlite_pragmas(conn, busy_ms))
        event.listen(engine, "begin", _sqlite_begin)
    return engine


def _sqlite_pragmas(dbapi_conn: Any, busy_ms: int) -> None:
    cur = dbapi_conn.cursor()
    # Wait for another writer this long (Python's default is 5 s) rather than fail at once.
    cur.execute(f"PRAGMA busy_timeout={busy_ms:d}")
    cur.execute("PRAGMA foreign_keys=ON")  # SQLite ignores FKs unless asked
    cur.execute("PRAGMA journal_mode=WAL")  # readers do not block the writer
    cur.execute("PRAGMA synchronous=NORMAL")  # durable at checkpoints, safe with WAL
    cur.close()
    # pysqlite's own transaction handling breaks SAVEPOINTs and starts transactions late;
    # turn it off and let SQLAlchemy emit BEGIN (the SQLAlchemy docs' pysqlite recipe).
    dbapi_conn.isolation_level = None


# The execution option saying how a transaction begins on SQLite (``_sqlite_begin``).
SQLITE_BEGIN = "sibook_sqlite_begin"


def _sqlite_begin(conn: Any) -> None:
    # IMMEDIATE: take the write lock at the start. A deferred transaction that reads and then
    # writes cannot wait for another writer (SQLite answers "database is locked" at once);
    # almost every request here writes (the access log), so serialising them costs nothing.
    # DEFERRED for a unit of work that only reads (``unit_of_work(reads_only=True)``): under
    # WAL it reads the last commit while a writer works, instead of waiting for it.
    conn.exec_driver_sql(f"BEGIN {conn.get_execution_options().get(SQLITE_BEGIN, 'IMMEDIATE')}")


def begin_writing(session: Session) -> None:
    """Begin the session's next transaction as one that writes (SQLite's write lock taken at
    its start), whatever its unit of work was opened for; called where no transaction is
    under way (after a rollback or a commit)."""
    options: Any = {SQLITE_BEGIN: "IMMEDIATE"}  # an option of ours, not in SQLAlchemy's types
    session.connection(execution_options=options)


@lru_cache(maxsize=4)
def dialect_insert(session: Session, table: Any) -> postgresql.Insert | sqlite.Insert:
    """An INSERT in the session's dialect, which has ``on_conflict_do_nothing`` and
    ``on_conflict_do_update`` (insert-if-absent, upsert) on both stores."""
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def engine_for(url: str) -> Engine:
    return make_engine(url)


def default_engine() -> Engine:
    return engine_for(get_settings().database_url)


@contextmanager
def unit_of_work(engine: Engine | None = None, *, reads_only: bool = False
                 ) -> Iterator[Session]:
    """One transaction: commits on success, rolls back everything on any error (and a
    deadlock's or serialization failure's rollback lets the running attempt run again, see
    ``retry``). ``reads_only``: on SQLite the transaction does not wait for the writer (a
    large filing holds the store's one write lock for its whole run); one that writes after
    all must ``begin_writing`` first, or may fail "database is locked" while another writes."""
    bind = engine or default_engine()
    if reads_only:
        bind = bind.execution_options(**{SQLITE_BEGIN: "DEFERRED"})
    factory = sessionmaker(bind=bind, expire_on_commit=False)
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException as exc:
        session.rollback()
        retry.note_abort(exc)
        raise
    finally:
        session.close()
