"""Migrated SQLite files for tests: each test's database is a copy of one migrated once per
process. Running the migrations from scratch took ~0.3 s a test (~400 tests a backend); a copy
takes milliseconds and is the same file, as the migrations made it."""

from __future__ import annotations

import atexit
import functools
import shutil
import tempfile
from pathlib import Path

from sibook.core import migrate
from sibook.core.db import make_engine


@functools.cache
def _at_head() -> Path:
    folder = Path(tempfile.mkdtemp(prefix="sibook-head-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    path = folder / "head.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    engine.dispose()  # the last connection closed: the WAL is folded into the file, then gone
    return path


def migrated_sqlite(path: Path) -> str:
    """A SQLite database at ``path`` (none there yet) at the migrations' head; its URL."""
    if path.exists():
        raise FileExistsError(path)
    shutil.copyfile(_at_head(), path)
    return f"sqlite:///{path}"
