"""Months carried over from before the ledger began (Decree 164/2025, from 2026-01): their dues
were settled outside it, so a filing that changes one posts its own change, never the month's
whole payroll again (a back-dated line once charged every worker of every month it reached)."""

from __future__ import annotations

from sqlalchemy import Engine, text

from sibook.contributions import ledger
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


def unit_with_history(engine: Engine) -> list[str]:
    """Bình has worked at the unit since 2024-01 on 10,000,000, as the records carried over
    say (his period, no ledger entries); the unit's ledger here begins in 2025-07 (assessed
    without a list, as the seed's history and `ledger assess` post months)."""
    an, binh = setup_workers(engine, 2)
    with unit_of_work(engine) as s:
        unit = registry.employer_by_code(session=s, code=EMPLOYER).employer_id
        s.execute(text("INSERT INTO si_periods (person_id, seq, from_month, kind, employer_id, "
                       "salary_basis, allowances, occupational_rate_bp) VALUES (:p, 1, :m, "
                       "'compulsory', :e, 10000000, 0, 50)"),
                  {"p": registry.person_id_of(session=s, personal_id=binh),
                   "m": Period(2024, 1).index, "e": unit})
        conn = s.connection()
        ledger.post(conn, ledger.assess(conn, list(ledger.months_to_assess(
            BEGAN, Period(2026, 2))), [unit]), None)
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
