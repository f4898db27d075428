"""``sibook audit verify``: exit 0 on an intact chain, 1 with the first bad seq on a broken one."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from sibook.access import audit
from sibook.cli.main import app
from sibook.core.config import get_settings
from sibook.core.db import default_engine, unit_of_work


def test_verify_finds_a_single_edited_row(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIBOOK_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        assert runner.invoke(app, ["audit", "verify", "--json"]).exit_code == 0
        engine = default_engine()
        for n in range(3):
            with unit_of_work(engine) as s:
                audit.append(session=s, access=audit.Access(
                    actor_kind="officer", actor_id="o1", action="person.read",
                    route="GET /api/v1/persons/{personal_id}", purpose="case", person_id=n))
        assert json.loads(runner.invoke(app, ["audit", "verify", "--json"]).stdout)["entries"] == 3
        with engine.begin() as conn:
            conn.execute(text("DROP TRIGGER access_log_no_update"))
            conn.execute(text("UPDATE access_log SET actor_id = 'someone' WHERE seq = 2"))
        result = runner.invoke(app, ["audit", "verify", "--json"])
        assert result.exit_code == 1
        assert json.loads(result.stdout)["first_bad_seq"] == 2
    finally:
        get_settings.cache_clear()
