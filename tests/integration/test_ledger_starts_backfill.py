"""Migration 0028: each employer with ledger entries gets the start its entries and lists gave it
before (its first month assessed without a list, or the month of its first list received before
that was posted), so its ledger reads as it did; an employer with none gets no row."""

from __future__ import annotations

from datetime import UTC, datetime

from alembic import command
from sqlalchemy import Engine, insert, text

from sibook.core import migrate
from sibook.core.period import Period
from sibook.core.schema import metadata
from sibook.ids import make_enterprise_code

FUNDS = ("retirement_survivorship", "sickness_maternity", "occupational", "health",
         "unemployment")


def _employer(conn: object, number: int) -> int:
    return int(conn.execute(text(  # type: ignore[attr-defined]
        "INSERT INTO employers (code, name, province_code, region, occupational_rate_bp) "
        "VALUES (:code, 'Công ty', '01', 'I', 50) RETURNING employer_id"),
        {"code": make_enterprise_code(number, "01")}).scalar_one())


def _list(conn: object, employer_id: int, month: Period, received: datetime) -> int:
    return int(conn.execute(insert(metadata.tables["declarations"]).values(  # type: ignore[attr-defined]
        employer_id=employer_id, period=month.index, batch_no=1, content_hash="0" * 64,
        idempotency_key=f"{employer_id}-{month}", file_format="csv", lines=1, result="{}",
        received_at=received).returning(metadata.tables["declarations"].c.declaration_id)
    ).scalar_one())


def _entry(conn: object, employer_id: int, month: Period, posted: datetime,
           declaration_id: int | None = None) -> None:
    conn.execute(insert(metadata.tables["ledger_entries"]).values(  # type: ignore[attr-defined]
        period=month.index, employer_id=employer_id, entry_no=1, workers=1, total=100,
        declaration_id=declaration_id, posted_at=posted,
        **{f"{side}_{f}": 0 for side in ("er", "ee") for f in FUNDS}))


def test_each_employer_gets_the_start_it_had(engine: Engine) -> None:
    cfg = migrate.alembic_config(engine)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0027")
    march, june = datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 6, 1, tzinfo=UTC)
    with engine.begin() as conn:
        # Assessed without a list from 2025-07 in March; a list filed late for 2025-03 after.
        seeded = _employer(conn, 1)
        for month in (Period(2025, 7), Period(2025, 8)):
            _entry(conn, seeded, month, march)
        late = _list(conn, seeded, Period(2025, 3), june)
        _entry(conn, seeded, Period(2025, 3), june, late)
        # A list for 2025-06 received before its first months assessed without one.
        listed = _employer(conn, 2)
        _entry(conn, listed, Period(2025, 6), march, _list(conn, listed, Period(2025, 6), march))
        _entry(conn, listed, Period(2026, 1), june)
        # Only a list, for 2026-03.
        filed = _employer(conn, 3)
        _entry(conn, filed, Period(2026, 3), june, _list(conn, filed, Period(2026, 3), june))
        nothing = _employer(conn, 4)
    migrate.upgrade(engine)
    with engine.connect() as conn:
        starts = dict(conn.execute(text("SELECT employer_id, period FROM ledger_starts")).all())
    assert starts == {seeded: Period(2025, 7).index, listed: Period(2025, 6).index,
                      filed: Period(2026, 3).index}
    assert nothing not in starts
