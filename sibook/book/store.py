"""The book register: every registered person has exactly one e-SI book.

``persons`` carries a deferred foreign key to this table (see migration 0003), so a transaction
that registers a person without issuing the book cannot commit: the database makes a person
without a book impossible, not only the service.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, DateTime, ForeignKey, Integer, String, func
from sqlalchemy.orm import Mapped, mapped_column

from sibook.core.db import Base, BigId

BOOK_STATUSES = ("active", "closed", "revoked")


class SIBook(Base):
    """A person's e-SI book: number, status and the current version."""

    __tablename__ = "si_books"
    __table_args__ = (CheckConstraint("status IN ('active','closed','revoked')", name="status"),)

    person_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("persons.person_id", ondelete="CASCADE"), primary_key=True
    )
    # From 1/8/2025 the personal ID replaces the SI code (VSS letter 1804/BHXH-QLT), so the
    # book is numbered by it; the legacy SI code stays on the person for old records.
    book_number: Mapped[str] = mapped_column(String(12), unique=True)
    status: Mapped[str] = mapped_column(String(8), default="active")
    version: Mapped[int] = mapped_column(Integer, default=1)
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class BookVersion(Base):
    """One version of a person's book: its content, hash, and the hash of the version before.

    Rows are only ever added. ``prev_hash`` chains the versions, so rewriting an old version's
    payload (or deleting one) breaks the chain where it happened (see ``versions.chain_problems``).
    """

    __tablename__ = "book_versions"

    person_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("persons.person_id", ondelete="CASCADE"), primary_key=True
    )
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    content_hash: Mapped[str] = mapped_column(String(64))  # SHA-256 of the canonical payload
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
