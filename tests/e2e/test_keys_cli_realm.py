"""``sibook keys ... --realm`` reads its value as every command's ``--realm`` does: a realm
that is none of the three is a usage error (exit 2) naming ``--realm``, before any key is read."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

SIBOOK = [sys.executable, "-m", "sibook.cli.main"]


@pytest.mark.parametrize("args", [
    ["keys", "rotate"], ["keys", "distrust", "--generation", "1"],
    ["keys", "refresh-revocations"], ["book", "history", "001089012345"],
])
def test_an_unknown_realm_is_a_usage_error_naming_the_flag(tmp_path: Path,
                                                          args: list[str]) -> None:
    env = {**os.environ, "SIBOOK_DATABASE_URL": f"sqlite:///{tmp_path / 'sibook.db'}",
           "SIBOOK_KEYS_DIR": str(tmp_path / "keys")}
    result = subprocess.run([*SIBOOK, *args, "--realm", "navy", "--json"], capture_output=True,
                            text=True, env=env, timeout=120, cwd=tmp_path)
    assert result.returncode == 2, result.stdout + result.stderr
    assert json.loads(result.stdout) == {"errors": [{
        "field": "--realm",
        "reason": "Invalid value for --realm: must be one of civil, defence, public_security, "
                  "got 'navy'"}]}
    assert not (tmp_path / "keys").exists()
