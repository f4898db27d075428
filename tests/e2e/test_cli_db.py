"""`sibook db upgrade` says where the database is, on one line, without the connection options
the project adds (JIT off, the lock wait) and without a password."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import make_url


@pytest.mark.postgres
def test_upgrade_names_the_database_plainly(pg_server: str, tmp_path: Path) -> None:
    url = make_url(pg_server).set(password="s3cret-not-shown")
    env = {**os.environ, "SIBOOK_DATABASE_URL": url.render_as_string(hide_password=False),
           "SIBOOK_KEYS_DIR": str(tmp_path / "keys"), "COLUMNS": "60"}
    done = subprocess.run([sys.executable, "-m", "sibook.cli.main", "db", "upgrade"],
                          capture_output=True, text=True, env=env, timeout=180, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "s3cret" not in done.stdout
    plain = url.set(query={}).render_as_string()  # the password masked: ***
    assert done.stdout == f"database at {plain} is at revision head\n"


def test_upgrade_to_a_revision_no_migration_has_names_it_and_exits_1(tmp_path: Path) -> None:
    env = {**os.environ, "SIBOOK_DATABASE_URL": f"sqlite:///{tmp_path / 'sibook.db'}",
           "SIBOOK_KEYS_DIR": str(tmp_path / "keys"), "COLUMNS": "200"}
    done = subprocess.run([sys.executable, "-m", "sibook.cli.main", "db", "upgrade", "00x9"],
                          capture_output=True, text=True, env=env, timeout=180, cwd=tmp_path)
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr == "error: REVISION: Can't locate revision identified by '00x9'\n"
