"""Book versions: a new one whenever the assembled content changes, chained by hash.

Each version stores its payload, the SHA-256 of the payload's canonical form and the previous
version's hash. Rewriting an old payload breaks its own hash; replacing a whole version (payload
and hash) breaks the next version's ``prev_hash``; deleting one leaves a gap in the numbers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy import text as sql
from sqlalchemy.orm import Session

from sibook.book.assemble import content_hash, hashed
from sibook.book.store import BookVersion, SIBook
from sibook.core.bulk import write
from sibook.core.errors import NotFoundError
from sibook.core.moments import as_utc

MAX_VERSION = 2**31 - 1  # the column is a 32-bit INTEGER; a larger number names nothing


@dataclass(frozen=True)
class Version:
    version: int
    content_hash: str
    prev_hash: str | None
    created_at: datetime
    payload: dict[str, Any]

    def summary(self) -> dict[str, Any]:
        return {"version": self.version, "content_hash": self.content_hash,
                "prev_hash": self.prev_hash, "created_at": self.created_at.isoformat()}


def chain_problems(versions: Sequence[Version]) -> list[str]:
    """Where the chain of ``versions`` (oldest first) shows a rewrite; empty when intact."""
    problems: list[str] = []
    prev: Version | None = None
    for v in versions:
        expected_number = 1 if prev is None else prev.version + 1
        if v.version != expected_number:
            problems.append(f"version {v.version}: expected version {expected_number} "
                            "(a version is missing)")
        if content_hash(v.payload) != v.content_hash:
            problems.append(f"version {v.version}: payload does not match its hash "
                            "(rewritten after it was recorded)")
        expected_prev = None if prev is None else prev.content_hash
        if v.prev_hash != expected_prev:
            problems.append(f"version {v.version}: prev_hash does not match version "
                            f"{expected_number - 1}'s hash (the chain was rewritten)")
        prev = v
    return problems


def history(*, session: Session, person_id: int) -> list[Version]:
    rows = session.scalars(select(BookVersion).where(BookVersion.person_id == person_id)
                           .order_by(BookVersion.version))
    return [_version(r) for r in rows]


def first(*, session: Session, person_id: int) -> int:
    """The number of the book's first recorded version: the book as its registration left it
    (a registration sent again answers it)."""
    return session.scalar(select(func.min(BookVersion.version))
                          .where(BookVersion.person_id == person_id)) or 1


def latest(*, session: Session, person_id: int) -> Version | None:
    row = session.scalars(select(BookVersion).where(BookVersion.person_id == person_id)
                          .order_by(BookVersion.version.desc()).limit(1)).first()
    return _version(row) if row else None


class NoVersion(NotFoundError):
    """The book has no recorded version of the number asked (404): the caller's to change."""

    def __init__(self, personal_id: str, version: int) -> None:
        super().__init__(f"book {personal_id} has no version {version}", field="version")


def get(*, session: Session, person_id: int, version: int) -> Version | None:
    row = session.get(BookVersion, (person_id, version))
    return _version(row) if row else None


def record(*, session: Session, person_id: int, payload: dict[str, Any],
           now: datetime | None = None) -> tuple[Version, bool]:
    """The version holding ``payload``: the latest when unchanged, else a new one (True)."""
    digest = content_hash(payload)
    last = latest(session=session, person_id=person_id)
    if last is not None and last.content_hash == digest:
        return last, False
    row = BookVersion(person_id=person_id, version=last.version + 1 if last else 1,
                      content_hash=digest, prev_hash=last.content_hash if last else None,
                      created_at=now or datetime.now(UTC), payload=payload)
    session.add(row)
    book = session.get(SIBook, person_id)
    if book is not None:  # the register's version follows the chain
        book.version = row.version
    session.flush()
    return _version(row), True


def record_many(*, session: Session, payloads: Mapping[int, dict[str, Any]],
                now: datetime | None = None) -> dict[int, tuple[Version, bool]]:
    """``record`` for many persons: one query for their latest versions, one bulk write of the
    new ones (their canonical text, hashed once and stored as is) and one executemany for the
    register (``{person_id: (version, created)}``)."""
    if not payloads:
        return {}
    at = now or datetime.now(UTC)
    last = _latest_many(session, list(payloads))
    out: dict[int, tuple[Version, bool]] = {}
    rows: list[tuple[Any, ...]] = []
    conn = session.connection()
    stored_at = at if conn.dialect.name == "postgresql" else _sqlite_time(at)
    for person_id, payload in payloads.items():
        text, digest = hashed(payload)
        latest_one = last.get(person_id)
        if latest_one is not None and latest_one.content_hash == digest:
            out[person_id] = replace(latest_one, payload=payload), False
            continue
        number, prev = (latest_one.version, latest_one.content_hash) if latest_one else (0, None)
        rows.append((person_id, number + 1, digest, prev, stored_at, text.decode()))
        out[person_id] = Version(number + 1, digest, prev, at, payload), True
    if rows:
        write(conn, "book_versions", _COLUMNS, rows)
        conn.execute(sql("UPDATE si_books SET version = :v WHERE person_id = :p"),
                     [{"v": r[1], "p": r[0]} for r in rows])
    return out


_COLUMNS = ("person_id", "version", "content_hash", "prev_hash", "created_at", "payload")


def _sqlite_time(at: datetime) -> str:
    """A timestamp as SQLAlchemy's SQLite DateTime stores it (naive UTC text), for the raw
    executemany of the bulk path."""
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def _latest_many(session: Session, person_ids: list[int]) -> dict[int, Version]:
    """Each person's latest version, without its payload (the caller has the same one)."""
    newest = (select(BookVersion.person_id, func.max(BookVersion.version).label("version"))
              .where(BookVersion.person_id.in_(person_ids))
              .group_by(BookVersion.person_id).subquery())
    rows = session.execute(select(BookVersion.person_id, BookVersion.version,
                                  BookVersion.content_hash, BookVersion.prev_hash,
                                  BookVersion.created_at)
                           .join(newest, (newest.c.person_id == BookVersion.person_id)
                                 & (newest.c.version == BookVersion.version)))
    return {r[0]: Version(r[1], r[2], r[3], as_utc(r[4]), {}) for r in rows}


def _version(row: BookVersion) -> Version:
    return Version(row.version, row.content_hash, row.prev_hash, as_utc(row.created_at),
                   dict(row.payload))

