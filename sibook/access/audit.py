"""The append-only, hash-chained access log (nhật ký truy cập): append, read, verify.

Each entry's hash is SHA-256 over its canonical JSON (every field but ``hash``, keys sorted,
compact separators, UTF-8) which includes ``prev_hash``: editing, deleting or reordering any row
breaks the chain from that row on, and the head row catches a deleted tail.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from json.encoder import encode_basestring
from typing import Any, NamedTuple

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from sibook.access.store import GENESIS_HASH, AccessLogEntry, AccessLogHead
from sibook.core import bulk


@dataclass(frozen=True)
class Access:
    """What one entry says: who, which person, what, through which route, why, and the outcome."""

    actor_kind: str
    actor_id: str
    action: str
    route: str
    purpose: str
    outcome: str = "allowed"
    person_id: int | None = None


@dataclass(frozen=True)
class ChainReport:
    entries: int
    first_bad_seq: int | None = None
    reason: str | None = None

    @property
    def intact(self) -> bool:
        return self.first_bad_seq is None


def as_utc(at: datetime) -> datetime:
    # SQLite hands back naive datetimes; every stored time is UTC.
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def canonical(entry: AccessLogEntry) -> bytes:
    """The bytes that are hashed: stable across backends and Python versions."""
    return _encoded({
        "seq": entry.seq, "at": _instant(entry.at),
        "actor_kind": entry.actor_kind, "actor_id": entry.actor_id,
        "person_id": entry.person_id, "action": entry.action, "route": entry.route,
        "purpose": entry.purpose, "outcome": entry.outcome, "prev_hash": entry.prev_hash,
    })


def entry_hash(entry: AccessLogEntry) -> str:
    return hashlib.sha256(canonical(entry)).hexdigest()


def _instant(at: datetime) -> str:
    return as_utc(at).isoformat(timespec="microseconds")


def _encoded(fields: dict[str, Any]) -> bytes:
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _encoder(instant: str) -> Callable[[Access, int, str], bytes]:
    """``_encoded`` of an entry's fields at ``instant`` (the same bytes: a test holds them
    equal), for the entries of one append. A filing's entries differ only in seq, person and
    previous hash, so the rest is JSON-encoded once per distinct access, not once per entry:
    ``json.dumps`` of every entry took a third of a large append's time."""
    texts: dict[tuple[str, ...], tuple[str, str]] = {}
    at = _json_text(instant)

    def encoded(access: Access, seq: int, prev_hash: str) -> bytes:
        key = (access.action, access.actor_id, access.actor_kind, access.outcome,
               access.purpose, access.route)
        fixed = texts.get(key)
        if fixed is None:  # the keys in sorted order, as _encoded writes them
            action, actor_id, actor_kind, outcome, purpose, route = map(_json_text, key)
            fixed = texts[key] = (
                f'{{"action":{action},"actor_id":{actor_id},"actor_kind":{actor_kind},'
                f'"at":{at},"outcome":{outcome},"person_id":',
                f',"purpose":{purpose},"route":{route},"seq":')
        person = "null" if access.person_id is None else str(int(access.person_id))
        return (f'{fixed[0]}{person},"prev_hash":{_json_text(prev_hash)}{fixed[1]}{int(seq)}}}'
                ).encode()

    return encoded


def _json_text(value: str) -> str:
    return encode_basestring(value)  # what json.dumps(value, ensure_ascii=False) returns


class Appended(NamedTuple):
    """Where an appended entry landed in the chain."""

    seq: int
    prev_hash: str
    hash: str


def append(*, session: Session, access: Access, at: datetime | None = None) -> Appended:
    """Append one entry in the caller's transaction."""
    return append_many(session=session, accesses=[access], at=at)[0]


def append_many(*, session: Session, accesses: list[Access], at: datetime | None = None,
                ) -> list[Appended]:
    """Append entries in order, in the caller's transaction, under one lock of the chain head.

    Concurrency: the UPDATE of the single head row comes first. On PostgreSQL it takes the row
    lock, so concurrent appenders queue until the holder commits and then see its seq and hash
    (READ COMMITTED re-reads the updated row). On SQLite the UPDATE takes the database write
    lock. Either way no two entries can share a seq or a prev_hash.

    Every read of personal data anywhere waits on that lock, so the rows are written as plain
    rows, not ORM objects (COPY on PostgreSQL): a filing of 50,000 workers logs them in about
    two seconds, where building and flushing one object each held the lock for sixteen.
    """
    if not accesses:
        return []
    session.execute(update(AccessLogHead).where(AccessLogHead.id == 1)
                    .values(last_seq=AccessLogHead.last_seq + len(accesses)))
    last_seq, prev = session.execute(
        select(AccessLogHead.last_seq, AccessLogHead.last_hash).where(AccessLogHead.id == 1)
    ).one()
    # Microsecond precision is what both backends keep, so the hash survives a round trip.
    when = as_utc(at or datetime.now(UTC))
    instant = _instant(when)  # the fields canonical() hashes, with the time as it writes it
    encoded = _encoder(instant)
    # Only a string an entry until the rows are written: a tuple each (the entry and its
    # access) gave the garbage collector work, ~0.1 s of a 100,000-entry append (RESULTS.md).
    first, prevs, hashes = last_seq - len(accesses) + 1, [prev], []
    for seq, access in enumerate(accesses, start=first):
        prev = hashlib.sha256(encoded(access, seq, prev)).hexdigest()
        hashes.append(prev)
    prevs += hashes[:-1]
    _write(session, when, first, accesses, prevs, hashes)
    session.execute(update(AccessLogHead).where(AccessLogHead.id == 1).values(last_hash=prev))
    return list(map(Appended, range(first, last_seq + 1), prevs, hashes))


