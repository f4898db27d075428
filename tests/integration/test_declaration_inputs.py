"""D02-LT inputs as employers' programs write them (a review through the CLI and the upload):
each read as meant, or refused naming its row, column and why."""

from __future__ import annotations

import json
import unicodedata

import pytest
from sqlalchemy import Engine, text

from tests.integration.ledger_fixtures import WORKER_NAMES, setup_workers
from tests.integration.test_declaration_files import AN, xlsx_of
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
