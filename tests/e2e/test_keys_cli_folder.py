"""``sibook keys ...`` on a keys folder open to other accounts: the command says on stderr, once,
that it made the folder owner-only; refuses (exit 1) one it cannot, naming the folder."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

SIBOOK = [sys.executable, "-m", "sibook.cli.main"]


def _sibook(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SIBOOK_DATABASE_URL": f"sqlite:///{tmp_path / 'sibook.db'}",
           "SIBOOK_KEYS_DIR": str(tmp_path / "keys")}
    env.pop("SIBOOK_KEY_PASSPHRASE", None)
    return subprocess.run([*SIBOOK, *args], capture_output=True, text=True, env=env,
                          timeout=120, cwd=tmp_path)


@pytest.fixture
def loose(tmp_path: Path) -> Path:
    assert _sibook(tmp_path, "keys", "init").returncode == 0
    folder = tmp_path / "keys"
    folder.chmod(0o755)
    (folder / "passphrase").chmod(0o644)
    return folder


def test_rotate_says_once_on_stderr_that_it_made_the_folder_owner_only(tmp_path: Path,
                                                                       loose: Path) -> None:
    first = _sibook(tmp_path, "keys", "rotate", "--realm", "civil", "--json")
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout)["rotated"]["generation"] == 2
    assert "was open to other accounts" in first.stderr and "passphrase (was 0644)" in first.stderr
    again = _sibook(tmp_path, "keys", "rotate", "--realm", "civil")
    assert again.returncode == 0 and again.stderr == ""


@pytest.mark.skipif(os.geteuid() != 0, reason="giving a folder away needs root")
def test_rotate_refuses_a_loose_folder_of_another_account(tmp_path: Path, loose: Path) -> None:
    os.chown(loose, 4242, 4242)
    result = _sibook(tmp_path, "keys", "rotate", "--realm", "civil", "--json")
    assert result.returncode == 1
    [error] = json.loads(result.stdout)["errors"]
    assert f"{loose} is open to other accounts and belongs to another account" in error["reason"]
    assert (loose / "passphrase").read_text().strip() not in result.stdout + result.stderr


def test_a_keys_folder_that_is_a_file_is_refused_naming_it(tmp_path: Path) -> None:
    """SIBOOK_KEYS_DIR naming a file (a slip in the unit file): a book export, which makes the
    keys on first use, exits 1 with the reason, not a traceback (``keys init``:
    tests/unit/test_signing_cli.py)."""
    (tmp_path / "keys").write_text("not a folder")
    assert _sibook(tmp_path, "persons", "register", "--personal-id", "001089012345", "--name",
                   "Nguyễn Văn An", "--birth-date", "1989-03-02", "--sex", "male"
                   ).returncode == 0
    result = _sibook(tmp_path, "book", "export", "001089012345", "--pdf",
                     str(tmp_path / "b.pdf"), "--json")
    assert result.returncode == 1, result.stderr
    [error] = json.loads(result.stdout)["errors"]
    assert f"the keys folder {tmp_path / 'keys'} (SIBOOK_KEYS_DIR) cannot be made: a file is " \
           "there" in error["reason"]
    assert "Traceback" not in result.stderr
