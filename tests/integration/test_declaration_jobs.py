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
from typing import Any

import pytest
from sqlalchemy import Engine, text

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
    url = engine.url.render_as_string(hide_password=False)
    if engine.dialect.name == "sqlite":
        return make_engine(url)
    with engine.connect() as conn:  # each test has its own schema: the other process uses it
        schema = conn.execute(text("SELECT current_schema()")).scalar_one()
    return make_engine(url, connect_args={"options": f"-csearch_path={schema}"})


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
