"""A large filing's state is kept in the database: any server process answers a poll, and a job
whose process died reads failed instead of running for ever."""

from __future__ import annotations

import io
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, func, select, text, update

from sibook.contributions import jobs
from sibook.contributions.job_store import DeclarationJob
from sibook.core.db import make_engine, unit_of_work
from sibook.core.period import Period
from tests.integration.ledger_fixtures import EMPLOYER, csv_of, setup_workers

JANUARY = Period.parse("2026-01")


def _start(engine: Engine, data: bytes) -> jobs.Job:
    with unit_of_work(engine) as s:
        return jobs.start(upload=io.BytesIO(data), file_name="d02.csv", employer_code=EMPLOYER,
                          month=JANUARY, batch_no=1, session=s, log=lambda *_: None)


def _get(engine: Engine, job_id: str) -> jobs.Job | None:
    with unit_of_work(engine) as s:
        return jobs.get(job_id, session=s)


def _finished(engine: Engine, job_id: str) -> jobs.Job:
    for _ in range(400):
        job = _get(engine, job_id)
        assert job is not None
        if job.status not in ("queued", "running"):
            return job
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} still {job.status}")


def _another_process(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Engine:
    """What a second server process has: its own connections and none of this one's memory."""
    monkeypatch.setattr(jobs, "_live", {})
    # The URL names the test's own schema too (conftest), so the other process uses it.
    return make_engine(engine.url.render_as_string(hide_password=False))


def _left_behind(engine: Engine, owner_pid: int) -> str:
    """A job row written by a server process ``owner_pid`` on this host, left running."""
    job_id = uuid.uuid4().hex
    with unit_of_work(engine) as s:
        s.add(DeclarationJob(job_id=job_id, employer_code=EMPLOYER, period=JANUARY.index,
                             batch_no=1, file_name="d02.csv", status="running", lines_done=7,
                             owner=f"{socket.gethostname()}:{owner_pid}"))
    return job_id


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", ""])
    proc.wait()
    return proc.pid


def test_a_finished_job_is_answered_by_another_process(
        engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    workers = setup_workers(engine, 4)
    job = _start(engine, csv_of([(pid, "TM", 8_000_000, "2026-01") for pid in workers]))
    _finished(engine, job.job_id)
    other = _another_process(engine, monkeypatch)
    seen = _get(other, job.job_id)
    other.dispose()
    assert seen is not None
    assert (seen.employer, seen.month, seen.status, seen.lines_done) == (
        EMPLOYER, "2026-01", "accepted", 4)
    assert seen.result is not None and seen.result["dues"] == {"2026-01": 10_240_000}


def test_a_file_filed_again_reads_all_its_lines_done(engine: Engine) -> None:
    """The same file again is the first filing's answer: a poller shows every line of it done,
    not an accepted job with 0 lines (its lines are checked and filed, the first time)."""
    workers = setup_workers(engine, 3)
    data = csv_of([(pid, "TM", 8_000_000, "2026-01") for pid in workers])
    first = _finished(engine, _start(engine, data).job_id)
    again = _finished(engine, _start(engine, data).job_id)
    assert again.result is not None and again.result["replayed"] is True
    assert (again.status, again.lines_done) == ("accepted", first.lines_done) == ("accepted", 3)


def test_a_running_job_shows_its_progress_while_its_filing_holds_the_database(
        engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    release = threading.Event()

    def slow_filing(*, session: Any, progress: Any, **_: Any) -> dict[str, Any]:
        session.execute(text("SELECT 1"))  # on SQLite this takes the write lock
        progress("checked", 3)
        release.wait(timeout=10)
        raise RuntimeError("not filed")

    monkeypatch.setattr(jobs, "declare", slow_filing)
    job = _start(engine, b"personal_id\n")
    try:
        for _ in range(200):
            seen = _get(engine, job.job_id)
            if seen is not None and seen.lines_done == 3:
                break
            time.sleep(0.02)
        assert seen is not None and (seen.status, seen.lines_done) == ("running", 3)
    finally:
        release.set()
    assert _finished(engine, job.job_id).status == "failed"


def test_a_job_left_running_by_a_dead_process_reads_failed(engine: Engine) -> None:
    job_id = _left_behind(engine, _dead_pid())
    seen = _get(engine, job_id)
    assert seen is not None and seen.status == "failed"
    assert "uploaded again" in str(seen.errors[0]["reason"])
    with unit_of_work(engine) as s:
        stored = s.get(DeclarationJob, job_id)
    assert stored is not None and stored.status == "failed"


def test_a_job_left_running_by_an_earlier_server_with_this_pid_reads_failed(
        engine: Engine) -> None:
    # A restarted container's server often gets the same pid as the one that died.
    job_id = _left_behind(engine, os.getpid())
    seen = _get(engine, job_id)
    assert seen is not None and seen.status == "failed"


def test_a_job_running_in_another_live_process_reads_running(engine: Engine) -> None:
    job_id = _left_behind(engine, os.getppid())
    seen = _get(engine, job_id)
    assert seen is not None and (seen.status, seen.lines_done) == ("running", 7)


def test_a_job_whose_pid_a_live_process_took_reads_failed_once_it_stops_beating(
        engine: Engine) -> None:
    if engine.dialect.name == "sqlite":
        pytest.skip("no heartbeats on SQLite: the filing holds the only write lock")
    # The server died; a live process (this test's parent) has its pid now.
    job_id = _left_behind(engine, os.getppid())
    with unit_of_work(engine) as s:
        now = s.scalar(select(func.now()))
        s.execute(update(DeclarationJob).where(DeclarationJob.job_id == job_id).values(
            updated_at=now - timedelta(minutes=10)))
    seen = _get(engine, job_id)
    assert seen is not None and seen.status == "failed"


def _left_behind_elsewhere(engine: Engine, beat_ago: timedelta) -> str:
    """A job row of a server on another host, whose last heartbeat was ``beat_ago``."""
    job_id = _left_behind(engine, 4242)
    with unit_of_work(engine) as s:
        now = s.scalar(select(func.now()))
        s.execute(update(DeclarationJob).where(DeclarationJob.job_id == job_id).values(
            owner="another-host:4242", updated_at=now - beat_ago))
    return job_id


def test_a_job_of_another_host_that_stopped_beating_reads_failed(engine: Engine) -> None:
    if engine.dialect.name == "sqlite":
        pytest.skip("one host's file: no other host runs jobs on it")
    silent = _left_behind_elsewhere(engine, timedelta(minutes=10))
    beating = _left_behind_elsewhere(engine, timedelta(seconds=5))
    silent_now, beating_now = _get(engine, silent), _get(engine, beating)
    assert silent_now is not None and silent_now.status == "failed"
    assert beating_now is not None and beating_now.status == "running"


def test_on_sqlite_a_job_of_another_host_is_left_as_it_reads(engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL judges other hosts by their heartbeats")
    seen = _get(engine, _left_behind_elsewhere(engine, timedelta(hours=1)))
    assert seen is not None and seen.status == "running"


def test_a_running_job_beats_while_its_filing_runs(
        engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    if engine.dialect.name == "sqlite":
        pytest.skip("the filing holds SQLite's only write lock: nothing can beat")
    release = threading.Event()

    def slow_filing(**_: Any) -> dict[str, Any]:
        release.wait(timeout=10)
        raise RuntimeError("not filed")

    monkeypatch.setattr(jobs, "declare", slow_filing)
    monkeypatch.setattr(jobs, "HEARTBEAT_SECONDS", 0.05)
    job = _start(engine, b"personal_id\n")
    try:
        for _ in range(100):  # from "running" on, only the heartbeat writes the row
            with unit_of_work(engine) as s:
                first = s.get(DeclarationJob, job.job_id)
                assert first is not None
                status, started = first.status, first.updated_at
            if status == "running":
                break
            time.sleep(0.01)
        time.sleep(0.5)
        with unit_of_work(engine) as s:
            later = s.get(DeclarationJob, job.job_id)
            assert later is not None and later.updated_at > started
    finally:
        release.set()
    assert _finished(engine, job.job_id).status == "failed"


def test_a_dead_jobs_upload_is_removed_when_it_is_found_dead(engine: Engine) -> None:
    job_id = _left_behind(engine, _dead_pid())
    jobs.SPOOL_DIR.mkdir(mode=0o700, exist_ok=True)
    spool = jobs.SPOOL_DIR / f"{job_id}.csv"
    spool.write_bytes(b"personal_id\n")
    seen = _get(engine, job_id)
    assert seen is not None and seen.status == "failed" and not spool.exists()


def test_finished_jobs_are_forgotten_after_a_month_unfinished_ones_never(
        engine: Engine) -> None:
    old_done, old_running, new_done = (_left_behind(engine, os.getppid()) for _ in range(3))
    with unit_of_work(engine) as s:
        now = s.scalar(select(func.now()))
        for job_id, status, age in ((old_done, "accepted", 31), (old_running, "running", 31),
                                    (new_done, "refused", 29)):
            s.execute(update(DeclarationJob).where(DeclarationJob.job_id == job_id).values(
                status=status, updated_at=now - timedelta(days=age)))
    workers = setup_workers(engine, 1)
    _finished(engine, _start(engine, csv_of([(workers[0], "TM", 8_000_000, "2026-01")])).job_id)
    with unit_of_work(engine) as s:
        kept = set(s.scalars(select(DeclarationJob.job_id)))
    assert old_done not in kept and {old_running, new_done} <= kept
