"""The PostgreSQL settings a filing's session runs with: its sorts and its staged lines stay in
memory (a 100,000-line file's sorts spilled to disk at the default 4 MB of work_mem, and its
temporary tables went through the file system at the default 8 MB of temp_buffers)."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, text

from sibook.contributions import staging


@pytest.mark.postgres
@pytest.mark.parametrize("engine", ["postgresql"], indirect=True)
def test_a_filing_sorts_in_memory_and_only_in_its_own_transaction(engine: Engine) -> None:
    with engine.connect() as conn:
        default = conn.execute(text("SHOW work_mem")).scalar()
        conn.rollback()
        with conn.begin():
            staging.create(conn)
            assert conn.execute(text("SHOW work_mem")).scalar() == "64MB"
        assert conn.execute(text("SHOW work_mem")).scalar() == default  # SET LOCAL: gone


@pytest.mark.postgres
@pytest.mark.parametrize("engine", ["postgresql"], indirect=True)
def test_every_session_may_keep_its_temporary_tables_in_memory(engine: Engine) -> None:
    # Only before a session first uses a temporary table can it be raised: hence at connect.
    with engine.connect() as conn:
        assert conn.execute(text("SHOW temp_buffers")).scalar() == "64MB"
