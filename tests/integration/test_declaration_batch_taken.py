"""A batch filed before with other content: its refusal comes with the file's own problems in
one report, so the employer mends the file and picks the batch once, not one after the other."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from sibook.cli.main import app
from sibook.core.errors import ConflictError, Problem, ValidationError
from tests.integration.ledger_fixtures import (
    EMPLOYER,
    cli_store,
    csv_of,
    employer_filing,
    setup_workers,
    snapshot,
    worker_id,
)
from tests.integration.test_declaration_files import xlsx_of
from tests.integration.test_declarations import file

TAKEN = "batch 1 of 2026-01 was already filed by"


def refused(engine: Engine, data: bytes, name: str = "d02.csv") -> list[Problem]:
    before = snapshot(engine)
    with pytest.raises(ValidationError) as err:
        file(engine, data, name)
    assert snapshot(engine) == before
    return err.value.problems


def test_a_taken_batch_is_told_with_the_rows_the_file_gets_wrong(engine: Engine) -> None:
    a, b = setup_workers(engine, 2)
    file(engine, csv_of([(a, "TM", 8_000_000, "2026-01")]))
    problems = refused(engine, csv_of([(b, "TM", 1_000, "2026-01")]))
    assert [(p.row, p.field) for p in problems] == [(None, "batch"), (2, "salary")]
    assert problems[0].reason.startswith(TAKEN)
    assert problems[0].reason.endswith("file the changes as batch 2")


@pytest.mark.parametrize(("data", "name", "field"), [
    (b"personal_id,salary\n001089012345,9000000\n", "d02.csv", "case_code"),  # no column
    (xlsx_of([["personal_id", "case_code", "salary"], ["001089012345", "TM", "=9*1"]]),
     "d02.xlsx", "salary"),  # a formula never calculated
], ids=["csv-header", "xlsx-cell"])
def test_a_taken_batch_is_told_with_what_makes_the_file_unreadable(
        engine: Engine, data: bytes, name: str, field: str) -> None:
    (a,) = setup_workers(engine, 1)
    file(engine, csv_of([(a, "TM", 8_000_000, "2026-01")]))
    problems = refused(engine, data, name)
    assert [p.field for p in problems] == ["batch", field]
    assert problems[0].reason.startswith(TAKEN)


def test_a_good_file_in_a_taken_batch_is_still_the_conflict_alone(engine: Engine) -> None:
    a, b = setup_workers(engine, 2)
    file(engine, csv_of([(a, "TM", 8_000_000, "2026-01")]))
    before = snapshot(engine)
    with pytest.raises(ConflictError, match="as batch 2"):
        file(engine, csv_of([(b, "TM", 8_000_000, "2026-01")]))
    assert snapshot(engine) == before


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    yield from cli_store(tmp_path, monkeypatch)


def test_the_command_names_the_batch_by_its_flag_beside_the_rows(store: Engine,
                                                                  tmp_path: Path) -> None:
    a = worker_id(0)  # the one worker cli_store sets up
    first, second = tmp_path / "first.csv", tmp_path / "second.csv"
    first.write_bytes(csv_of([(a, "TM", 8_000_000, "2026-01")]))
    second.write_bytes(csv_of([(a, "DC", 1_000, "2026-01")]))
    runner = CliRunner()
    flags = ["--employer", EMPLOYER, "--month", "2026-01", "--json"]
    assert runner.invoke(app, ["declare", str(first), *flags]).exit_code == 0
    result = runner.invoke(app, ["declare", str(second), *flags])
    assert result.exit_code == 1, result.output
    errors = json.loads(result.stdout)["errors"]
    assert [(e.get("row"), e["field"]) for e in errors] == [(None, "--batch"), (2, "salary")]


def test_a_good_file_of_several_steps_in_a_taken_batch_keeps_none_of_them(engine: Engine
                                                                           ) -> None:
    """Its first steps are applied to check the later ones against: the upload's 409 must not
    commit them."""
    a, b = setup_workers(engine, 2)
    upload = employer_filing(engine)
    assert upload(csv_of([(a, "TM", 8_000_000, "2026-01")])).status_code == 201
    before = snapshot(engine)
    # b taken on from December, then on unpaid leave from January: two steps
    answer = upload(csv_of([(b, "TM", 8_000_000, "2025-12"), (b, "KL", None, "2026-01")]))
    assert answer.status_code == 409, answer.text
    (error,) = answer.json()["errors"]
    assert error["field"] == "batch" and error["reason"].startswith(TAKEN)
    assert snapshot(engine) == before
