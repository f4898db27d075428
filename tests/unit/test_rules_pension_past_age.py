"""Law 41/2024 Art 68(2) (FACTS §4.1): the months of SI that earn 2 average salaries a year
above the maximum rate's, counted by one function for the settlement and the estimate: those
paid after the retirement age up to the pension's start, by someone who had the years a pension
needs when reaching the age."""

from __future__ import annotations

from decimal import Decimal

from sibook.core.period import Period
from sibook.rules import pension
from sibook.rules.pension import months_past_retirement_age

REACHED = Period(2025, 11)  # the month the age is reached: retired at its end
STARTS = Period(2026, 7)  # the pension's first month
ON = Period(2026, 7)
AVERAGE = 10_000_000


def paid(first: Period, last: Period) -> list[Period]:
    return [Period.from_index(i) for i in range(first.index, last.index + 1)]


def past_age(months: list[Period], starts: Period = STARTS, paid_out: int = 0,
             on: Period = ON) -> int:
    return months_past_retirement_age(paid=months, reached=REACHED, starts=starts, on=on,
                                      paid_out=paid_out)


def test_a_woman_with_15_years_exactly_when_reaching_the_age_counts_the_months_after_it() -> None:
    # 2010-12 to 2025-11: the 180th month is the month the age is reached.
    assert past_age(paid(Period(2010, 12), Period(2026, 6))) == 7


def test_a_woman_who_had_the_15_years_a_month_after_the_age_earns_nothing_under_68_2() -> None:
    # 2011-01 to 2025-11: 179 months by the age; the 180th is paid in 2025-12.
    assert past_age(paid(Period(2011, 1), Period(2026, 6))) == 0


def test_under_the_law_before_july_2025_the_years_needed_were_20() -> None:
    """Law 58/2014 Art 54: 20 years gave a pension to 2025-06; 15 from 2025-07 (Art 64)."""
    fifteen = paid(Period(2010, 12), Period(2026, 6))
    assert past_age(fifteen, on=Period(2025, 7)) == 7
    assert past_age(fifteen, on=Period(2025, 6)) == 0
    assert past_age(paid(Period(2005, 12), Period(2026, 6)), on=Period(2025, 6)) == 7


def test_months_from_the_pensions_start_on_do_not_count() -> None:
    assert past_age(paid(Period(2000, 1), Period(2026, 12))) == 7


def test_the_month_the_age_is_reached_is_not_past_it() -> None:
    assert past_age(paid(Period(2000, 1), REACHED)) == 0
    assert past_age(paid(Period(2000, 1), REACHED + 1)) == 1


def test_a_pension_from_the_month_after_the_age_or_earlier_has_no_months_past_it() -> None:
    months = paid(Period(2000, 1), Period(2026, 6))
    assert past_age(months, starts=REACHED + 1) == 0
    assert past_age(months, starts=REACHED - 12) == 0


def test_a_month_paid_by_two_employers_counts_once() -> None:
    months = paid(Period(2010, 12), Period(2026, 6))
    assert past_age(months + paid(Period(2026, 1), Period(2026, 3))) == 7
    # Nor does a second job make up for a month missing before the age.
    short = paid(Period(2011, 1), Period(2026, 6))
    assert past_age(short + paid(Period(2020, 1), Period(2020, 1))) == 0


def test_months_a_withdrawal_paid_out_do_not_count_towards_the_years() -> None:
    months = paid(Period(2010, 2), Period(2026, 6))  # 190 months by the age
    assert past_age(months, paid_out=10) == 7
    assert past_age(months, paid_out=11) == 0


def test_odd_months_past_the_age_earn_the_larger_sum_as_the_odd_months_count() -> None:
    """30 years by the age (75% reached) and 7 months after it: 367 months count 31 years, so
    one year above 30, paid after the age, at 2 average salaries; had the woman qualified only
    later, the same year would earn 0.5 of one."""
    months = paid(Period(1995, 12), Period(2026, 6))
    late = past_age(months)
    assert (len(months), late) == (367, 7)
    result = pension(sex="female", contribution_months=367, on=ON, average_salary=AVERAGE,
                     months_past_retirement_age=late)
    assert result.extra_lump_sum == 2 * AVERAGE
    assert pension(sex="female", contribution_months=367, on=ON, average_salary=AVERAGE
                   ).extra_lump_sum == AVERAGE // 2


def test_three_odd_months_past_the_age_count_half_a_year_at_the_larger_rate() -> None:
    months = paid(Period(1995, 12), Period(2026, 2))  # 360 by the age, 3 after
    late = past_age(months)
    assert late == 3
    result = pension(sex="female", contribution_months=len(months), on=ON,
                     average_salary=AVERAGE, months_past_retirement_age=late)
    assert result.extra_lump_sum == int(2 * AVERAGE * Decimal("0.5"))