_FIXED = ("actor_kind", "actor_id", "action", "route", "purpose", "outcome")
_COLUMNS = ("seq", "at", *_FIXED, "person_id", "prev_hash", "hash")


def _write(session: Session, when: datetime, first: int, accesses: list[Access],
           prevs: list[str], hashes: list[str]) -> None:
    """Write entries ``first``, ``first + 1``... of ``accesses`` with their previous and own
    hashes."""
    conn = session.connection()
    seqs = range(first, first + len(accesses))
    if conn.dialect.name != "postgresql":  # SQLAlchemy's own types store the time as SQLite
        conn.execute(insert(AccessLogEntry), [  # reads it back
            {"seq": seq, "at": when, "prev_hash": prev_hash, "hash": hashed, **access.__dict__}
            for seq, access, prev_hash, hashed in zip(seqs, accesses, prevs, hashes,
                                                      strict=True)])
        return
    # COPY's text lines made here, each distinct access's fixed fields escaped once: psycopg's
    # write_row per entry took half of a large append's time. An entry's own hash is a hex
    # digest made here: nothing in it to escape.
    fixed: dict[tuple[str, ...], str] = {}
    at = when.isoformat()

    def line(seq: int, access: Access, prev_hash: str, hashed: str) -> str:
        key = (access.actor_kind, access.actor_id, access.action, access.route, access.purpose,
               access.outcome)  # _FIXED's order
        same = fixed.get(key)
        if same is None:
            same = fixed[key] = "\t".join(map(bulk.copy_text, key))
        person = r"\N" if access.person_id is None else str(int(access.person_id))
        return f"{seq}\t{at}\t{same}\t{person}\t{bulk.copy_text(prev_hash)}\t{hashed}\n"

    bulk.write_lines(conn, AccessLogEntry.__tablename__, _COLUMNS,
                     map(line, seqs, accesses, prevs, hashes))


def entries_for_person(*, session: Session, person_id: int, limit: int = 100,
                       before: int | None = None) -> list[AccessLogEntry]:
    """The entries that name ``person_id``, newest first; ``before``: only those older than
    the entry of that seq. Paging by seq (keyset, on the index by person and seq), not by an
    offset: entries appended meanwhile shift no page, so none is shown twice or skipped."""
    query = select(AccessLogEntry).where(AccessLogEntry.person_id == person_id)
    if before is not None:
        query = query.where(AccessLogEntry.seq < before)
    return list(session.scalars(query.order_by(AccessLogEntry.seq.desc()).limit(limit)))


def _rows(session: Session) -> Iterator[AccessLogEntry]:
    yield from session.scalars(
        select(AccessLogEntry).order_by(AccessLogEntry.seq).execution_options(yield_per=1000)
    )


def verify(*, session: Session) -> ChainReport:
    """Walk the chain from the genesis; report the first seq whose row does not fit."""
    expected_seq, prev, count = 1, GENESIS_HASH, 0
    for row in _rows(session):
        count += 1
        if row.seq != expected_seq:
            return ChainReport(count, expected_seq, f"entry {expected_seq} is missing")
        if row.prev_hash != prev:
            return ChainReport(count, row.seq, "prev_hash does not match the entry before it")
        if entry_hash(row) != row.hash:
            return ChainReport(count, row.seq, "content does not match its hash (edited)")
        prev, expected_seq = row.hash, expected_seq + 1
    head = session.execute(
        select(AccessLogHead.last_seq, AccessLogHead.last_hash).where(AccessLogHead.id == 1)
    ).one()
    if head.last_seq != count or head.last_hash != prev:
        return ChainReport(count, count + 1,
                           f"the chain head says {head.last_seq} entries, {count} found "
                           "(entries deleted from the end)")
    return ChainReport(count)
