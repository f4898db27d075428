"""Fixtures shared by the end-to-end suites."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from tests.integration.ledger_fixtures import setup_workers
from tests.servers import configured_for


@pytest.fixture
def postgres(engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
             ) -> Iterator[Engine]:
    """``engine`` on PostgreSQL (on SQLite the test is skipped: it serialises writers itself),
    configured as the CLI's and the API's database (the test's own schema), with a keys folder
    of the test's own."""
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite serialises writers itself")
    with configured_for(engine, tmp_path / "keys", monkeypatch):
        yield engine


@pytest.fixture
def configured(engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
               ) -> Iterator[Engine]:
    """``engine`` with an employer and one worker, the CLI's and the API's database."""
    with configured_for(engine, tmp_path / "keys", monkeypatch):
        setup_workers(engine, 1)
        yield engine
