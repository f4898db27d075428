"""The append-only, hash-chained access log (nhật ký truy cập): append, and read the entries
naming a person (``chain`` checks the chain).

Each entry's hash is SHA-256 over its canonical JSON (every field but ``hash``, keys sorted,
compact separators, UTF-8) which includes ``prev_hash``: editing, deleting or reordering any row
breaks the chain from that row on, and the head row catches a deleted tail.

One access of many persons at once (a filing, a listing) is one group entry: it names them in
``access_log_subjects``, and its hashed fields hold their count and a SHA-256 of their ids, so a
person added to, changed in or deleted from a group is found as an edit of that entry is.
Entries naming one person or none are as they always were, and hash as they did.

An entry may say what the access was about where its action alone does not (``detail``,
migration 0027: the unit a remittance or a change of its record concerns, the filing); it is
hashed when given, so every entry logged before, which has none, hashes as it did.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from json.encoder import encode_basestring
from operator import attrgetter
from typing import Any, NamedTuple

from sqlalchemy import insert, select, union_all, update
from sqlalchemy.orm import Session

from sibook.access.store import DETAIL_MAX, AccessLogEntry, AccessLogHead, AccessLogSubject
from sibook.core import bulk
from sibook.core.moments import as_utc


@dataclass(frozen=True)
class Access:
    """What one entry says: who, which person, what, through which route, why, and the outcome;
    ``detail``: what it was about, where the action does not say (``sibook.access.details``)."""

    actor_kind: str
    actor_id: str
    action: str
    route: str
    purpose: str
    outcome: str = "allowed"
    person_id: int | None = None
    detail: str | None = None

    def __post_init__(self) -> None:
        # Refused here, not by the column: SQLite stores a text of any length.
        if self.detail is not None and not 0 < len(self.detail) <= DETAIL_MAX:
            raise ValueError(f"an access's detail is 1..{DETAIL_MAX} characters: "
                             f"{self.detail!r}")

    def hashed(self) -> dict[str, Any]:
        """The fields an entry of this access hashes (with its seq, time and previous hash):
        all of them, but no detail when it has none, as every entry before 0027."""
        fields = dict(self.__dict__)
        if self.detail is None:
            del fields["detail"]
        return fields


class _Group(NamedTuple):
    """One access of several persons, logged as one entry: ``access`` names nobody itself;
    ``person_ids`` are distinct and ascending, the order their digest is taken in."""

    access: Access
    person_ids: list[int]
    digest: str


def _group(access: Access, person_ids: Iterable[int]) -> _Group:
    ids = sorted(person_ids)
    return _Group(replace(access, person_id=None), ids, subjects_digest(ids))


def subjects_digest(person_ids: Iterable[int]) -> str:
    """SHA-256 over a group entry's person ids, ascending, each in decimal and a line end."""
    return hashlib.sha256("".join(f"{int(p)}\n" for p in person_ids).encode()).hexdigest()


