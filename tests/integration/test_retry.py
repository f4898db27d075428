"""A transaction PostgreSQL aborts as a deadlock's victim or a serialization failure is run
again whole, a few times at most, and never once it committed a write (which it would make
twice). SQLite serialises writers itself and has neither error."""

from __future__ import annotations

import io
import sys
import threading
import time

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from sibook.cli.output import console, print_json, retrying_said_once
from sibook.contributions import jobs
from sibook.core import retry
from sibook.core.db import unit_of_work
from sibook.core.period import Period
from tests.integration.ledger_fixtures import EMPLOYER, csv_of, setup_workers
from tests.integration.races import SERIALIZATION_FAILURE, until_one_waits


@pytest.fixture
def tally(engine: Engine) -> Engine:
    """``engine`` on PostgreSQL with a scratch table of two counters, both 0."""
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite serialises writers itself")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE tally (id int PRIMARY KEY, n int NOT NULL)"))
        conn.execute(text("INSERT INTO tally VALUES (1, 0), (2, 0)"))
    return engine


def _counts(engine: Engine) -> dict[int, int]:
    with engine.connect() as conn:
        return {i: n for i, n in conn.execute(text("SELECT id, n FROM tally"))}


def test_two_transactions_that_deadlock_both_complete_once(tally: Engine) -> None:
    both_hold_one = threading.Barrier(2, timeout=10)
    runs: list[str] = []
    failed: list[BaseException] = []

    def count(name: str, first: int, then: int) -> None:
        runs.append(name)
        with unit_of_work(tally) as s:
            s.execute(text("UPDATE tally SET n = n + 1 WHERE id = :i"), {"i": first})
            if runs.count(name) == 1:
                both_hold_one.wait()  # each holds its first counter and asks for the other's
            s.execute(text("UPDATE tally SET n = n + 1 WHERE id = :i"), {"i": then})

    def run(name: str, first: int, then: int) -> None:
        try:
            retry.retrying(lambda: count(name, first, then))
        except BaseException as exc:  # noqa: BLE001 - asserted below
            failed.append(exc)

    threads = [threading.Thread(target=run, args=("a", 1, 2)),
               threading.Thread(target=run, args=("b", 2, 1))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert failed == []
    assert sorted(runs) in (["a", "a", "b"], ["a", "b", "b"])  # the victim ran again, once
    assert _counts(tally) == {1: 2, 2: 2}  # each counted once by each: nothing doubled


def test_a_transaction_failing_so_every_time_is_given_up_after_the_last_attempt(
        tally: Engine) -> None:
    runs = 0

    def fail() -> None:
        nonlocal runs
        runs += 1
        with unit_of_work(tally) as s:
            s.execute(text("UPDATE tally SET n = n + 1 WHERE id = 1"))
            s.execute(text(SERIALIZATION_FAILURE))

    with pytest.raises(OperationalError) as failed:
        retry.retrying(fail)
    assert retry.retryable(failed.value)
    assert runs == retry.ATTEMPTS
    assert _counts(tally)[1] == 0


def test_work_that_committed_a_write_before_it_failed_is_not_run_again(tally: Engine) -> None:
    runs = 0

    def count_then_fail() -> None:
        nonlocal runs
        runs += 1
        with unit_of_work(tally) as s:
            s.execute(text("UPDATE tally SET n = n + 1 WHERE id = 1"))
        with unit_of_work(tally) as s:
            s.execute(text(SERIALIZATION_FAILURE))

    with pytest.raises(OperationalError):
        retry.retrying(count_then_fail)
    assert runs == 1
    assert _counts(tally)[1] == 1


def test_work_that_only_read_before_it_failed_is_run_again(tally: Engine) -> None:
    runs = 0

    def read_then_fail_once() -> int:
        nonlocal runs
        runs += 1
        with unit_of_work(tally) as s:  # committed, but it wrote nothing
            n = int(s.execute(text("SELECT n FROM tally WHERE id = 1")).scalar_one())
        with unit_of_work(tally) as s:
            s.execute(text("UPDATE tally SET n = n + 1 WHERE id = 1"))
            if runs == 1:
                s.execute(text(SERIALIZATION_FAILURE))
        return n

    assert retry.retrying(read_then_fail_once) == 0
    assert runs == 2
    assert _counts(tally)[1] == 1


def test_a_large_filing_whose_transaction_deadlocks_is_filed_once(tally: Engine) -> None:
    """A filing done as a background job (a large upload), run again from its spooled file
    when its transaction is a deadlock's victim, rather than ending 'failed'."""
    (an,) = setup_workers(tally, 1)

    def log(_ids: object, session: Session, _outcome: str, _detail: str) -> None:  # as the log does
        session.execute(text("UPDATE tally SET n = n + 1 WHERE id = 1"))

    # Holds what the job's log needs, then (once the job, holding its employer, waits on it)
    # asks for the employer: a deadlock, whose victim is the job (this side looks after 10 s).
    with tally.begin() as other:
        other.execute(text("SET LOCAL deadlock_timeout = '10s'"))
        other.execute(text("UPDATE tally SET n = n + 1 WHERE id = 1"))
        with unit_of_work(tally) as s:
            job = jobs.start(upload=io.BytesIO(csv_of([(an, "TM", 9_000_000, "2026-01")])),
                             file_name="d02.csv", employer_code=EMPLOYER,
                             month=Period(2026, 1), batch_no=1, session=s, log=log)
        until_one_waits(tally)
        other.execute(text("UPDATE employers SET name = 'Công ty TNHH Sổ Đỏ' WHERE code = :c"),
                      {"c": EMPLOYER})
    for _ in range(400):
        with unit_of_work(tally) as s:
            done = jobs.get(job.job_id, session=s)
        if done is not None and done.status not in ("queued", "running"):
            break
        time.sleep(0.05)
    assert done is not None and (done.status, done.errors) == ("accepted", [])
    with tally.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM declarations")).scalar_one() == 1
    assert _counts(tally)[1] == 2  # logged once by each


def test_a_command_run_again_prints_its_answer_once(
        tally: Engine, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A command (with --json) that printed its answer, then had its transaction fail as a
    serialization failure, is run again: what the first attempt printed is dropped, the
    second's shown."""
    monkeypatch.setattr(sys, "argv", ["sibook", "ledger", "show", "x", "--json"])
    runs = 0

    def list_then_fail_once() -> None:
        nonlocal runs
        runs += 1
        with unit_of_work(tally) as s:
            n = int(s.execute(text("SELECT n FROM tally WHERE id = 1")).scalar_one())
        print_json({"n": n, "run": runs})
        console.print(f"run {runs}")
        with unit_of_work(tally) as s:
            s.execute(text("UPDATE tally SET n = n + 1 WHERE id = 2"))
            if runs == 1:
                s.execute(text(SERIALIZATION_FAILURE))

    retrying_said_once(list_then_fail_once)
    assert runs == 2
    assert capsys.readouterr().out == '{"n": 0, "run": 2}\nrun 2\n'


def test_without_json_a_command_writes_to_stdout_as_it_goes(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Only a --json answer is held until its attempt ends: a person at a terminal sees the
    progress bar move (and ``serve`` its address) while the command runs."""
    monkeypatch.setattr(sys, "argv", ["sibook", "declare", "f.csv"])
    seen = sys.stdout
    assert retrying_said_once(lambda: sys.stdout) is seen
    monkeypatch.setattr(sys, "argv", ["sibook", "declare", "f.csv", "--json"])
    assert retrying_said_once(lambda: sys.stdout) is not seen
