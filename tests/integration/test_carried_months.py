"""Months carried over from before the ledger began (Decree 164/2025, from 2026-01): their dues
were settled outside it, so a filing that changes one posts its own change, never the month's
whole payroll again (a back-dated line once charged every worker of every month it reached)."""

from __future__ import annotations

from functools import partial

from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from sibook.contributions import closing, ledger
from sibook.contributions.declare import declare
from sibook.core.db import unit_of_work
from sibook.core.period import Period
from sibook.registry import reading as registry
from tests.integration.ledger_fixtures import EMPLOYER, csv_of, setup_workers

BEGAN = Period(2025, 7)  # the month the unit's ledger here began


def file(engine: Engine, rows: list[tuple[str, str, int | None, str]], month: Period,
         batch: int = 1) -> dict[str, int]:
    with unit_of_work(engine) as s:
        return declare(session=s, data=csv_of(rows), file_name="d.csv", employer_code=EMPLOYER,
                       month=month, batch_no=batch)["dues"]


def carry(s: Session, unit: int, personal_id: str) -> None:
    """The records carried over: the person has worked at the unit since 2024-01 on 10,000,000
    (a period, no ledger entry)."""
    s.execute(text("INSERT INTO si_periods (person_id, seq, from_month, kind, employer_id, "
                   "salary_basis, allowances, occupational_rate_bp) VALUES (:p, 1, :m, "
                   "'compulsory', :e, 10000000, 0, 50)"),
              {"p": registry.person_id_of(session=s, personal_id=personal_id),
               "m": Period(2024, 1).index, "e": unit})


def unit_with_history(engine: Engine, began: Period = BEGAN) -> list[str]:
    """Bình's carried period; the unit's ledger here begins in ``began`` (assessed without a
    list through 2026-02, as the seed's history posts months)."""
    an, binh = setup_workers(engine, 2)
    with unit_of_work(engine) as s:
        unit = registry.employer_by_code(session=s, code=EMPLOYER).employer_id
        carry(s, unit, binh)
        conn = s.connection()
        ledger.post(conn, ledger.assess(conn, list(ledger.months_to_assess(
            began, Period(2026, 2))), [unit]), None)
    return [an, binh]


def test_a_back_dated_line_into_carried_months_posts_its_own_dues_only(engine: Engine) -> None:
    """An taken on back to 2024-05: his own 3,200,000 (32% of 10,000,000) for each carried
    month, as for each month of the ledger; March, never assessed, falls due for both."""
    an, _ = unit_with_history(engine)
    dues = file(engine, [(an, "TM", 10_000_000, "2024-05")], Period(2026, 3))
    assert dues == {**{str(Period(2024, 5) + n): 3_200_000 for n in range(22)},
                    "2026-03": 6_400_000}  # before: 6,400,000 for each carried month too


def test_later_changes_to_carried_months_post_their_own_change_only(engine: Engine) -> None:
    """Then Bình's raise back to 2024-09 (2,000,000 more: 640,000 a month) and An's leaving
    from 2025-01 (3,200,000 less): each month moves by the change, the carried ones too."""
    an, binh = unit_with_history(engine)
    file(engine, [(an, "TM", 10_000_000, "2024-05")], Period(2026, 3))
    dues = file(engine, [(binh, "DC", 12_000_000, "2024-09"), (an, "GH", None, "2025-01")],
                Period(2026, 3), batch=2)
    assert dues == {**{str(Period(2024, 9) + n): 640_000 for n in range(4)},
                    **{str(Period(2025, 1) + n): -2_560_000 for n in range(15)}}
    with engine.connect() as conn:
        posted = dict(conn.execute(text(
            "SELECT period, sum(total) FROM ledger_entries GROUP BY period")).all())
    # What the ledger holds for a carried month is the changes filed since, never the payroll.
    assert posted[Period(2024, 8).index] == 3_200_000
    assert posted[Period(2024, 12).index] == 3_840_000
    assert posted[Period(2025, 6).index] == 640_000


def test_a_list_filed_late_for_a_carried_month_leaves_the_months_carried(engine: Engine
                                                                         ) -> None:
    """The unit's ledger here began in 2026-01; a list filed late for 2025-06 takes An on from
    then. Bình's raise back to 2025-08 filed after it adds 640,000 to each carried month, not
    his whole 3,840,000 again: the late list's month is not where the unit's ledger began."""
    an, binh = unit_with_history(engine, Period(2026, 1))
    assert file(engine, [(an, "TM", 10_000_000, "2025-06")], Period(2025, 6)) == {
        str(Period(2025, 6) + n): 3_200_000 for n in range(9)}
    dues = file(engine, [(binh, "DC", 12_000_000, "2025-08")], Period(2026, 3))
    assert dues == {**{str(Period(2025, 8) + n): 640_000 for n in range(7)},
                    "2026-03": 7_040_000}


def unit_never_assessed(engine: Engine) -> list[str]:
    """Bình's carried period (2024-01 on, 10,000,000) and no ledger entry of the unit yet."""
    an, binh = setup_workers(engine, 2)
    with unit_of_work(engine) as s:
        unit = registry.employer_by_code(session=s, code=EMPLOYER).employer_id
        carry(s, unit, binh)
    return [an, binh]


def test_a_first_list_filed_late_does_not_begin_the_ledger(engine: Engine) -> None:
    """A unit never assessed whose first list here is one filed late, for 2025-06, taking An on
    from then: the carried months owe An's dues alone, each of them to 2025-12 (nothing after
    assesses a month before 2026 again), never Bình's carried ones (6,400,000 for 2025-06, and
    for each month to 2025-12 once the unit filed 2026-03, where the list's month was taken as
    where the unit's ledger began)."""
    an, binh = unit_never_assessed(engine)
    assert file(engine, [(an, "TM", 10_000_000, "2025-06")], Period(2025, 6)) == {
        str(Period(2025, 6) + n): 3_200_000 for n in range(7)}
    dues = file(engine, [(binh, "DC", 12_000_000, "2026-03")], Period(2026, 3))
    assert dues == {"2026-01": 6_400_000, "2026-02": 6_400_000, "2026-03": 7_040_000}


def test_the_monthly_assessment_leaves_months_before_2026_to_filings(engine: Engine) -> None:
    """An, taken on by a late list for 2025-06, left from 2025-09: `ledger assess` then owes
    from 2026-01, not from the month after the list's last (Bình's carried 2025-09..12)."""
    an, _ = unit_never_assessed(engine)
    file(engine, [(an, "TM", 10_000_000, "2025-06")], Period(2025, 6))
    file(engine, [(an, "GH", None, "2025-09")], Period(2025, 9))
    assessed = closing.assess_through(partial(unit_of_work, engine), Period(2026, 2))
    assert (assessed.months, assessed.dues) == (2, 6_400_000)
