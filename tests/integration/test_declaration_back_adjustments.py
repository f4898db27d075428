"""A salary adjustment (DC) from a month before the worker's open period began, on SQLite and
PostgreSQL: the closed period covering the month is cut and re-priced up to the next change of
pay on file, the ledger corrects the months by new entries, the book shows them, and a refused
or repeated filing changes nothing."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import Engine, text

from sibook.book import service as book_service
from sibook.contributions.declare import declare
from sibook.core.db import unit_of_work
from sibook.core.errors import ValidationError
from sibook.core.period import Period
from sibook.registry import reading
from tests.integration.ledger_fixtures import (
    EMPLOYER,
    add_other_employer,
    csv_of,
    setup_workers,
    snapshot,
)

SEP, OCT, NOV = Period(2026, 9), Period(2026, 10), Period(2026, 11)
RATE = 32  # % of the basis both sides owe in region I (ledger_fixtures' employer)


def file(engine: Engine, rows: list[tuple[str, str, int | None, str]], month: Period,
         batch: int = 1) -> dict[str, object]:
    with unit_of_work(engine) as s:
        return declare(session=s, data=csv_of(rows), file_name="d02.csv",
                       employer_code=EMPLOYER, month=month, batch_no=batch)


def periods(engine: Engine, table: str = "si_periods") -> list[tuple[str, str | None, int]]:
    """(from, to, salary basis) of every period, in month order."""
    with engine.connect() as conn:
        rows = conn.execute(text(f"SELECT from_month, to_month, salary_basis FROM {table} "
                                 "ORDER BY from_month"))
        return [(str(Period.from_index(a)), None if b is None else str(Period.from_index(b)),
                 int(basis)) for a, b, basis in rows]


def entries(engine: Engine, month: Period) -> list[int]:
    with engine.connect() as conn:
        return [int(t) for t in conn.execute(text(
            "SELECT total FROM ledger_entries WHERE period = :p ORDER BY entry_no"),
            {"p": month.index}).scalars()]


@pytest.fixture
def raised_from_november(engine: Engine) -> str:
    """A worker taken on from September at 10,000,000, raised to 12,000,000 from November: the
    raise split the open period, September-October closed by it."""
    (an,) = setup_workers(engine, 1)
    file(engine, [(an, "TM", 10_000_000, "2026-09")], SEP)
    file(engine, [(an, "DC", 12_000_000, "2026-11")], NOV)
    assert periods(engine) == [("2026-09", "2026-10", 10_000_000), ("2026-11", None, 12_000_000)]
    return an


def test_october_corrected_after_novembers_raise_is_cut_out_and_repriced(
        engine: Engine, raised_from_november: str) -> None:
    an = raised_from_november
    result = file(engine, [(an, "DC", 11_000_000, "2026-10")], NOV, batch=2)
    # November's raise, filed before, is a later change of pay: it stays as filed.
    assert periods(engine) == [("2026-09", "2026-09", 10_000_000),
                               ("2026-10", "2026-10", 11_000_000),
                               ("2026-11", None, 12_000_000)]
    assert periods(engine, "ui_periods") == periods(engine)
    assert result["periods_closed"] == 1 and result["periods_opened"] == 1
    # October: 1,000,000 more x 32%, posted as a second entry; no other month changes.
    assert result["dues"] == {"2026-10": 1_000_000 * RATE // 100}
    assert entries(engine, OCT) == [10_000_000 * RATE // 100, 1_000_000 * RATE // 100]
    assert entries(engine, NOV) == [12_000_000 * RATE // 100]
    assert entries(engine, SEP) == [10_000_000 * RATE // 100]


def test_a_lower_pay_for_october_is_corrected_by_a_negative_entry(
        engine: Engine, raised_from_november: str) -> None:
    an = raised_from_november
    result = file(engine, [(an, "DC", 9_000_000, "2026-10")], OCT)
    assert result["dues"] == {"2026-10": -1_000_000 * RATE // 100}
    assert sum(entries(engine, OCT)) == 9_000_000 * RATE // 100


def test_an_adjustment_from_the_closed_periods_first_month_reprices_it_whole(
        engine: Engine, raised_from_november: str) -> None:
    an = raised_from_november
    result = file(engine, [(an, "DC", 10_500_000, "2026-09")], NOV, batch=2)
    assert periods(engine) == [("2026-09", "2026-10", 10_500_000), ("2026-11", None, 12_000_000)]
    assert periods(engine, "ui_periods") == periods(engine)
    assert result["periods_closed"] == 0 and result["periods_opened"] == 0
    assert result["dues"] == {"2026-09": 500_000 * RATE // 100, "2026-10": 500_000 * RATE // 100}


def test_the_book_shows_the_corrected_months(engine: Engine, raised_from_november: str) -> None:
    an = raised_from_november
    file(engine, [(an, "DC", 11_000_000, "2026-10")], NOV, batch=2)
    with unit_of_work(engine) as s:
        person_id = reading.person_id_of(session=s, personal_id=an)
        shown, _ = book_service.current_version(session=s, person_id=person_id,
                                                as_of=date.today())
    sheets = [(r["from"], r["to"], r["salary_basis"]) for r in shown.payload["sheets"]]
    assert sheets == [("2026-09", "2026-09", 10_000_000), ("2026-10", "2026-10", 11_000_000),
                      ("2026-11", None, 12_000_000)]


def test_the_correction_filed_again_answers_the_first_result_and_changes_nothing(
        engine: Engine, raised_from_november: str) -> None:
    an = raised_from_november
    first = file(engine, [(an, "DC", 11_000_000, "2026-10")], NOV, batch=2)
    before = snapshot(engine)
    again = file(engine, [(an, "DC", 11_000_000, "2026-10")], NOV, batch=2)
    assert again == {**first, "replayed": True}
    assert snapshot(engine) == before


def test_a_correction_with_a_refused_line_changes_nothing(
        engine: Engine, raised_from_november: str) -> None:
    an = raised_from_november
    before = snapshot(engine)
    with pytest.raises(ValidationError) as err:
        # October's correction is good; August was never insured with the employer.
        file(engine, [(an, "DC", 11_000_000, "2026-10"), (an, "DC", 11_000_000, "2026-08")],
             NOV, batch=2)
    # Rows count the header: August, taken first, is refused; October not judged after it.
    refused = {p.row: (p.field, p.reason) for p in err.value.problems}
    assert refused[3][0] == "from_month" and "no period with it covers 2026-08" in refused[3][1]
    assert refused[2][0] == "personal_id" and "row 3" in refused[2][1]
    assert snapshot(engine) == before


def test_two_corrections_in_one_list_each_keep_to_their_months(
        engine: Engine, raised_from_november: str) -> None:
    """September and October corrected in one list (the worker's lines taken in month
    order): each re-prices its month, up to the next change of pay on file."""
    an = raised_from_november
    file(engine, [(an, "DC", 11_000_000, "2026-10"), (an, "DC", 10_200_000, "2026-09")],
         NOV, batch=2)
    assert periods(engine) == [("2026-09", "2026-09", 10_200_000),
                               ("2026-10", "2026-10", 11_000_000),
                               ("2026-11", None, 12_000_000)]
    assert sum(entries(engine, SEP)) == 10_200_000 * RATE // 100
    assert sum(entries(engine, OCT)) == 11_000_000 * RATE // 100


def test_the_minimum_a_correction_must_meet_is_that_of_the_months_it_corrects(
        engine: Engine) -> None:
    """October 2025 corrected to 5,000,000, above 2025's region I minimum (4,960,000) but
    below 2026's (5,310,000): the correction covers 2025 only, the later pay on file the
    rest."""
    (an,) = setup_workers(engine, 1)
    file(engine, [(an, "TM", 6_000_000, "2025-09")], Period(2025, 9))
    file(engine, [(an, "DC", 7_000_000, "2026-01")], Period(2026, 1))
    file(engine, [(an, "DC", 5_000_000, "2025-10")], NOV)
    assert periods(engine) == [("2025-09", "2025-09", 6_000_000),
                               ("2025-10", "2025-12", 5_000_000),
                               ("2026-01", None, 7_000_000)]


def test_a_month_of_an_earlier_stint_is_corrected_and_the_gap_between_is_refused(
        engine: Engine) -> None:
    """Taken on from June, left from August (GH), taken on again from September: July's pay
    is corrected, the cut keeping the code that ended the stint; August, insured with no
    one, has no pay to correct."""
    (an,) = setup_workers(engine, 1)
    file(engine, [(an, "TM", 10_000_000, "2026-06")], Period(2026, 6))
    file(engine, [(an, "GH", None, "2026-08"), (an, "TM", 11_000_000, "2026-09")], SEP)
    file(engine, [(an, "DC", 10_400_000, "2026-07")], OCT)
    with engine.connect() as conn:
        ends = conn.execute(text("SELECT to_month, closed_by FROM si_periods "
                                 "ORDER BY from_month")).all()
    assert [tuple(e) for e in ends] == [(Period(2026, 6).index, "DC"),
                                        (Period(2026, 7).index, "GH"), (None, None)]
    assert periods(engine)[1] == ("2026-07", "2026-07", 10_400_000)
    with pytest.raises(ValidationError) as err:
        file(engine, [(an, "DC", 10_400_000, "2026-08")], OCT, batch=2)
    assert "no period with it covers 2026-08" in err.value.problems[0].reason


def test_a_former_workers_month_is_corrected_though_another_unit_employs_them_now(
        engine: Engine) -> None:
    """Left from October (GH), taken on by another unit from November: the employer still
    corrects September's pay, and a month after the worker left is refused as before, saying
    nothing of the other unit."""
    (an,) = setup_workers(engine, 1)
    other = add_other_employer(engine)
    file(engine, [(an, "TM", 10_000_000, "2026-08")], Period(2026, 8))
    file(engine, [(an, "GH", None, "2026-10")], OCT)
    with unit_of_work(engine) as s:
        declare(session=s, data=csv_of([(an, "TM", 9_000_000, "2026-11")]), file_name="d.csv",
                employer_code=other, month=NOV)
    result = file(engine, [(an, "DC", 10_300_000, "2026-09")], NOV)
    assert result["dues"] == {"2026-09": 300_000 * RATE // 100}
    assert periods(engine) == [("2026-08", "2026-08", 10_000_000),
                               ("2026-09", "2026-09", 10_300_000), ("2026-11", None, 9_000_000)]
    with pytest.raises(ValidationError) as err:
        file(engine, [(an, "DC", 10_300_000, "2026-10")], NOV, batch=2)
    (problem,) = err.value.problems
    assert (problem.field, problem.reason) == (
        "case_code", "decrease or adjustment without a prior increase: this person has no "
                     "open period with this employer")
