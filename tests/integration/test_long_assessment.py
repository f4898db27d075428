"""Dues assessed over many months at once, on both stores: a filing back-dated to the first
month a filing takes (the payment deadline's rows begin in 2020-01), and decades of months in
one assessment (SQLite once refused any assessment of more than 125 months: 'too many terms in
compound SELECT')."""

from __future__ import annotations

from sqlalchemy import Engine, text

from sibook.contributions import ledger
from sibook.contributions.declare import declare
from sibook.core.db import unit_of_work
from sibook.core.period import Period
from tests.integration.ledger_fixtures import EMPLOYER, csv_of, setup_workers


def _months_due(engine: Engine) -> list[tuple[int, int]]:
    with engine.connect() as conn:
        return [(int(m), int(t)) for m, t in conn.execute(text(
            "SELECT period, sum(total) FROM ledger_entries GROUP BY period ORDER BY period"))]


def test_a_filing_back_dated_six_years_assesses_every_month(engine: Engine) -> None:
    (an,) = setup_workers(engine, 1)
    with unit_of_work(engine) as s:
        declare(session=s, data=csv_of([(an, "TM", 10_000_000, "2020-01")]), file_name="d.csv",
                employer_code=EMPLOYER, month=Period(2026, 6))
    due = _months_due(engine)
    assert [m for m, _ in due] == [Period(2020, 1).index + n for n in range(78)]
    assert all(total > 0 for _, total in due)


def test_thirty_years_of_months_are_assessed_in_one_query(engine: Engine) -> None:
    (an,) = setup_workers(engine, 1)
    with unit_of_work(engine) as s:
        declare(session=s, data=csv_of([(an, "TM", 10_000_000, "2026-01")]), file_name="d.csv",
                employer_code=EMPLOYER, month=Period(2026, 1))
    months = list(ledger.months_to_assess(Period(2015, 1), Period(2044, 12)))
    with engine.connect() as conn:
        entries = ledger.assess(conn, months)
    assessed = [e["period"] for e in entries]
    # Nothing before the period began; each month after January 2026 (posted by the filing)
    # once, at the January dues while the caps stay above the salary.
    assert assessed == [Period(2026, 2).index + n for n in range(12 * 19 - 1)]
    january = _months_due(engine)[0][1]
    assert {e["total"] for e in entries if e["period"] < Period(2027, 1).index} == {january}
