"""``sibook book ...`` refusing an unknown person names the field as every command does
(``PERSONAL_ID``, the argument as its usage line names it, as ``ledger show`` and ``visits
list``), not a catch-all ``input``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sibook.cli.main import app
from sibook.core import migrate
from sibook.core.config import get_settings
from sibook.core.db import default_engine

UNKNOWN = "001089012345"


@pytest.fixture
def empty_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("SIBOOK_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("SIBOOK_KEYS_DIR", str(tmp_path / "keys"))
    get_settings.cache_clear()
    migrate.upgrade(default_engine())
    yield tmp_path
    get_settings.cache_clear()


@pytest.mark.parametrize("args", [
    ["book", "show", UNKNOWN], ["book", "history", UNKNOWN], ["book", "estimate", UNKNOWN],
    ["book", "export", UNKNOWN, "--pdf", "an.pdf"], ["book", "card", UNKNOWN, "--png", "an.png"],
    ["book", "revoke", UNKNOWN, "--version", "1", "--reason", "fraud"],
    ["book", "reinstate", UNKNOWN, "--version", "1"], ["ledger", "show", UNKNOWN],
])
def test_an_unknown_person_is_refused_by_field(empty_store: Path, args: list[str]) -> None:
    result = CliRunner().invoke(app, [*args, "--json"])
    assert result.exit_code == 1, result.output
    assert json.loads(result.stdout)["errors"] == [
        {"field": "PERSONAL_ID", "reason": f"no registered person {UNKNOWN}"}]
