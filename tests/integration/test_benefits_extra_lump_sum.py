"""Law 41/2024 Art 68 (FACTS §4.1), on SQLite and PostgreSQL: a pension settled for more years
of SI than give the maximum rate pays the extra lump sum once (the decision's ``amount``), the
sum the law's formulas give on the record at the decision, as the book's estimate and ``sibook
rules pension`` compute it; one settled for fewer pays none. The years paid past the retirement
age earn 2 average salaries each only for someone who had the 15 years when reaching it.

The test unit pays by the state's salary scale here (``STATE``): its workers' averages are
the last years' by the year SI started (Law 41/2024 Art 72(1)), as the figures below are."""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import replace
from datetime import date

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from sibook.benefits.domain import Claim, Decision, Regime
from sibook.book.estimate import estimate
from sibook.cli.rules import app as rules_app
from sibook.core.errors import ValidationError
from sibook.core.period import Period
from tests.integration.ledger_fixtures import setup_workers
from tests.integration.test_benefits import book_of, claim, count, older_worker, settle

PENSION = Claim(Regime.PENSION, "HS-HT-68", date(2025, 8, 1), date(2025, 9, 1))
DECIDED = date(2025, 8, 20)
# 9,000,000 a month, revalued for 2025 (Circular 01/2025 Table 1): the last 6 years for SI
# begun in 1995 (2019-07 to 2025-06), the last 5 for SI begun before (2020-07 to 2025-06).
AVERAGE_FROM_1995, AVERAGE_FROM_1990 = 9_615_000, 9_486_000
# The monthly pension is 75% of the average at 30 years or more (Law 41/2024 Art 66(1)).
MONTHLY_FROM_1995, MONTHLY_FROM_1990 = 7_211_250, 7_114_500

STATE = "state"  # the test unit's salary regime


def decision(amount: int | None, monthly: int = MONTHLY_FROM_1995) -> Decision:
    return Decision("settled", DECIDED, "68/QĐ", amount=amount, monthly_amount=monthly,
                    from_month=Period(2025, 9))


def refusal(engine: Engine, pid: str, amount: int | None,
            monthly: int = MONTHLY_FROM_1995) -> str:
    with pytest.raises(ValidationError) as refused:
        settle(engine, pid, PENSION.dossier_no, decision(amount, monthly))
    assert refused.value.problems[0].field == "amount"
    assert count(engine, "benefit_decisions") == 0
    return refused.value.problems[0].reason


def rules_command_answer(reason: str) -> int:
    """The extra lump sum of the ``sibook rules pension`` command a refusal names."""
    command = re.search(r"`sibook rules (pension [^`]*)`", reason)
    assert command is not None
    result = CliRunner().invoke(rules_app, [*shlex.split(command.group(1)), "--json"])
    assert result.exit_code == 0
    return int(json.loads(result.stdout)["extra_lump_sum"])


def test_a_woman_eligible_at_her_age_is_paid_2_averages_for_the_half_year_after_it(
        engine: Engine) -> None:
    """366 months count 30.5 years, half a year beyond the 30 that give 75%, in the 11 months
    she paid after reaching her age with 29 years 7 months of SI: 2 x 0.5 average salaries."""
    setup_workers(engine, 0, salary_regime=STATE)
    # Born March 1968: 56y4m, reached in 2024-07 (Decree 135/2020); SI 1995-01 to 2025-06.
    pid = older_worker(engine, born=date(1968, 3, 15), sex="female", since=Period(1995, 1))
    claim(engine, pid, PENSION)
    unpaid = refusal(engine, pid, None)
    assert unpaid.startswith("the extra lump sum of 9,615,000 VND is paid once")
    assert ("366 months of SI count on 2025-08-20: 0.5 years beyond the 30 that give the "
            "maximum rate (0.5 of them in the 11 months paid after the retirement age was "
            "reached in 2024-07, at the higher rate of Art 68(2))") in unpaid
    typed = refusal(engine, pid, 2_500_000)
    assert typed.startswith("2,500,000 VND is not the extra lump sum the record gives, "
                            "9,615,000 VND")
    assert rules_command_answer(typed) == AVERAGE_FROM_1995
    done = settle(engine, pid, PENSION.dossier_no, decision(AVERAGE_FROM_1995))
    assert (done["status"], done["decision"]["amount"]) == ("settled", AVERAGE_FROM_1995)


