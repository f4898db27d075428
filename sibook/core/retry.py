"""Transactions PostgreSQL aborted only to let another go on, tried again whole.

A deadlock's victim (SQLSTATE 40P01) and a serialization failure (40001) changed nothing: run
again a moment later, the same work usually succeeds. It is tried again only while nothing of
it is committed: a request or a command that committed a write before it failed (an access-log
entry, a job row) would do that write twice. PostgreSQL itself says whether a transaction
wrote (``txid_current_if_assigned()``: an id only once it has), asked just before each commit
while an ``Attempt`` is running; SQLite, whose writers queue for one lock, has neither error.
"""

from __future__ import annotations

import random
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, TypeVar

RETRYABLE_SQLSTATES = frozenset({"40P01", "40001"})  # deadlock detected, serialization failure
ATTEMPTS = 4  # the first and three more
BACKOFF_SECONDS = 0.05  # the first wait's upper bound; each further wait's doubles

T = TypeVar("T")


@dataclass
class Attempt:
    """What one attempt at a request or a command did to the store so far."""

    committed_writes: bool = False
    aborted: bool = False  # a unit of work of it failed with a retryable error

    @property
    def may_retry(self) -> bool:
        return self.aborted and not self.committed_writes


_ATTEMPT: ContextVar[Attempt | None] = ContextVar("attempt", default=None)


def retryable(exc: BaseException) -> bool:
    """``exc`` is PostgreSQL aborting the transaction as a deadlock's victim or a
    serialization failure: the transaction, tried again whole, may succeed. SQLAlchemy is
    looked up, not imported: a command that never loaded it cannot have raised its errors."""
    errors = sys.modules.get("sqlalchemy.exc")
    return (errors is not None and isinstance(exc, errors.DBAPIError)
            and getattr(exc.orig, "sqlstate", None) in RETRYABLE_SQLSTATES)


def backoff(tries: int) -> float:
    """Seconds to wait after the ``tries``-th failure: at random up to a bound that doubles
    with each ("full jitter"), so two transactions that deadlocked do not meet again."""
    return random.uniform(0, BACKOFF_SECONDS * 2 ** (tries - 1))  # noqa: S311 - not secret


@contextmanager
def attempt() -> Iterator[Attempt]:
    """Track one attempt, in this context and the threads it hands work to (the holder is
    shared, not copied). Nested in another, what it commits counts for the outer one too."""
    outer = _ATTEMPT.get()
    current = Attempt()
    token = _ATTEMPT.set(current)
    try:
        yield current
    finally:
        _ATTEMPT.reset(token)
        if outer is not None:
            outer.committed_writes |= current.committed_writes


def note_abort(exc: BaseException) -> None:
    """A unit of work failed with ``exc``: marks the running attempt when it is retryable."""
    running = _ATTEMPT.get()
    if running is not None and retryable(exc):
        running.aborted = True


def note_commit(driver_connection: Any) -> None:
    """A PostgreSQL transaction is about to commit: marks the running attempt when the
    transaction wrote anything (holds a transaction id)."""
    running = _ATTEMPT.get()
    if running is None or running.committed_writes:
        return
    from psycopg.pq import TransactionStatus  # only PostgreSQL's engines call this

    if driver_connection.info.transaction_status != TransactionStatus.INTRANS:
        return  # no statement ran, or one failed: nothing of it is committed
    row = driver_connection.execute("SELECT txid_current_if_assigned()").fetchone()
    running.committed_writes = row is not None and row[0] is not None


def retrying(work: Callable[[], T], *, attempts: int = ATTEMPTS,
             before_again: Callable[[], None] = lambda: None) -> T:
    """``work()``, run again (after a jittered wait) while it fails with a retryable error and
    had committed no write, at most ``attempts`` times in all; its last error otherwise.
    ``before_again``: called as an attempt is given up for the next (to drop what it said)."""
    tries = 0
    while True:
        tries += 1
        with attempt() as current:
            try:
                return work()
            except Exception as exc:
                if tries >= attempts or not retryable(exc) or current.committed_writes:
                    raise
        before_again()
        time.sleep(backoff(tries))
