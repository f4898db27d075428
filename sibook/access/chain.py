"""Checking the access log's hash chain (``sibook audit verify``): every entry in seq order
from the genesis, each group entry's persons beside it, and the chain head at the end."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from sibook.access.audit import entry_hash, subjects_digest
from sibook.access.store import GENESIS_HASH, AccessLogEntry, AccessLogHead, AccessLogSubject


@dataclass(frozen=True)
class ChainReport:
    entries: int
    first_bad_seq: int | None = None
    reason: str | None = None

    @property
    def intact(self) -> bool:
        return self.first_bad_seq is None


def _rows(session: Session) -> Iterator[AccessLogEntry]:
    yield from session.scalars(
        select(AccessLogEntry).order_by(AccessLogEntry.seq).execution_options(yield_per=1000)
    )


class _Named:
    """The persons group entries name, in seq order: read beside the entries as they are
    walked (no query an entry), and each entry's taken as its turn comes."""

    def __init__(self, session: Session) -> None:
        self._rows = iter(session.execute(
            select(AccessLogSubject.seq, AccessLogSubject.person_id)
            .order_by(AccessLogSubject.seq, AccessLogSubject.person_id)
            .execution_options(yield_per=10_000)).tuples())
        self._next = next(self._rows, None)

    def upto(self, seq: int) -> list[int]:
        """The person ids of the rows up to entry ``seq``: its own, and any of a seq before it
        that no entry took (there is none before the first entry)."""
        ids = []
        while self._next is not None and self._next[0] <= seq:
            ids.append(self._next[1])
            self._next = next(self._rows, None)
        return ids

    @property
    def left(self) -> int | None:
        """The seq of the first row after the last entry, if any."""
        return None if self._next is None else self._next[0]


def _subjects_fit(row: AccessLogEntry, ids: list[int]) -> bool:
    if row.subject_count is None:
        return not ids
    return len(ids) == row.subject_count and subjects_digest(ids) == row.subjects_sha256


def verify(*, session: Session) -> ChainReport:
    """Walk the chain from the genesis; report the first seq whose row, or the persons a group
    entry names, does not fit.

    On PostgreSQL in one snapshot (REPEATABLE READ, when ``session`` has not begun yet): under
    READ COMMITTED each query saw what was committed before it, so an entry appended while the
    chain was walked showed as a group entry without its persons, or a head ahead of the rows.
    SQLite's transaction holds the write lock already."""
    if session.get_bind().dialect.name == "postgresql" and not session.in_transaction():
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    expected_seq, prev, count = 1, GENESIS_HASH, 0
    named = _Named(session)
    for row in _rows(session):
        count += 1
        if row.seq != expected_seq:
            return ChainReport(count, expected_seq, f"entry {expected_seq} is missing")
        if row.prev_hash != prev:
            return ChainReport(count, row.seq, "prev_hash does not match the entry before it")
        if entry_hash(row) != row.hash:
            return ChainReport(count, row.seq, "content does not match its hash (edited)")
        if not _subjects_fit(row, named.upto(row.seq)):
            return ChainReport(count, row.seq, "the persons it names do not match its hash "
                                               "(a person added, changed or deleted)")
        prev, expected_seq = row.hash, expected_seq + 1
    head = session.execute(
        select(AccessLogHead.last_seq, AccessLogHead.last_hash).where(AccessLogHead.id == 1)
    ).one()
    if head.last_seq != count or head.last_hash != prev:
        return ChainReport(count, count + 1,
                           f"the chain head says {head.last_seq} entries, {count} found "
                           "(entries deleted from the end)")
    if named.left is not None:
        return ChainReport(count, named.left, f"persons are named by entry {named.left}, "
                                              "which is not in the chain (added)")
    return ChainReport(count)
