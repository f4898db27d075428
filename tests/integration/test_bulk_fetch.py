"""The bulk read path gives the same rows as SQLAlchemy, as plain tuples, on both backends."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import Engine, create_engine, select, text

from sibook.contributions.store import SIPeriod
from sibook.core.bulk import analyze, fetch, write
from tests.conftest import _fresh_postgres as _fresh


def test_fetch_returns_the_rows_sqlalchemy_returns(engine: Engine) -> None:
    rows = [(person, seq, 24_000 + seq, None if seq == 3 else 24_000 + seq, "compulsory",
             7, "Kỹ sư" if seq % 2 else None, 5_000_000 + seq, 0, 50)
            for person in range(1, 40) for seq in range(1, 4)]
    t = SIPeriod.__table__.c
    query = (select(t.person_id, t.seq, t.to_month, t.job_title)
             .where(t.person_id.in_([2, 3, 5, 8, 13, 21, 34, 99]), t.seq >= 2)
             .order_by(t.person_id, t.seq))
    with engine.begin() as conn:
        write(conn, "si_periods", ("person_id", "seq", "from_month", "to_month", "kind",
                                   "employer_id", "job_title", "salary_basis", "allowances",
                                   "occupational_rate_bp"), rows)
        got = fetch(conn, query)
        expected = [tuple(r) for r in conn.execute(query)]
    assert got == expected and len(got) == 14
    assert all(type(r) is tuple for r in got)


@pytest.mark.postgres
def test_statistics_are_refreshed_for_the_stores_tables_alone(pg_server: str) -> None:
    """A store in a schema of a shared database: the refresh after a bulk load takes its own
    tables, never another schema's (a bare ANALYZE waited on a table another session held)."""
    admin = create_engine(pg_server, isolation_level="AUTOCOMMIT")
    other = f"other_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{other}"'))
        conn.execute(text(f'CREATE TABLE "{other}".held (n int)'))
    holding = create_engine(pg_server)
    fresh = _fresh(pg_server)
    store = next(fresh)
    try:
        with holding.begin() as holder:
            holder.execute(text(f'LOCK TABLE "{other}".held IN ACCESS EXCLUSIVE MODE'))
            with store.begin() as conn:
                conn.execute(text("SET LOCAL lock_timeout = '3s'"))
                analyze(conn)
        with store.connect() as conn:
            analyzed = conn.execute(text(
                "SELECT count(*) FROM pg_stat_user_tables WHERE schemaname = current_schema() "
                "AND analyze_count + autoanalyze_count > 0")).scalar_one()
        assert analyzed > 0
    finally:
        next(fresh, None)  # its teardown: the store's schema dropped
        holding.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{other}" CASCADE'))
        admin.dispose()