def test_the_estimate_on_the_day_of_the_decision_gives_the_sum_settled(engine: Engine) -> None:
    setup_workers(engine, 0, salary_regime=STATE)
    pid = older_worker(engine, born=date(1968, 3, 15), sex="female", since=Period(1995, 1))
    claim(engine, pid, PENSION)
    answer = estimate(book_of(engine, pid, as_of=DECIDED), Period.of(DECIDED))
    assert answer["pension"]["from_month"] == "2025-09"
    assert answer["pension"]["extra_lump_sum"] == AVERAGE_FROM_1995
    assert settle(engine, pid, PENSION.dossier_no, decision(AVERAGE_FROM_1995)
                  )["status"] == "settled"


def test_a_woman_with_15_years_only_after_her_age_is_paid_half_an_average_a_year(
        engine: Engine) -> None:
    """Born June 1945, 55 reached in 2000-06 with 10.5 years of SI (from 1990-01): the 426
    months to 2025-06 count 35.5 years, 5.5 beyond 30, paid after the age but by someone not
    yet eligible for a pension then, so at 0.5 average salaries each (Art 68(1)), not 2."""
    setup_workers(engine, 0, salary_regime=STATE)
    pid = older_worker(engine, born=date(1945, 6, 10), sex="female", since=Period(1990, 1))
    claim(engine, pid, PENSION)
    expected = AVERAGE_FROM_1990 * 11 // 4  # 0.5 x 5.5 = 2.75 average salaries
    at_twice = refusal(engine, pid, AVERAGE_FROM_1990 * 11, MONTHLY_FROM_1990)
    assert f"the extra lump sum the record gives, {expected:,} VND" in at_twice
    assert "Art 68(2)" not in at_twice and "--months-past-retirement-age 0" in at_twice
    assert rules_command_answer(at_twice) == expected
    assert settle(engine, pid, PENSION.dossier_no, decision(expected, MONTHLY_FROM_1990)
                  )["status"] == "settled"


def test_a_man_with_20_years_6_months_is_paid_no_extra_lump_sum(engine: Engine) -> None:
    setup_workers(engine, 0, salary_regime=STATE)
    pid = older_worker(engine)  # 246 months: 20.5 years, the maximum rate needs 35
    claim(engine, pid, PENSION)
    monthly = 4_551_413  # 46% of 9,894,375, the last 8 years' average for SI begun in 2005
    extra = refusal(engine, pid, 2_500_000, monthly)
    assert "no year beyond the 35 that give the maximum rate" in extra
    assert settle(engine, pid, PENSION.dossier_no, decision(None, monthly)
                  )["status"] == "settled"


def test_months_still_to_come_before_the_start_give_no_extra_lump_sum_until_paid(
        engine: Engine) -> None:
    """360 months to 2025-06 give 30 years, no more; a pension from November could reach 30
    years 2 months with the months to October, but none of them is paid at the decision."""
    setup_workers(engine, 0, salary_regime=STATE)
    pid = older_worker(engine, born=date(1968, 3, 15), sex="female", since=Period(1995, 7))
    later = Claim(Regime.PENSION, "HS-HT-69", date(2025, 8, 1), date(2025, 11, 1))
    claim(engine, pid, later)
    ahead = Decision("settled", DECIDED, "69/QĐ", amount=2_500_000, monthly_amount=7_211_250,
                     from_month=Period(2025, 11))
    with pytest.raises(ValidationError) as refused:
        settle(engine, pid, later.dossier_no, ahead)
    assert refused.value.problems[0].field == "amount"
    assert refused.value.problems[0].reason == (
        "360 months of SI count on 2025-08-20: no year beyond the 30 that give the maximum "
        "rate, so no extra lump sum is paid once (Law 41/2024/QH15 Art 68); at most 362 by the "
        "pension's start, but a month still to come counts only once paid: settle the pension "
        "then")
    assert settle(engine, pid, later.dossier_no, replace(ahead, amount=None)
                  )["status"] == "settled"
