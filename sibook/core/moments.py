"""Instants read back from the store, answered alike on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime


def as_utc(at: datetime) -> datetime:
    """An instant read from the store, in UTC: SQLite hands back the naive UTC it stored;
    PostgreSQL tells it in its session's zone (the server's, e.g. Asia/Ho_Chi_Minh)."""
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def stamped(at: datetime) -> str:
    """A moment the store stamped itself (a column defaulting to now()), as answers write it:
    UTC at whole seconds, which is all SQLite's CURRENT_TIMESTAMP keeps (PostgreSQL's now()
    has microseconds, which would make the two stores answer differently)."""
    return as_utc(at).isoformat(timespec="seconds")
