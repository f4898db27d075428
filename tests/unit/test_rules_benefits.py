"""Lump sum, sickness, maternity, survivorship, unemployment and late interest: worked examples."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from sibook.core.errors import ValidationError
from sibook.core.period import Period
from sibook.rules import (
    childbirth_allowance,
    funeral_allowance,
    late_interest,
    maternity_leave_benefit,
    monthly_survivor_allowance,
    one_time_survivor_allowance,
    one_time_withdrawal,
    pensioner_survivor_allowance,
    sickness_benefit,
    unemployment_benefit,
)

JAN_2026 = Period(2026, 1)


def test_lump_sum_moves_odd_pre_2014_months_forward() -> None:
    result = one_time_withdrawal(months_before_2014=30, months_from_2014=40,
                                 average_salary=8_000_000, on=JAN_2026)
    # before 2014: 2 years (6 months move on); from 2014: 46 months = 3y10m -> 4 years
    # 8,000,000 x (1.5 x 2 + 2 x 4) = 8,000,000 x 11 = 88,000,000
    assert result.amount == 88_000_000


def test_lump_sum_under_the_2014_law_rounds_odd_months_as_its_circular_says() -> None:
    """Circular 59/2015 Art 19(4): 1..6 odd months count half a year, 7..11 a year (its own
    worked example: 2 years and 9 months count 3 years). Refused for 2020-01..2025-06 before."""
    thirty = one_time_withdrawal(months_before_2014=0, months_from_2014=30,
                                 average_salary=10_000_000, on=Period(2024, 5))
    assert thirty.amount == 10_000_000 * 2 * 5 // 2  # 2.5 years x 2 salaries
    thirty_three = one_time_withdrawal(months_before_2014=0, months_from_2014=33,
                                       average_salary=10_000_000, on=Period(2021, 6))
    assert thirty_three.amount == 10_000_000 * 2 * 3
    assert "Circular 59/2015/TT-BLDTBXH Art 19(4)" in thirty_three.explanation.sources


def test_lump_sum_under_a_year_refunds_contributions_capped_at_two_salaries() -> None:
    five = one_time_withdrawal(months_before_2014=0, months_from_2014=5,
                               average_salary=8_000_000, on=JAN_2026)
    # 22% x 8,000,000 x 5 = 8,800,000 (below the cap 2 x 8,000,000 = 16,000,000)
    assert five.amount == 8_800_000
    eleven = one_time_withdrawal(months_before_2014=0, months_from_2014=11,
                                 average_salary=8_000_000, on=JAN_2026)
    # 22% x 8,000,000 x 11 = 19,360,000 -> capped at 16,000,000
    assert eleven.amount == 16_000_000


def test_lump_sum_with_no_months_is_refused() -> None:
    with pytest.raises(ValidationError):
        one_time_withdrawal(months_before_2014=0, months_from_2014=0, average_salary=1,
                            on=JAN_2026)


def test_sickness_for_three_and_a_third_days() -> None:
    result = sickness_benefit(salary=7_200_000, days=Decimal("3.3"), years_contributed=10,
                              on=JAN_2026)
    # 3.3 days count as 3.5; 7,200,000 x 75% / 24 x 3.5 = 787,500
    assert result.amount == 787_500 and result.max_days_per_year == 30


def test_sickness_days_beyond_the_yearly_maximum_are_not_paid() -> None:
    result = sickness_benefit(salary=2_400_000, days=Decimal(60), years_contributed=16,
                              on=JAN_2026, heavy=True)
    # heavy work, 15..30 years: 50 days; 2,400,000 x 75% / 24 x 50 = 3,750,000
    assert result.max_days_per_year == 50 and result.amount == 3_750_000


def test_childbirth_allowance_for_twins_is_four_reference_levels() -> None:
    # 2 x 2,340,000 x 2 children = 9,360,000
    assert childbirth_allowance(month=JAN_2026, children=2).amount == 9_360_000


def test_childbirth_allowance_in_2020_used_the_base_salary_of_the_time() -> None:
    # 2 x 1,490,000 = 2,980,000
    assert childbirth_allowance(month=Period(2020, 3), children=1).amount == 2_980_000


def test_voluntary_mother_gets_2_million_per_child() -> None:
    assert childbirth_allowance(month=JAN_2026, children=1, voluntary=True).amount == 2_000_000


def test_maternity_leave_for_twins_is_seven_months() -> None:
    result = maternity_leave_benefit(month=JAN_2026, average_salary=9_000_000, children=2)
    # 6 + 1 months; 9,000,000 x 100% x 7 = 63,000,000
    assert result.months == 7 and result.amount == 63_000_000


def test_funeral_allowance_is_ten_reference_levels() -> None:
    assert funeral_allowance(month=JAN_2026).amount == 23_400_000  # 10 x 2,340,000


def test_monthly_survivor_allowance_for_three_relatives_one_without_carer() -> None:
    # 2 x 50% x 2,340,000 + 1 x 70% x 2,340,000 = 2,340,000 + 1,638,000 = 3,978,000
    result = monthly_survivor_allowance(month=JAN_2026, relatives=3, without_carer=1)
    assert result.amount == 3_978_000


def test_more_than_four_relatives_is_refused() -> None:
    with pytest.raises(ValidationError, match="relatives"):
        monthly_survivor_allowance(month=JAN_2026, relatives=5)


def test_one_time_survivor_allowance_is_at_least_three_salaries() -> None:
    result = one_time_survivor_allowance(month=JAN_2026, months_before_2014=0,
                                         months_from_2014=10, average_salary=5_000_000)
    # 10 months -> 1 year x 2 x 5,000,000 = 10,000,000 < 3 x 5,000,000 = 15,000,000
    assert result.amount == 15_000_000


def test_pensioner_dying_in_the_tenth_month() -> None:
    result = pensioner_survivor_allowance(month=JAN_2026, pension=6_000_000, months_received=10)
    # 48 - 0.5 x (10 - 2) = 44 pensions x 6,000,000 = 264,000,000
    assert result.amount == 264_000_000


def test_unemployment_is_capped_at_five_regional_minimums() -> None:
    result = unemployment_benefit(average_salary=50_000_000, contribution_months=50,
                                  region="I", termination=date(2026, 3, 15))
    # 60% x 50,000,000 = 30,000,000 > 5 x 5,310,000 = 26,550,000
    assert result.monthly_benefit == 26_550_000
    # 50 months: 3 + (50 - 36) // 12 = 4 months
    assert result.duration_months == 4


def test_unemployment_below_the_cap_is_60_percent() -> None:
    result = unemployment_benefit(average_salary=10_000_000, contribution_months=30,
                                  region="II", termination=date(2025, 10, 1))
    assert result.monthly_benefit == 6_000_000 and result.duration_months == 3


def test_unemployment_duration_stops_at_12_months() -> None:
    result = unemployment_benefit(average_salary=10_000_000, contribution_months=400,
                                  region="II", termination=date(2026, 1, 1))
    assert result.duration_months == 12


def test_unemployment_with_11_months_is_refused() -> None:
    with pytest.raises(ValidationError, match="at least 12 months"):
        unemployment_benefit(average_salary=10_000_000, contribution_months=11, region="I",
                             termination=date(2026, 1, 1))


def test_unemployment_before_the_tables_names_the_termination_field() -> None:
    with pytest.raises(ValidationError) as caught:
        unemployment_benefit(average_salary=10_000_000, contribution_months=20, region="I",
                             termination=date(2019, 5, 1))
    assert caught.value.problems[0].field == "termination"


def test_late_interest_for_30_days() -> None:
    result = late_interest(amount=100_000_000, days_late=30, on=JAN_2026)
    # 100,000,000 x 0.03% x 30 = 900,000
    assert result.interest == 900_000 and not result.evasion


def test_day_61_is_the_first_day_of_evasion() -> None:
    assert not late_interest(amount=1_000_000, days_late=60, on=JAN_2026).evasion
    assert late_interest(amount=1_000_000, days_late=61, on=JAN_2026).evasion


def test_sickness_pay_stops_at_the_si_basis_cap() -> None:
    """No contribution is paid above 20 x the reference level, so no benefit is either:
    100,000,000 counts as 46,800,000 in 2026-06 -> 46,800,000 x 75% / 24 = 1,462,500 a day;
    as 50,600,000 from 2026-07 (the base salary 2,530,000 of Decree 161/2026/ND-CP Art 3(2))
    -> 50,600,000 x 75% / 24 = 1,581,250."""
    for month, cap, daily in ((Period(2026, 6), 46_800_000, 1_462_500),
                              (Period(2026, 11), 50_600_000, 1_581_250)):
        capped = sickness_benefit(salary=100_000_000, days=Decimal(1), years_contributed=5,
                                  on=month)
        at_cap = sickness_benefit(salary=cap, days=Decimal(1), years_contributed=5, on=month)
        assert capped.amount == at_cap.amount == daily


def test_late_interest_on_a_large_employers_month_is_computed() -> None:
    """One unit's month can owe far more than any one salary's sanity bound (10 billion)."""
    result = late_interest(amount=320_000_000_000, days_late=10, on=JAN_2026)
    assert result.interest == 960_000_000  # 0.03% a day x 10 days
    with pytest.raises(ValidationError, match="amount"):
        late_interest(amount=10**15 + 1, days_late=10, on=JAN_2026)
