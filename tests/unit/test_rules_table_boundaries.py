"""The rules on both sides of each table change, as an outside checker computes them by hand
from FACTS.md (§3.2-3.4 caps, minimums and voluntary support; §3.7 late interest; §4.1 odd
months; §4.2 lump sum; §4.6 unemployment). Each test names the month before and the month of
the change, so a row's ``valid_from``/``valid_to`` one month off fails here."""

from __future__ import annotations

from datetime import date

import pytest

from sibook.core.period import Period
from sibook.rules import (
    compulsory_dues,
    late_interest,
    one_time_withdrawal,
    pension,
    unemployment_benefit,
    voluntary_dues,
)

DEC_2025, JAN_2026 = Period(2025, 12), Period(2026, 1)


@pytest.mark.parametrize(("month", "ui_each"), [
    (DEC_2025, 992_000),    # 1% x 20 x region I minimum 4,960,000 (Decree 74/2024)
    (JAN_2026, 1_000_000),  # 20 x 5,310,000 = 106,200,000 > salary: 1% x 100,000,000
])
def test_ui_cap_follows_the_regional_minimum_of_the_month(month: Period, ui_each: int) -> None:
    dues = compulsory_dues(month=month, salary=100_000_000, region="I")
    assert dues.employer.unemployment == ui_each
    assert dues.employee.unemployment == ui_each
    assert dues.employee.retirement_survivorship == 3_744_000  # 8% x 46,800,000


def test_region_iv_ui_cap_in_2026_is_20_times_3_700_000() -> None:
    dues = compulsory_dues(month=JAN_2026, salary=120_000_000, region="IV")
    assert (dues.employer.total, dues.employee.total) == (10_334_000, 5_186_000)


@pytest.mark.parametrize(("month", "cap"), [(Period(2024, 6), 36_000_000),
                                            (Period(2024, 7), 46_800_000)])
def test_si_cap_follows_the_base_salary_change_of_july_2024(month: Period, cap: int) -> None:
    """Base salary 1,800,000 (Decree 24/2023) then 2,340,000 (Decree 73/2024): cap = 20 x."""
    dues = compulsory_dues(month=month, salary=60_000_000, region="I")
    assert dues.employer.retirement_survivorship == cap * 14 // 100


@pytest.mark.parametrize(("month", "support"), [
    (Period(2025, 6), 82_500),   # Decree 134/2015 Art 14: near-poor 25% of 22% x 1,500,000
    (Period(2025, 7), 132_000),  # Decree 159/2025 (FACTS §3.4): near-poor 40%
])
def test_voluntary_support_changes_with_the_2024_law(month: Period, support: int) -> None:
    dues = voluntary_dues(month=month, salary=5_000_000, support="near_poor")
    assert dues.state_support == support
    assert dues.employee.total == 1_100_000 - support
    assert dues.total == 1_100_000


@pytest.mark.parametrize(("termination", "benefit"), [
    (date(2025, 12, 31), 24_800_000),  # 5 x region I minimum 4,960,000
    (date(2026, 1, 1), 26_550_000),    # 5 x 5,310,000 (Decree 293/2025)
])
def test_unemployment_cap_is_the_minimum_in_force_at_termination(termination: date,
                                                                 benefit: int) -> None:
    result = unemployment_benefit(average_salary=200_000_000, contribution_months=36,
                                  region="I", termination=termination)
    assert (result.monthly_benefit, result.duration_months) == (benefit, 3)


@pytest.mark.parametrize(("months", "duration"), [(12, 3), (36, 3), (47, 3), (48, 4),
                                                  (143, 11), (144, 12), (200, 12)])
def test_unemployment_duration_steps(months: int, duration: int) -> None:
    result = unemployment_benefit(average_salary=10_000_000, contribution_months=months,
                                  region="II", termination=date(2026, 3, 1))
    assert result.duration_months == duration


@pytest.mark.parametrize(("months", "rate"), [(228, 44), (234, 44.5), (235, 45), (240, 45)])
def test_man_between_15_and_20_years_gains_1_point_a_year_odd_months_halved(
        months: int, rate: float) -> None:
    """Art 66(2) with Art 5(6): 19y6m counts 19.5 years, 19y7m counts 20."""
    assert float(pension(sex="male", contribution_months=months, on=JAN_2026).rate_percent) == rate


def test_lump_sum_odd_pre_2014_months_move_forward_and_count_half_a_year() -> None:
    """18 months before 2014: 1 year at 1.5, the 6 odd months move on and count 0.5 x 2."""
    result = one_time_withdrawal(months_before_2014=18, months_from_2014=0,
                                 average_salary=10_000_000, on=JAN_2026)
    assert result.amount == 25_000_000


@pytest.mark.parametrize(("days", "interest", "evasion"), [(60, 180_000, False),
                                                           (61, 183_000, True)])
def test_late_interest_on_days_60_and_61(days: int, interest: int, evasion: bool) -> None:
    result = late_interest(amount=10_000_000, days_late=days, on=JAN_2026)
    assert (result.interest, result.evasion) == (interest, evasion)
