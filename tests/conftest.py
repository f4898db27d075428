"""Shared fixtures: a migrated database on SQLite and, when reachable, on PostgreSQL."""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from sibook.core import migrate
from sibook.core.db import make_engine
from tests.databases import migrated_sqlite

# pytest-xdist's workers start with COLUMNS=80 and LINES=24 in their environment, which the
# CLI's Rich consoles (made when sibook.cli.output is imported) would keep as a fixed width: a
# test's monkeypatch.setenv("COLUMNS", ...) would then be ignored on a worker, though honoured
# in one process. Without them a worker's consoles read the width at print time, as there.
for _name in ("COLUMNS", "LINES"):
    os.environ.pop(_name, None)

# The PostgreSQL server tests use; .ci/run starts it. Each test session makes its own database.
PG_ADMIN_URL = os.environ.get(
    "SIBOOK_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


def _postgres_available() -> bool:
    try:
        eng = create_engine(PG_ADMIN_URL)
        with eng.connect():
            pass
        eng.dispose()
        return True
    except Exception:
        return False


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session; its URL."""
    if not _postgres_available():
        if os.environ.get("SIBOOK_REQUIRE_POSTGRES"):
            pytest.fail(f"PostgreSQL is required but unreachable at {PG_ADMIN_URL}")
        pytest.skip("PostgreSQL not reachable")
    name = f"sibook_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@contextmanager
def postgres_schema(base_url: str) -> Iterator[str]:
    """A schema of its own in the session database, empty, dropped after; the URL reaching
    it (what SIBOOK_DATABASE_URL names for a command run as a subprocess)."""
    schema = f"t_{uuid.uuid4().hex[:10]}"
    setup = create_engine(base_url, isolation_level="AUTOCOMMIT")
    with setup.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        # In the URL's options, which make_engine adds its own to (connect_args would replace
        # them: the tests would then run without the lock wait, the dead-client check, ...).
        yield make_url(base_url).update_query_dict(
            {"options": f"-csearch_path={schema}"}).render_as_string(hide_password=False)
    finally:
        with setup.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        setup.dispose()


def _fresh_postgres(base_url: str) -> Iterator[Engine]:
    """Each test gets its own schema in the session database, migrated from scratch; dropped
    after it, as a database-wide statement (the seed's ANALYZE) locks every schema there is."""
    with postgres_schema(base_url) as url:
        engine = make_engine(url)
        migrate.upgrade(engine)
        yield engine
        engine.dispose()


_SCRATCH = pytest.StashKey[Path]()


def pytest_configure(config: pytest.Config) -> None:
    """Keys, cached PDFs and the default database of this test process go to a folder of its
    own, whatever the shell says: a test that does not name its own would otherwise sign with,
    revoke in and cache beside the checkout's ./keys (or a developer's real SIBOOK_KEYS_DIR)."""
    scratch = Path(tempfile.mkdtemp(prefix="sibook-tests-"))
    config.stash[_SCRATCH] = scratch
    os.environ["SIBOOK_KEYS_DIR"] = str(scratch / "keys")
    os.environ["SIBOOK_DATABASE_URL"] = f"sqlite:///{scratch / 'sibook.db'}"


def pytest_unconfigure(config: pytest.Config) -> None:
    if (scratch := config.stash.get(_SCRATCH, None)) is not None:
        shutil.rmtree(scratch, ignore_errors=True)


BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


def _migrated(request: pytest.FixtureRequest, folder: Path) -> Iterator[Engine]:
    """A migrated, empty database on the backend the fixture's parameter names."""
    if request.param == "sqlite":
        eng = make_engine(migrated_sqlite(folder / "sibook.db"))
        yield eng
        eng.dispose()
    else:
        yield from _fresh_postgres(request.getfixturevalue("pg_server"))


@pytest.fixture(params=BACKENDS)
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A migrated, empty database on each backend."""
    yield from _migrated(request, tmp_path)


@pytest.fixture(scope="module", params=BACKENDS)
def module_engine(request: pytest.FixtureRequest,
                  tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """``engine`` shared by a module's tests: for data that is costly to make and only read."""
    yield from _migrated(request, tmp_path_factory.mktemp("module"))


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> None:
    """Each test starts with no requests counted (the limiter is per process, not per test)."""
    from sibook.access import ratelimit

    ratelimit.reset()
