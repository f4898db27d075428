"""A request (or a command) whose transaction PostgreSQL aborts as a deadlock's victim is run
again whole, upload and all, and answers as if nothing had happened: the client never sees the
503 (exit 1), and nothing of the aborted attempt (its filing, its access-log entry) is there
twice."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Annotated, Any

import pytest
from fastapi import Depends, FastAPI, Request, UploadFile
from fastapi.responses import JSONResponse
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session
from typer.testing import CliRunner, Result

from sibook.access.settings import get_access_settings
from sibook.api.retry import RetryAborted
from sibook.cli.main import app as cli
from sibook.core.db import unit_of_work
from tests.integration.ledger_fixtures import EMPLOYER, csv_of, employer_filing, setup_workers
from tests.integration.races import SERIALIZATION_FAILURE, until_one_waits


def _count(engine: Engine, sql: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text(sql)).scalar_one())


def _filed_through_a_deadlock(postgres: Engine, file: Callable[[bytes], Any]) -> Any:
    """The answer to a filing whose first attempt is a deadlock's victim."""
    (an,) = setup_workers(postgres, 1)
    answers: list[Any] = []
    filing = threading.Thread(
        target=lambda: answers.append(file(csv_of([(an, "TM", 9_000_000, "2026-01")]))))
    # Holds the access log's head, then (once the filing, holding its employer, waits on the
    # head to log the filing) asks for the employer: a deadlock. The filing, which waited
    # first, finds it (this side looks only after 10 s) and is its victim.
    with postgres.begin() as other:
        other.execute(text("SET LOCAL deadlock_timeout = '10s'"))
        other.execute(text("SELECT 1 FROM access_log_head FOR UPDATE"))
        filing.start()
        until_one_waits(postgres)
        other.execute(text("UPDATE employers SET name = 'Công ty TNHH Sổ Đỏ' WHERE code = :c"),
                      {"c": EMPLOYER})
    filing.join(60)
    (answer,) = answers
    return answer


def test_a_filing_that_deadlocks_with_another_transaction_is_filed_once(
        postgres: Engine) -> None:
    answer = _filed_through_a_deadlock(postgres, employer_filing(postgres))
    assert answer.status_code == 201, answer.text
    assert _count(postgres, "SELECT count(*) FROM declarations") == 1
    assert _count(postgres, "SELECT count(*) FROM employers "
                            "WHERE name = 'Công ty TNHH Sổ Đỏ'") == 1
    assert _count(postgres, "SELECT count(*) FROM access_log "
                            "WHERE route LIKE '%declarations%'") == 1


def test_a_filing_run_again_after_a_deadlock_counts_once_against_the_units_budget(
        postgres: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIBOOK_DECLARATION_RATE_PER_MINUTE", "2")
    get_access_settings.cache_clear()
    file = employer_filing(postgres)
    assert _filed_through_a_deadlock(postgres, file).status_code == 201
    other = csv_of([("001090999999", "GH", None, "2026-01")])
    again = file(other)  # the second filing of the minute: answered (batch 1 is filed)
    assert again.status_code == 422, again.text  # the batch taken, told with the file's problem
    assert [e["field"] for e in again.json()["errors"]] == ["batch", "case_code"]
    assert file(other).status_code == 429


def test_the_last_filing_of_a_units_budget_run_again_after_a_deadlock_is_filed(
        postgres: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """Its first attempt took the budget's last place: the attempt run again is the same
    request, not one over the budget (it was answered 429)."""
    monkeypatch.setenv("SIBOOK_DECLARATION_RATE_PER_MINUTE", "1")
    get_access_settings.cache_clear()
    answer = _filed_through_a_deadlock(postgres, employer_filing(postgres))
    assert answer.status_code == 201, answer.text
    assert _count(postgres, "SELECT count(*) FROM declarations") == 1


def test_a_command_filing_that_deadlocks_with_another_transaction_is_filed_once(
        postgres: Engine, tmp_path: Path) -> None:
    (an,) = setup_workers(postgres, 1)
    d02 = tmp_path / "d02.csv"
    d02.write_bytes(csv_of([(an, "TM", 9_000_000, "2026-01")]))
    logged = _count(postgres, "SELECT count(*) FROM access_log")
    answers: list[Result] = []
    filing = threading.Thread(target=lambda: answers.append(CliRunner().invoke(
        cli, ["declare", str(d02), "--employer", EMPLOYER, "--month", "2026-01", "--json"])))
    with postgres.begin() as other:  # as above: the command, waiting first, is the victim
        other.execute(text("SET LOCAL deadlock_timeout = '10s'"))
        other.execute(text("SELECT 1 FROM access_log_head FOR UPDATE"))
        filing.start()
        until_one_waits(postgres)
        other.execute(text("UPDATE employers SET name = 'Công ty TNHH Sổ Đỏ' WHERE code = :c"),
                      {"c": EMPLOYER})
    filing.join(60)
    assert [a.exit_code for a in answers] == [0], answers[0].output
    assert json.loads(answers[0].stdout)["accepted"] is True
    assert _count(postgres, "SELECT count(*) FROM declarations") == 1
    assert _count(postgres, "SELECT count(*) FROM access_log") == logged + 1


def _session(request: Request) -> Iterator[Session]:
    with unit_of_work(request.app.state.engine) as s:
        yield s


_Session = Annotated[Session, Depends(_session)]


def _uploads(engine: Engine, *, commit_first: bool) -> tuple[TestClient, list[int]]:
    """An app that stores each upload's size, its first attempt failing as a serialization
    failure (after committing a write of its own first, if ``commit_first``)."""
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE uploads (size int NOT NULL)"))
    attempts: list[int] = []
    app = FastAPI()
    app.state.engine = engine

    @app.post("/uploads")
    def upload(file: UploadFile, s: _Session) -> int:
        attempts.append(len(attempts) + 1)
        size = len(file.file.read())
        if commit_first:
            s.execute(text("INSERT INTO uploads VALUES (-1)"))
            s.commit()
        s.execute(text("INSERT INTO uploads VALUES (:n)"), {"n": size})
        if len(attempts) == 1:
            s.execute(text(SERIALIZATION_FAILURE))
        return size

    @app.exception_handler(OperationalError)
    async def busy(_: Request, exc: OperationalError) -> JSONResponse:
        return JSONResponse(status_code=503, content={"errors": [{"field": "database"}]})

    app.add_middleware(RetryAborted)
    return TestClient(app), attempts


def test_an_upload_read_to_its_end_is_read_again_whole_when_its_transaction_is_retried(
        postgres: Engine) -> None:
    client, attempts = _uploads(postgres, commit_first=False)
    data = bytes(range(256)) * (3 * 4096 + 7)  # 3 MB and more: kept in a file, not in memory
    answer = client.post("/uploads", files={"file": ("big.bin", data)})
    assert answer.status_code == 200, answer.text
    assert answer.json() == len(data)
    assert attempts == [1, 2]
    assert _count(postgres, f"SELECT count(*) FROM uploads WHERE size = {len(data)}") == 1


def test_a_request_that_committed_a_write_before_its_transaction_failed_is_not_retried(
        postgres: Engine) -> None:
    client, attempts = _uploads(postgres, commit_first=True)
    answer = client.post("/uploads", files={"file": ("small.txt", b"x")})
    assert answer.status_code == 503, answer.text
    assert attempts == [1]
    assert _count(postgres, "SELECT count(*) FROM uploads") == 1  # the committed -1 only
