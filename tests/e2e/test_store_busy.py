"""A request that waits on a lock longer than SIBOOK_LOCK_WAIT_SECONDS is refused as busy (503,
retry later), on both stores, instead of a 500 or a wait without end."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text

from sibook.access import ratelimit
from sibook.access.settings import get_access_settings
from sibook.core.config import get_settings
from sibook.core.db import make_engine
from tests.integration.ledger_fixtures import EMPLOYER, csv_of, employer_filing, setup_workers


@pytest.fixture
def impatient(engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
              ) -> Iterator[Engine]:
    """A second engine on the same database that waits 0.3 s for a lock."""
    monkeypatch.setenv("SIBOOK_KEYS_DIR", str(tmp_path / "keys"))
    monkeypatch.setenv("SIBOOK_LOCK_WAIT_SECONDS", "0.3")
    get_settings.cache_clear()
    get_access_settings.cache_clear()
    ratelimit.reset()
    url = engine.url
    if engine.dialect.name == "postgresql":  # the test's own schema, as an option of the URL
        with engine.connect() as conn:
            schema = conn.execute(text("SELECT current_schema()")).scalar_one()
        url = url.update_query_dict({"options": f"-csearch_path={schema}"})
    waiting = make_engine(url.render_as_string(hide_password=False))
    yield waiting
    waiting.dispose()
    monkeypatch.undo()
    get_settings.cache_clear()
    get_access_settings.cache_clear()


def test_a_filing_behind_a_lock_held_past_the_wait_is_503(engine: Engine,
                                                          impatient: Engine) -> None:
    (an,) = setup_workers(engine, 1)
    filing = employer_filing(impatient)

    def file() -> Any:
        return filing(csv_of([(an, "TM", 9_000_000, "2026-01")]))

    with engine.begin() as holder:  # another filing of this employer, still running
        holder.execute(text("SELECT employer_id FROM employers WHERE code = :c FOR UPDATE"
                            if engine.dialect.name == "postgresql"
                            else "SELECT employer_id FROM employers WHERE code = :c"),
                       {"c": EMPLOYER})
        r = file()
    assert r.status_code == 503, r.text
    assert r.headers["Retry-After"] == "30"
    assert r.json()["errors"][0]["field"] == "database"
    # Nothing landed; once the lock is gone the same filing goes through.
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM declarations")).scalar() == 0
    assert file().status_code == 201
