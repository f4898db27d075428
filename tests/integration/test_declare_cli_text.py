"""`sibook declare` without `--json`: what an employer's clerk reads at the console, in words
(the counts per case code, the HI cards issued), and a filing sent again saying that the counts
it shows are its first filing's, not changes made now."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from sibook.cli.main import app
from tests.integration.ledger_fixtures import EMPLOYER, cli_store, csv_of, worker_id


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    yield from cli_store(tmp_path, monkeypatch)


def test_the_answer_reads_in_words_and_a_replay_says_its_counts_are_the_first_filings(
        store: Engine, tmp_path: Path) -> None:
    path = tmp_path / "d02.csv"
    path.write_bytes(csv_of([(worker_id(0), "TM", 9_000_000, "2026-01")]))
    args = ["declare", str(path), "--employer", EMPLOYER, "--month", "2026-01"]

    first = CliRunner().invoke(app, args)
    assert first.exit_code == 0, first.output
    lines = first.stdout.splitlines()
    assert lines[0].endswith("(batch 1): accepted")
    assert lines[1] == "1 line (TM 1); periods opened 1, closed 0; HI cards issued 1"

    again = CliRunner().invoke(app, args)
    assert again.exit_code == 0, again.output
    lines = again.stdout.splitlines()
    assert lines[0].endswith("(batch 1): already filed; nothing changed")
    assert lines[1] == (
        "when first filed: 1 line (TM 1); periods opened 1, closed 0; HI cards issued 1")
