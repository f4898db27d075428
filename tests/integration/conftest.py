"""Fixtures shared by the integration suites."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from sibook.book import issuing
from sibook.core.config import get_settings


@pytest.fixture
def agency(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[issuing.Agency]:
    """The configured agency of a fresh machine: its keys are made on first use."""
    monkeypatch.setenv("SIBOOK_KEYS_DIR", str(tmp_path / "keys"))
    monkeypatch.setenv("SIBOOK_KEY_PASSPHRASE", "test passphrase")
    get_settings.cache_clear()
    yield issuing.agency()
    get_settings.cache_clear()
