"""Every ``sibook`` command starts by importing the CLI, and each command's module loads only
when it runs: ``ids`` and ``rules`` answer in a fraction of a second, without the database,
web, bulk, signing or PDF libraries (~0.7 s together)."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("fastapi", "sqlalchemy", "alembic", "polars", "cryptography", "fpdf", "pyhanko",
         "segno", "PIL")


def _loaded_after(code: str) -> list[str]:
    probe = (f"import json, sys\n{code}\n"
             f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))")
    run = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 0, run.stderr
    loaded: list[str] = json.loads(run.stdout.strip().splitlines()[-1])
    return loaded


def test_starting_the_cli_loads_none_of_the_heavy_libraries() -> None:
    assert _loaded_after("import sibook.cli.main") == []


def test_ids_and_rules_run_without_the_heavy_libraries() -> None:
    for argv in (["ids", "inspect", "001089012345", "--json"],
                 ["rules", "contribution", "--month", "2026-01", "--salary", "10000000",
                  "--region", "I", "--json"]):
        code = ("from sibook.cli.main import main\n"
                f"sys.argv = ['sibook', *{argv!r}]\n"
                "try:\n    main()\nexcept SystemExit as exit_:\n    assert exit_.code == 0\n")
        assert _loaded_after(code) == [], argv


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
