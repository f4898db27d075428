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
from sibook.core import migrate
from sibook.core.config import get_settings
from sibook.core.db import default_engine
from tests.integration.ledger_fixtures import EMPLOYER, setup_workers


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    monkeypatch.setenv("SIBOOK_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("SIBOOK_KEYS_DIR", str(tmp_path / "keys"))
    monkeypatch.setenv("COLUMNS", "200")
    get_settings.cache_clear()
    engine = default_engine()
    migrate.upgrade(engine)
    setup_workers(engine, 1)
    yield engine
    get_settings.cache_clear()


def test_the_table_names_the_day_it_is_the_ledger_of(store: Engine) -> None:
    runner = CliRunner()
    then = runner.invoke(app, ["ledger", "employer", EMPLOYER, "--as-of", "2026-01-15"])
    assert then.exit_code == 0, then.output
    assert f"Ledger of {EMPLOYER} as of 2026-01-15" in then.stdout
    now = runner.invoke(app, ["ledger", "employer", EMPLOYER])
    assert f"Ledger of {EMPLOYER} as of {date.today().isoformat()}" in now.stdout
