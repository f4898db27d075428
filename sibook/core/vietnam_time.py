"""Vietnam's clock (UTC+7, no daylight saving time): what its health facilities write and what
its citizens read, whatever the server's own time zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

VIETNAM = timezone(timedelta(hours=7))


def in_vietnam(at: datetime) -> datetime:
    """An instant (a naive one is UTC, as the store's timestamps read back on SQLite) on
    Vietnam's clock."""
    return (at if at.tzinfo else at.replace(tzinfo=UTC)).astimezone(VIETNAM)


def vietnam_time(at: datetime) -> str:
    """An instant (a naive one is UTC, as the access log stores it) in Vietnam's time, as
    Vietnamese write it: '28/11/2026 09:04:12'."""
    return in_vietnam(at).strftime("%d/%m/%Y %H:%M:%S")
