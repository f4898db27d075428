"""``sibook ledger employer CODE --as-of DAY`` read by a person: the table says which day's
ledger it is, as the JSON's ``as_of`` does (today's when no day is given)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from sibook.cli.main import app
from tests.integration.ledger_fixtures import EMPLOYER, cli_store


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    monkeypatch.setenv("COLUMNS", "200")
    yield from cli_store(tmp_path, monkeypatch)


def test_the_table_names_the_day_it_is_the_ledger_of(store: Engine) -> None:
    runner = CliRunner()
    then = runner.invoke(app, ["ledger", "employer", EMPLOYER, "--as-of", "2026-01-15"])
    assert then.exit_code == 0, then.output
    assert f"Ledger of {EMPLOYER} as of 2026-01-15" in then.stdout
    now = runner.invoke(app, ["ledger", "employer", EMPLOYER])
    assert f"Ledger of {EMPLOYER} as of {date.today().isoformat()}" in now.stdout
