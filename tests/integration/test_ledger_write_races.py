"""A unit's ledger written by two transactions at the same moment, on SQLite and PostgreSQL:
the monthly assessment, or a payment, while a filing of the unit lands. Each waits for the
filing (on PostgreSQL the unit's row, which each locks; on SQLite the one writer's lock, each
transaction beginning IMMEDIATE) and then reads what it posted, so no month is assessed twice
or left out, and the payment pays the filing's dues oldest first, never leaving its money as
credit beside a month unpaid."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from sibook.contributions import ledger
from sibook.contributions.closing import Assessed, assess_through
from sibook.contributions.declare import declare
from sibook.contributions.payments import post_payment
from sibook.core.db import unit_of_work
from sibook.core.period import Period
from tests.integration.ledger_fixtures import EMPLOYER, csv_of, setup_workers
from tests.integration.races import while_held

JANUARY, MARCH = Period(2026, 1), Period(2026, 3)


def _file(s: Session, rows: list[tuple[str, str, int | None, str]], month: Period) -> None:
    declare(session=s, data=csv_of(rows), file_name="d02.csv", employer_code=EMPLOYER,
            month=month)


def _taken_on_in_january(engine: Engine) -> list[str]:
    """Two workers; the first taken on from January, filed (and assessed) for January."""
    an, binh = setup_workers(engine, 2)
    with unit_of_work(engine) as s:
        _file(s, [(an, "TM", 9_000_000, "2026-01")], JANUARY)
    return [an, binh]


def _filing_march(binh: str) -> Callable[[Session], None]:
    """The March list taking the second worker on from February: it posts February and March
    for both workers, and applies the unit's money to them."""
    return lambda s: _file(s, [(binh, "TM", 12_000_000, "2026-02")], MARCH)


def _in_a_thread(work: Callable[[], object]) -> tuple[Callable[[], None], list[object]]:
    """``work`` to run on a thread, and (once run) what it returned or raised."""
    outcome: list[object] = []

    def run() -> None:
        try:
            outcome.append(work())
        except Exception as exc:  # noqa: BLE001 - asserted by the caller
            outcome.append(exc)
    return run, outcome


def _unit(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT employer_id FROM employers WHERE code = :c"),
                                {"c": EMPLOYER}).scalar_one())


def test_an_assessment_while_a_filing_lands_assesses_each_month_once(engine: Engine) -> None:
    """Read before the filing committed, the unit's months from February on were unassessed:
    the assessment reads them again under the unit's lock, so it assesses April alone (had it
    kept its first reading, it posted February and March again beside the filing's)."""
    _, binh = _taken_on_in_january(engine)
    second, outcome = _in_a_thread(
        lambda: assess_through(lambda: unit_of_work(engine), Period(2026, 4)))
    while_held(engine, _filing_march(binh), second)
    (done,) = outcome
    assert isinstance(done, Assessed), done
    assert (done.employers, done.months, done.entries) == (1, 1, 1)
    with engine.connect() as conn:
        # Posted once each: what the periods imply is what the ledger holds, month by month.
        months = list(ledger.months_to_assess(JANUARY, Period(2026, 4)))
        assert ledger.assess(conn, months, [_unit(engine)]) == []
        assert conn.execute(text("SELECT period, count(*) FROM ledger_entries GROUP BY period "
                                 "ORDER BY period")).all() == [(m.index, 1) for m in months]


def test_a_payment_posted_while_a_filing_lands_pays_its_dues_oldest_first(
        engine: Engine) -> None:
    """The payment covers January to March: it waits for the March list and pays its months
    too (had it read the dues before, it paid January alone and kept the rest as credit while
    February and March stayed unpaid)."""
    _, binh = _taken_on_in_january(engine)
    unit = _unit(engine)
    amount = 20_000_000  # the three months' dues (16,320,000) and some

    def paying() -> dict[str, object]:
        with unit_of_work(engine) as s:
            return post_payment(session=s, employer_code=EMPLOYER, amount=amount,
                                bank_reference="VCB-1", paid_on=date(2026, 3, 10))

    second, outcome = _in_a_thread(paying)
    while_held(engine, _filing_march(binh), second)
    (answer,) = outcome
    assert isinstance(answer, dict), answer
    with engine.connect() as conn:
        due = ledger.dues_by_month(conn, unit)
        paid = dict(conn.execute(text(
            "SELECT period, sum(amount) FROM payment_allocations GROUP BY period")).all())
        left = ledger.credit(conn, unit)
    assert sorted(due) == [m.index for m in ledger.months_to_assess(JANUARY, MARCH)]
    assert paid == due  # every month paid in full, none twice
    assert left == amount - sum(due.values())  # and only the rest kept as credit
    assert [a["month"] for a in answer["allocated"]] == ["2026-01", "2026-02", "2026-03"]
