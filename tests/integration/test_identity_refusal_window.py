"""Refused identities at registration are limited in any 60 minutes, not per hour counted from
the caller's first refusal (``credentials.identity_refused``, ``access.sliding_window``, as a
facility's failed HI checks are): the limit is never passed around the hour's turn, and the
stop lifts as the earliest refusal ages out. On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine

from sibook.access import credentials
from sibook.access.principals import TooManyRequests
from sibook.core.db import unit_of_work

LIMIT = credentials.IDENTITY_MISMATCHES_PER_HOUR
GUESSER = "employer:0101234567"
T0 = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)


def stop(engine: Engine, at: datetime, *, refused: bool = True) -> int | None:
    """A registration at ``at``, as the API makes it: Retry-After if the caller is stopped (a
    429), else None, its identity refused by the population database and counted if
    ``refused``."""
    with unit_of_work(engine) as s:
        try:
            credentials.identity_allowed(s, GUESSER, at)
        except TooManyRequests as stopped:
            return int((stopped.headers or {})["Retry-After"])
        if refused:
            credentials.identity_refused(s, GUESSER, at)
        return None


def guess(engine: Engine, at: datetime) -> bool:
    """A refused identity at ``at``: whether it was asked and counted."""
    return stop(engine, at) is None


def test_the_limit_holds_across_the_hours_turn(engine: Engine) -> None:
    """One refusal at 00:00, one at 00:59:59: at 01:00:01 an hourly count started over took
    ten more, eleven within two seconds; the last 60 minutes hold one, so nine more."""
    assert guess(engine, T0) and guess(engine, T0 + timedelta(minutes=59, seconds=59))
    turn = T0 + timedelta(hours=1, seconds=1)
    assert [guess(engine, turn) for _ in range(LIMIT + 1)] == [True] * (LIMIT - 1) + [False] * 2


def test_the_stop_lifts_as_the_earliest_refusal_ages_out(engine: Engine) -> None:
    for n in range(LIMIT):
        assert guess(engine, T0 + timedelta(minutes=5 * n))
    assert stop(engine, T0 + timedelta(minutes=59, seconds=50), refused=False) == 11
    assert stop(engine, T0 + timedelta(minutes=60), refused=False) is None
    assert guess(engine, T0 + timedelta(minutes=60))  # nine in the last 60 minutes, then ten
    assert stop(engine, T0 + timedelta(minutes=60, seconds=1)) == 5 * 60
