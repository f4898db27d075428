"""A pension settled by the law in force when it starts, on SQLite and PostgreSQL: the years of
SI it needs are 20 to June 2025 (Law 58/2014 Art 54) and 15 from July (Law 41/2024 Art 64; Art
5(7): a benefit is settled under the law in force when it is enjoyed), for the pension and for
a one-time withdrawal on ground a, counting a month paid at two employers once; and its
monthly amount is the rate the record's months give
times the book's revalued average salary (Art 66), as `sibook rules pension` computes it.

The test unit pays by the state's salary scale here (``STATE``): its workers' averages are
the last years' by the year SI started (Law 41/2024 Art 72(1)), as the figures below are."""

from __future__ import annotations

import json
import re
import shlex
from datetime import date

import pytest
from sqlalchemy import Engine, insert
from typer.testing import CliRunner

from sibook.benefits.domain import Claim, Decision, Regime
from sibook.cli.rules import app as rules_app
from sibook.core.db import unit_of_work
from sibook.core.errors import ValidationError
from sibook.core.period import Period
from sibook.core.schema import metadata
from sibook.registry import reading as registry
from tests.integration.ledger_fixtures import add_other_employer, setup_workers
from tests.integration.test_benefits import book_of, claim, count, older_worker, settle

# A man born in February 1964 reaches 61y3m in May 2025 (Decree 135/2020): a pension from June.
RETIRES_2025_05 = date(1964, 2, 15)
SINCE_2008 = Period(2008, 1)  # to 2025-06: 210 months, 17.5 years of SI

STATE = "state"  # the test unit's salary regime


def test_a_pension_from_june_2025_needed_20_years_and_one_from_july_15(engine: Engine) -> None:
    setup_workers(engine, 0, salary_regime=STATE)
    pid = older_worker(engine, born=RETIRES_2025_05, since=SINCE_2008)
    with pytest.raises(ValidationError) as june:
        claim(engine, pid, Claim(Regime.PENSION, "HS-HT-L1", date(2025, 5, 10),
                                 date(2025, 6, 1)))
    assert june.value.problems[0].field == "regime"
    assert ("at most 209 by the pension's start on 2025-06-01: a pension needs 20 years "
            "(240 months; Law 58/2014/QH13 Art 54(1))") in june.value.problems[0].reason
    july = claim(engine, pid, Claim(Regime.PENSION, "HS-HT-L2", date(2025, 5, 10),
                                    date(2025, 7, 1)))
    assert july["status"] == "claimed"


def test_a_withdrawal_at_retirement_age_is_for_under_20_years_to_june_2025_then_15(
        engine: Engine) -> None:
    """Art 70(1)(a): reached retirement age without the years a pension needs, those of the
    law in force when the withdrawal is claimed."""
    setup_workers(engine, 0, salary_regime=STATE)
    pid = older_worker(engine, born=RETIRES_2025_05, since=SINCE_2008, until=Period(2025, 5))
    june = claim(engine, pid, Claim(Regime.LUMP_SUM, "HS-LS-L1", date(2025, 6, 20),
                                    ground="retirement_age"))
    assert june["status"] == "claimed"
    with pytest.raises(ValidationError) as july:
        claim(engine, pid, Claim(Regime.LUMP_SUM, "HS-LS-L2", date(2025, 7, 2),
                                 ground="retirement_age"))
    assert july.value.problems[0].field == "ground"
    assert ("17.4 years of SI: at 15 or more a pension is due, not a one-time withdrawal"
            in july.value.problems[0].reason)


def test_a_monthly_pension_other_than_the_records_is_refused_naming_it(engine: Engine) -> None:
    """246 months (20.5 years: 46% for a man, Art 66(1)) and 9,000,000 a month from 2005,
    averaged over the last 8 years revalued for 2025: 9,894,375; 46% of it is 4,551,413. Any
    monthly amount was settled."""
    setup_workers(engine, 0, salary_regime=STATE)
    pid = older_worker(engine)
    claim(engine, pid, Claim(Regime.PENSION, "HS-HT-L3", date(2025, 8, 1), date(2025, 9, 1)))

    def paying(monthly: int) -> Decision:
        return Decision("settled", date(2025, 8, 20), "66/QĐ", monthly_amount=monthly,
                        from_month=Period(2025, 9))

    with pytest.raises(ValidationError) as typed:
        settle(engine, pid, "HS-HT-L3", paying(6_000_000))
    problem = typed.value.problems[0]
    assert problem.field == "monthly_amount"
    assert problem.reason.startswith(
        "6,000,000 VND a month is not the pension the record gives, 4,551,413 VND: 246 months "
        "of SI count on 2025-08-20 and the book's salary history averages 9,894,375 VND "
        "revalued; rate = 45% at 20 years + 2% x (20.5 - 20) years, at most 75% = 46%; "
        "monthly pension = 46% x 9,894,375 = 4,551,413 (Law 41/2024/QH15 Art 66(1), the "
        "average Law 41/2024/QH15 Art 72(1);")
    assert count(engine, "benefit_decisions") == 0
    command = re.search(r"`sibook rules (pension [^`]*)`", problem.reason)
    assert command is not None
    computed = CliRunner().invoke(rules_app, [*shlex.split(command.group(1)), "--json"])
    assert computed.exit_code == 0
    assert json.loads(computed.stdout)["monthly_pension"] == 4_551_413
    assert settle(engine, pid, "HS-HT-L3", paying(4_551_413))["status"] == "settled"


def test_a_month_paid_at_two_employers_is_one_month_towards_the_15_years(
        engine: Engine) -> None:
    """14 years at the test employer (2011-07 to 2025-06) and, in the first of them, a second
    contract at another: 180 months on the sheets, 168 of SI (Law 41/2024 Art 3(6), Art
    2(5)(a)). The book counted 180, 15 years, and the pension was received."""
    setup_workers(engine, 0, salary_regime=STATE)
    other = add_other_employer(engine)
    pid = older_worker(engine, since=Period(2011, 7))
    with unit_of_work(engine) as s:
        s.execute(insert(metadata.tables["si_periods"]).values(
            person_id=registry.person_id_of(session=s, personal_id=pid), seq=2,
            from_month=Period(2011, 7).index, to_month=Period(2012, 6).index,
            kind="compulsory", employer_id=registry.employer_by_code(session=s, code=other
                                                                     ).employer_id,
            salary_basis=5_000_000, allowances=0, occupational_rate_bp=50))
    book = book_of(engine, pid, as_of=date(2025, 8, 1))
    assert sum(row["months"] for row in book["sheets"]) == 180
    assert book["totals"]["si_months"] == 168
    with pytest.raises(ValidationError) as short:
        claim(engine, pid, Claim(Regime.PENSION, "HS-HT-L4", date(2025, 8, 1),
                                 date(2025, 9, 1)))
    assert ("168 months of SI count on 2025-08-01, at most 168 by the pension's start on "
            "2025-09-01: a pension needs 15 years") in short.value.problems[0].reason