def canonical(entry: AccessLogEntry) -> bytes:
    """The bytes that are hashed: stable across backends and Python versions. A group entry's
    count and digest of its persons are among them; an entry naming one person or none has
    neither (NULL), so it hashes as every entry did before group entries (migration 0022).
    Its detail likewise, when it has one (migration 0027)."""
    fields: dict[str, Any] = {
        "seq": entry.seq, "at": _instant(entry.at),
        "actor_kind": entry.actor_kind, "actor_id": entry.actor_id,
        "person_id": entry.person_id, "action": entry.action, "route": entry.route,
        "purpose": entry.purpose, "outcome": entry.outcome, "prev_hash": entry.prev_hash,
    }
    if entry.subject_count is not None or entry.subjects_sha256 is not None:
        fields.update(subject_count=entry.subject_count, subjects_sha256=entry.subjects_sha256)
    if entry.detail is not None:
        fields["detail"] = entry.detail
    return _encoded(fields)


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
    texts: dict[tuple[str | None, ...], tuple[str, str]] = {}
    at = _json_text(instant)

    def encoded(access: Access, seq: int, prev_hash: str) -> bytes:
        key = (access.action, access.actor_id, access.actor_kind, access.outcome,
               access.purpose, access.route, access.detail)
        fixed = texts.get(key)
        if fixed is None:  # the keys in sorted order, as _encoded writes them
            action, actor_id, actor_kind, outcome, purpose, route = map(_json_text, key[:-1])
            detail = "" if access.detail is None else f'"detail":{_json_text(access.detail)},'
            fixed = texts[key] = (
                f'{{"action":{action},"actor_id":{actor_id},"actor_kind":{actor_kind},'
                f'"at":{at},{detail}"outcome":{outcome},"person_id":',
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


def append_for(*, session: Session, access: Access, person_ids: Iterable[int],
               at: datetime | None = None) -> list[Appended]:
    """Log ``access`` of each of ``person_ids`` (its own ``person_id`` aside), as
    ``append_many`` of one access a person does, without making those: a filing's 100,000."""
    ids = list(person_ids)
    if len(ids) > 1 and len(set(ids)) == len(ids):
        return _append(session, [_group(access, ids)], at)
    return append_many(session=session, accesses=[replace(access, person_id=p) for p in ids],
                       at=at)


def append_many(*, session: Session, accesses: list[Access], at: datetime | None = None,
                ) -> list[Appended]:
    """Append ``accesses`` in order, in the caller's transaction, under one lock of the chain
    head; consecutive ones alike but for the persons they name (a filing's, a listing's) as
    one group entry. One entry each is returned, in chain order.

    Concurrency: the UPDATE of the single head row comes first. On PostgreSQL it takes the row
    lock, so concurrent appenders queue until the holder commits and then see its seq and hash
    (READ COMMITTED re-reads the updated row). On SQLite the UPDATE takes the database write
    lock. Either way no two entries can share a seq or a prev_hash.

    Every read of personal data anywhere waits on that lock, so the rows are written as plain
    rows, not ORM objects (COPY on PostgreSQL): a filing of 50,000 workers logs them in about
    two seconds, where building and flushing one object each held the lock for sixteen; and a
    filing's workers are one entry, their ids one narrow row each (bench/RESULTS.md).
    """
    return _append(session, _entries(accesses), at)


def _entries(accesses: list[Access]) -> list[Access | _Group]:
    """The chain entries of ``accesses``: each run of consecutive accesses that differ only in
    the person they name is one group entry. A person named again, or an access naming
    nobody, ends a run: what each person is shown stays one entry per access of them."""
    entries: list[Access | _Group] = []
    run: list[Access] = []
    named: set[int] = set()
    for access in accesses:
        if run and (access.person_id is None or access.person_id in named
                    or _fixed(access) != _fixed(run[0])):
            entries.append(run[0] if len(run) == 1 else _group(run[0], named))
            run, named = [], set()
        if access.person_id is None:
            entries.append(access)
        else:
            run.append(access)
            named.add(access.person_id)
    if run:
        entries.append(run[0] if len(run) == 1 else _group(run[0], named))
    return entries


def _append(session: Session, entries: list[Access | _Group], at: datetime | None
            ) -> list[Appended]:
    if not entries:
        return []
    session.execute(update(AccessLogHead).where(AccessLogHead.id == 1)
                    .values(last_seq=AccessLogHead.last_seq + len(entries)))
    last_seq, prev = session.execute(
        select(AccessLogHead.last_seq, AccessLogHead.last_hash).where(AccessLogHead.id == 1)
    ).one()
    # Microsecond precision is what both backends keep, so the hash survives a round trip.
    when = as_utc(at or datetime.now(UTC))
    instant = _instant(when)  # the fields canonical() hashes, with the time as it writes it
    encoded = _encoder(instant)
    # Only a string an entry until the rows are written: a tuple each (the entry and its
    # access) gave the garbage collector work, ~0.1 s of a 100,000-entry append (RESULTS.md).
    first, prevs, hashes = last_seq - len(entries) + 1, [prev], []
    for seq, entry in enumerate(entries, start=first):
        text = (encoded(entry, seq, prev) if isinstance(entry, Access)
                else _encoded({"seq": seq, "at": instant, **entry.access.hashed(),
                               "prev_hash": prev, "subject_count": len(entry.person_ids),
                               "subjects_sha256": entry.digest}))
        prev = hashlib.sha256(text).hexdigest()
        hashes.append(prev)
    prevs += hashes[:-1]
    _write(session, when, first, entries, prevs, hashes)
    _write_groups(session, when, first, entries, prevs, hashes)
    session.execute(update(AccessLogHead).where(AccessLogHead.id == 1).values(last_hash=prev))
    return list(map(Appended, range(first, last_seq + 1), prevs, hashes))


_FIXED = ("actor_kind", "actor_id", "action", "route", "purpose", "outcome", "detail")
_fixed = attrgetter(*_FIXED)  # what an entry says but its person: a group's members share it
_COLUMNS = ("seq", "at", *_FIXED, "person_id", "prev_hash", "hash")


def _write(session: Session, when: datetime, first: int, entries: list[Access | _Group],
           prevs: list[str], hashes: list[str]) -> None:
    """Write the entries naming one person or none among entries ``first``, ``first + 1``...
    with their previous and own hashes."""
    if not any(isinstance(entry, Access) for entry in entries):  # a filing's one group
        return
    conn = session.connection()
    seqs = range(first, first + len(entries))
    if conn.dialect.name != "postgresql":  # SQLAlchemy's own types store the time as SQLite
        rows = [{"seq": seq, "at": when, "prev_hash": prev_hash, "hash": hashed,  # reads back
                 **entry.__dict__}
                for seq, entry, prev_hash, hashed in zip(seqs, entries, prevs, hashes,
                                                         strict=True)
                if isinstance(entry, Access)]
        conn.execute(insert(AccessLogEntry), rows)
        return
    # COPY's text lines made here, each distinct access's fixed fields escaped once: psycopg's
    # write_row per entry took half of a large append's time. An entry's own hash is a hex
    # digest made here: nothing in it to escape.
    fixed: dict[tuple[str | None, ...], str] = {}
    at = when.isoformat()

    def line(seq: int, entry: Access | _Group, prev_hash: str, hashed: str) -> str:
        if not isinstance(entry, Access):
            return ""
        key = _fixed(entry)
        same = fixed.get(key)
        if same is None:
            same = fixed[key] = "\t".join(r"\N" if text is None else bulk.copy_text(text)
                                           for text in key)
        person = r"\N" if entry.person_id is None else str(int(entry.person_id))
        return f"{seq}\t{at}\t{same}\t{person}\t{bulk.copy_text(prev_hash)}\t{hashed}\n"

    bulk.write_lines(conn, AccessLogEntry.__tablename__, _COLUMNS,
                     filter(None, map(line, seqs, entries, prevs, hashes)))


def _write_groups(session: Session, when: datetime, first: int,
                  entries: list[Access | _Group], prevs: list[str], hashes: list[str]) -> None:
    """Write the group entries among entries ``first``, ``first + 1``... (a few rows), and the
    persons each names, one row each: COPY on PostgreSQL, executemany on SQLite."""
    groups = [(seq, entry, prev_hash, hashed) for seq, entry, prev_hash, hashed
              in zip(range(first, first + len(entries)), entries, prevs, hashes, strict=True)
              if isinstance(entry, _Group)]
    if not groups:
        return
    conn = session.connection()
    conn.execute(insert(AccessLogEntry), [
        {"seq": seq, "at": when, "prev_hash": prev_hash, "hash": hashed, **group.access.__dict__,
         "subject_count": len(group.person_ids), "subjects_sha256": group.digest}
        for seq, group, prev_hash, hashed in groups])
    table, columns = AccessLogSubject.__tablename__, ("person_id", "seq")
    if conn.dialect.name == "postgresql":
        bulk.write_lines(conn, table, columns, (f"{int(p)}\t{seq}\n" for seq, group, _, _
                                                in groups for p in group.person_ids))
    else:
        bulk.write(conn, table, columns, [(p, seq) for seq, group, _, _ in groups
                                          for p in group.person_ids])


def entries_for_person(*, session: Session, person_id: int, limit: int = 100,
                       before: int | None = None) -> list[AccessLogEntry]:
    """The entries that name ``person_id``, newest first; ``before``: only those older than
    the entry of that seq. Paging by seq (keyset), not by an offset: entries appended meanwhile
    shift no page, so none is shown twice or skipped. An entry names the person itself (its
    ``person_id``) or as one of a group's (``person_id`` None): the newest ``limit`` of each
    kind, each read on its own index by person and seq, then the newest ``limit`` of both."""
    def newest(seq: Any, person: Any) -> Any:
        query = select(seq.label("seq")).where(person == person_id)
        if before is not None:
            query = query.where(seq < before)
        return select(query.order_by(seq.desc()).limit(limit).subquery())

    seqs = union_all(newest(AccessLogEntry.seq, AccessLogEntry.person_id),
                     newest(AccessLogSubject.seq, AccessLogSubject.person_id)).subquery()
    return list(session.scalars(
        select(AccessLogEntry).where(AccessLogEntry.seq.in_(select(seqs.c.seq)))
        .order_by(AccessLogEntry.seq.desc()).limit(limit)))
