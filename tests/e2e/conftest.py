"""Fixtures shared by the end-to-end suites."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from sibook.access import ratelimit
from sibook.access.settings import get_access_settings
from sibook.core.config import get_settings
from tests.integration.ledger_fixtures import setup_workers


@pytest.fixture
def postgres(engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
             ) -> Iterator[Engine]:
    """``engine`` on PostgreSQL (on SQLite the test is skipped: it serialises writers itself),
    configured as the CLI's and the API's database (the test's own schema), with a keys folder
    of the test's own."""
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite serialises writers itself")
    with engine.connect() as conn:
        schema = conn.execute(text("SELECT current_schema()")).scalar_one()
    url = engine.url.update_query_dict({"options": f"-csearch_path={schema}"})
    monkeypatch.setenv("SIBOOK_DATABASE_URL", url.render_as_string(hide_password=False))
    monkeypatch.setenv("SIBOOK_KEYS_DIR", str(tmp_path / "keys"))
    get_settings.cache_clear()
    get_access_settings.cache_clear()
    ratelimit.reset()
    yield engine
    monkeypatch.undo()
    get_settings.cache_clear()
    get_access_settings.cache_clear()


@pytest.fixture
def configured(engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
               ) -> Iterator[Engine]:
    """``engine`` with an employer and one worker, the CLI's and the API's database."""
    url = engine.url
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            schema = conn.execute(text("SELECT current_schema()")).scalar_one()
        url = url.update_query_dict({"options": f"-csearch_path={schema}"})
    monkeypatch.setenv("SIBOOK_DATABASE_URL", url.render_as_string(hide_password=False))
    monkeypatch.setenv("SIBOOK_KEYS_DIR", str(tmp_path / "keys"))
    get_settings.cache_clear()
    get_access_settings.cache_clear()
    ratelimit.reset()
    setup_workers(engine, 1)
    yield engine
    monkeypatch.undo()
    get_settings.cache_clear()
    get_access_settings.cache_clear()
