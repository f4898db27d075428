"""Every ``sibook`` command starts by importing the CLI, and each command's module loads only
when it runs: ``ids`` and ``rules`` answer in a fraction of a second, without the database,
web, bulk, signing or PDF libraries (~0.7 s together)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

HEAVY = ("fastapi", "sqlalchemy", "alembic", "polars", "cryptography", "fpdf", "pyhanko",
         "segno", "PIL")


def _loaded_after(code: str, env: dict[str, str] | None = None) -> list[str]:
    probe = (f"import json, sys\n{code}\n"
             f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))")
    run = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         timeout=120, env=env)
    assert run.returncode == 0, run.stderr
    loaded: list[str] = json.loads(run.stdout.strip().splitlines()[-1])
    return loaded


def test_starting_the_cli_loads_none_of_the_heavy_libraries() -> None:
    assert _loaded_after("import sibook.cli.main") == []


def _running(argv: list[str], code: int = 0) -> str:
    return ("from sibook.cli.main import main\n"
            f"sys.argv = ['sibook', *{argv!r}]\n"
            f"try:\n    main()\nexcept SystemExit as exit_:\n    assert exit_.code == {code}\n")


def test_ids_and_rules_run_without_the_heavy_libraries() -> None:
    for argv in (["ids", "inspect", "001089012345", "--json"],
                 ["rules", "contribution", "--month", "2026-01", "--salary", "10000000",
                  "--region", "I", "--json"]):
        assert _loaded_after(_running(argv)) == [], argv


def test_a_command_on_a_current_database_loads_only_sqlalchemy(tmp_path: Path) -> None:
    """The schema check reads the revision without Alembic when the database is at head; a
    listing or a reading needs neither the web framework nor the bulk, signing or PDF
    libraries (a person nobody holds is refused, exit 1, after the same imports)."""
    from sibook.core import migrate
    from sibook.core.db import make_engine

    url = f"sqlite:///{tmp_path / 'sibook.db'}"
    migrate.upgrade(make_engine(url))
    env = {**os.environ, "SIBOOK_DATABASE_URL": url, "SIBOOK_KEYS_DIR": str(tmp_path / "keys")}
    for argv in (["persons", "list", "--limit", "1", "--json"], ["employers", "list", "--json"]):
        assert _loaded_after(_running(argv), env) == ["sqlalchemy"], argv
    for command in (["ledger", "show"], ["book", "show"], ["benefits", "list"],
                    ["visits", "list"]):
        argv = [*command, "001089012345", "--json"]
        assert _loaded_after(_running(argv, code=1), env) == ["sqlalchemy"], argv


def test_help_lists_every_command_and_each_one_loads() -> None:
    from typer.testing import CliRunner

    from sibook.cli.main import _COMMANDS, app

    result = CliRunner().invoke(app, ["--help"])
    assert result.exit_code == 0
    for name in _COMMANDS:
        assert name in result.output
        sub = CliRunner().invoke(app, [name, "--help"])
        assert sub.exit_code == 0, (name, sub.output)
        assert "Usage:" in sub.output
