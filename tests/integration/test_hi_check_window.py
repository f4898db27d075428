"""A facility's failed HI checks are limited in any 60 minutes, not per hour counted from its
first failure (``access.hi_checks``, ``access.sliding_window``): the limit is never passed
around the hour's turn, the stop lifts as the earliest failure ages out, checks sent at once
are judged one after the other, and a credential keeps a bounded number of rows. On SQLite and
PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, func, select

from sibook.access import credentials, hi_checks
from sibook.access.principals import Hospital, TooManyRequests
from sibook.access.settings import get_access_settings
from sibook.access.store import LoginFailures
from sibook.core.db import unit_of_work

LIMIT = 3
BACH_MAI = Hospital("bach-mai", "01001")
T0 = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _limit(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("SIBOOK_HI_CHECK_FAILURES_PER_HOUR", str(LIMIT))
    get_access_settings.cache_clear()
    yield
    get_access_settings.cache_clear()


def fail(engine: Engine, at: datetime) -> bool:
    """A failed check at ``at``, as the HI check makes it: whether it was counted (False: the
    credential was stopped, a 429)."""
    with unit_of_work(engine) as s:
        try:
            hi_checks.allowed(s, BACH_MAI, at)
        except TooManyRequests:
            return False
        hi_checks.failed(s, BACH_MAI, at)
        return True


def wait(engine: Engine, at: datetime) -> int | None:
    """Retry-After at ``at``; None when the credential is not stopped."""
    with unit_of_work(engine) as s:
        try:
            hi_checks.allowed(s, BACH_MAI, at)
        except TooManyRequests as stop:
            return int((stop.headers or {})["Retry-After"])
        return None


def test_the_limit_holds_across_the_hours_turn(engine: Engine) -> None:
    """One failure at 00:00, one at 00:59:59: at 01:00:01 an hourly count started over would
    take three more, four within two seconds; the last 60 minutes hold one, so two more."""
    assert fail(engine, T0) and fail(engine, T0 + timedelta(minutes=59, seconds=59))
    turn = T0 + timedelta(hours=1, seconds=1)
    assert [fail(engine, turn) for _ in range(3)] == [True, True, False]


def test_the_stop_lifts_as_the_earliest_failure_ages_out(engine: Engine) -> None:
    for minute in (0, 20, 40):
        assert fail(engine, T0 + timedelta(minutes=minute))
    assert wait(engine, T0 + timedelta(minutes=59, seconds=50)) == 11
    assert wait(engine, T0 + timedelta(minutes=60)) is None
    assert fail(engine, T0 + timedelta(minutes=60))  # the 20- and 40-minute ones still count
    assert wait(engine, T0 + timedelta(minutes=61)) == 19 * 60 + 1
    assert fail(engine, T0 + timedelta(minutes=80))


def test_a_facilitys_budget_is_what_the_last_60_minutes_left(engine: Engine) -> None:
    fail(engine, T0)
    fail(engine, T0 + timedelta(minutes=30))
    with unit_of_work(engine) as s:
        assert hi_checks.budget(s, BACH_MAI, T0 + timedelta(minutes=31)) == 1
        assert hi_checks.budget(s, BACH_MAI, T0 + timedelta(minutes=60)) == 2
        assert hi_checks.budget(s, Hospital("bv-01002", "01002"), T0) == LIMIT


def test_a_credential_keeps_its_last_failures_and_its_stop_no_more(engine: Engine) -> None:
    for minute in range(0, 24 * 60, 7):  # a day of a failure every 7 minutes, stopped or not
        fail(engine, T0 + timedelta(minutes=minute))
    with unit_of_work(engine) as s:
        prefix = credentials.client_subjects("bach-mai", "")[1][:32]
        rows = s.scalar(select(func.count()).select_from(LoginFailures)
                        .where(LoginFailures.subject.startswith(prefix)))
        assert rows == LIMIT + 1
        assert credentials.unlock(session=s, client_id="bach-mai",
                                  now=T0 + timedelta(hours=23, minutes=59)) == 1
    assert wait(engine, T0 + timedelta(hours=23, minutes=59)) is None


def test_failures_at_once_are_counted_up_to_the_limit(engine: Engine) -> None:
    go = threading.Barrier(8)

    def at_once(_: int) -> bool:
        go.wait()
        return fail(engine, T0)

    with ThreadPoolExecutor(8) as pool:
        assert sorted(pool.map(at_once, range(8))) == [False] * 5 + [True] * LIMIT
