"""D02-LT inputs as employers' programs write them (a review through the CLI and the upload):
each read as meant, or refused naming its row, column and why."""

from __future__ import annotations

import io
import json
import unicodedata
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import Engine, text
from typer.testing import CliRunner

from sibook.cli.main import app
from tests.integration.ledger_fixtures import (
    EMPLOYER,
    WORKER_NAMES,
    cli_store,
    employer_filing,
    setup_workers,
    snapshot,
)
from tests.integration.test_declaration_files import AN, xlsx_of
from tests.integration.test_declaration_xlsx_cells import sheet_replaced
from tests.integration.test_declarations import file

TITLE = "Trưởng phòng Kế toán"


def decomposed(words: str) -> str:
    """As a Mac's file or some keyboards write Vietnamese: e + combining marks."""
    return unicodedata.normalize("NFD", words)


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "json"])
def test_a_decomposed_name_matches_and_a_decomposed_job_title_is_stored_composed(
        engine: Engine, fmt: str) -> None:
    setup_workers(engine, 1)
    line = {"personal_id": AN, "full_name": decomposed(WORKER_NAMES[AN]), "case_code": "TM",
            "job_title": decomposed(TITLE), "salary": "9000000"}
    data = {"csv": (",".join(line) + "\n" + ",".join(line.values()) + "\n").encode(),
            "xlsx": xlsx_of([list(line), list(line.values())]),
            "json": json.dumps([line]).encode()}[fmt]
    assert decomposed(TITLE) != TITLE
    file(engine, data, f"d02.{fmt}")
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT job_title FROM si_periods")).scalar_one()
    assert stored == TITLE


def zip_of(name: str, body: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr(name, body)
    return out.getvalue()


def workbook_on_its_second_sheet() -> bytes:
    book = Workbook()
    book.create_sheet("D02").append(["personal_id", "case_code", "salary"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def workbook_of_one_huge_cell() -> bytes:
    """A few kilobytes that unpack to 20 MB: one cell's text (a bomb's, made small; Excel and
    openpyxl write at most 32,767 characters in a cell, other programs more)."""
    data = xlsx_of([["personal_id", "case_code", "job_title"], [AN, "TM", "HUGE"]])
    return sheet_replaced(data, "HUGE", "A" * 20_000_000)


HEAD = "personal_id,full_name,case_code,salary"
NAMED = f"{AN},{WORKER_NAMES[AN]}"
# (file name, content, the one problem: row, field as the API names it, start of the reason)
REFUSED = [
    ("d02.csv", b"", (None, "file", "the CSV is empty")),
    ("d02.csv", b"\xef\xbb\xbf", (None, "file", "the CSV is empty")),
    ("d02.xlsx", b"", (None, "file", "the XLSX file is empty")),
    ("d02.json", b"", (None, "file", "the JSON file is empty")),
    ("d02.json", f'[{{"personal_id": "{AN}", "case_code": "GH"}}, null]'.encode(),
     (2, "file", "is null, not an object of a line's keys and values")),
    ("d02.xlsx", zip_of("d02.csv", b"personal_id"),
     (None, "file", "the file is a ZIP archive but not an XLSX workbook")),
    ("d02.xlsx", workbook_on_its_second_sheet(),
     (None, "file", "the first sheet, Sheet, is empty: the list is read from the workbook's")),
    ("d02.xlsx", workbook_of_one_huge_cell(),
     (None, "file", "the workbook unpacks to 20,01")),
    ("d02", f"{HEAD}\n{NAMED},TM,9000000\n".encode(),
     (None, "file", "the file has a name with no extension: a declaration is a CSV")),
    ("d02.txt", f"{HEAD}\n{NAMED},TM,9000000\n".encode(),
     (None, "file", "the file has a name ending .txt: a declaration")),
    ("d02.csv", f"{HEAD}\n{NAMED},TM,1e7\n".encode(), (2, "salary", "must be a whole number")),
    ("d02.csv", f"{HEAD}\n{NAMED},TM,-9000000\n".encode(), (2, "salary", "must be more than 0")),
    ("d02.csv", f"{HEAD}\n{NAMED},TM,{'9' * 40}\n".encode(), (2, "salary", "above 10,000,000")),
    ("d02.csv", f"{HEAD},from_month\n{NAMED},TM,9000000,01/2026\n".encode(),
     (2, "from_month", "must be a month as YYYY-MM")),
    ("d02.csv", f"personal_id,full_name,salary\n{NAMED},9000000\n".encode(),
     (1, "case_code", "required column is missing")),
    ("d02.csv", f"{HEAD}\n{NAMED},TM,9000000\n{NAMED},TM,9000000\n".encode(),
     (3, "case_code", "the same person already has a line of this kind from this month on row 2")),
    ("d02.csv", f"{HEAD}\n{AN},{'A' * 1_000_000},TM,9000000\n".encode(),
     (2, "full_name", "longer than 120 characters")),
]
IDS = ["0-byte", "bom-only", "0-byte-xlsx", "0-byte-json", "json-null-line", "zip",
       "second-sheet", "zip-bomb", "no-extension",
       "txt", "1e7", "negative", "huge", "other-date", "missing-column", "same-line-twice",
       "huge-line"]


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    yield from cli_store(tmp_path, monkeypatch)


@pytest.mark.parametrize(("name", "data", "problem"), REFUSED, ids=IDS)
def test_the_command_refuses_a_bad_file_with_exit_1_changing_nothing(
        store: Engine, tmp_path: Path, name: str, data: bytes,
        problem: tuple[int | None, str, str]) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    before = snapshot(store)
    result = CliRunner().invoke(app, ["declare", str(path), "--employer", EMPLOYER,
                                      "--month", "2026-01", "--json"])
    assert result.exit_code == 1, result.output
    (error,) = json.loads(result.stdout)["errors"]
    row, field, reason = problem
    # the file as a whole is the argument FILE; a row's problem names the row
    cli_field = "FILE" if field == "file" and row is None else field
    assert (error.get("row"), error["field"]) == (row, cli_field)
    assert error["reason"].startswith(reason), error["reason"]
    assert snapshot(store) == before


@pytest.mark.parametrize(("name", "data", "problem"), REFUSED, ids=IDS)
def test_the_upload_refuses_a_bad_file_with_422_changing_nothing(
        engine: Engine, name: str, data: bytes, problem: tuple[int | None, str, str]) -> None:
    setup_workers(engine, 1)
    before = snapshot(engine)
    answer = employer_filing(engine)(data, name)
    assert answer.status_code == 422, answer.text
    (error,) = answer.json()["errors"]
    assert (error.get("row"), error["field"]) == problem[:2]
    assert error["reason"].startswith(problem[2]), error["reason"]
    assert snapshot(engine) == before
