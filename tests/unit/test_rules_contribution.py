"""Monthly dues: worked examples and properties of the split and the caps."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sibook.core.errors import ValidationError
from sibook.core.period import Period
from sibook.rules import compulsory_dues, household_hi_dues, self_chosen_dues, voluntary_dues

JAN_2026 = Period(2026, 1)


def test_employee_on_10_million_in_region_i() -> None:
    dues = compulsory_dues(month=JAN_2026, salary=10_000_000, region="I")
    # employee: 10,000,000 x 8% = 800,000; x 1.5% = 150,000; x 1% = 100,000 -> 1,050,000
    assert dues.employee.retirement_survivorship == 800_000
    assert dues.employee.health == 150_000
    assert dues.employee.total == 1_050_000
    # employer: 14% 1,400,000 + 3% 300,000 + 0.5% 50,000 + 3% 300,000 + 1% 100,000 = 2,150,000
    assert dues.employer.total == 2_150_000
    assert dues.total == 3_200_000


def test_si_basis_is_capped_at_20_reference_levels_and_ui_at_20_regional_minimums() -> None:
    dues = compulsory_dues(month=JAN_2026, salary=120_000_000, region="I")
    # SI cap 20 x 2,340,000 = 46,800,000 -> employee 8% = 3,744,000
    assert dues.employee.retirement_survivorship == 3_744_000
    # UI cap 20 x 5,310,000 = 106,200,000 -> 1% = 1,062,000
    assert dues.employee.unemployment == 1_062_000


def test_foreign_employee_pays_no_ui() -> None:
    dues = compulsory_dues(month=JAN_2026, salary=20_000_000, region="II", kind="foreign")
    # 20,000,000 x (8% + 1.5%) = 1,900,000
    assert dues.employee.unemployment == 0 and dues.employee.total == 1_900_000


def test_reduced_oa_rate() -> None:
    dues = compulsory_dues(month=JAN_2026, salary=10_000_000, region="I", oa_rate="reduced")
    assert dues.employer.occupational == 30_000  # 10,000,000 x 0.3%


def test_covid_relief_month_has_no_employer_ui() -> None:
    dues = compulsory_dues(month=Period(2022, 1), salary=10_000_000, region="I")
    assert dues.employer.unemployment == 0 and dues.employer.occupational == 0


def test_salary_below_regional_minimum_is_refused_naming_it() -> None:
    with pytest.raises(ValidationError, match="4,730,000 for region II in 2026-01"):
        compulsory_dues(month=JAN_2026, salary=4_000_000, region="II")


def test_negative_salary_is_refused() -> None:
    with pytest.raises(ValidationError) as caught:
        compulsory_dues(month=JAN_2026, salary=-5, region="I")
    assert caught.value.problems[0].field == "salary"


def test_odd_salary_rounds_each_payer_once() -> None:
    dues = compulsory_dues(month=JAN_2026, salary=5_310_033, region="I")
    # employee exact 10.5% x 5,310,033 = 557,553.465 -> 557,553
    assert dues.employee.total == 557_553
    # employer exact 21.5% x 5,310,033 = 1,141,657.095 -> 1,141,657
    assert dues.employer.total == 1_141_657


def test_voluntary_poor_household_gets_half_of_22_percent_of_poverty_line() -> None:
    dues = voluntary_dues(month=JAN_2026, salary=1_500_000, support="poor")
    # 22% x 1,500,000 = 330,000; support 50% x 22% x 1,500,000 = 165,000
    assert dues.total == 330_000
    assert dues.state_support == 165_000
    assert dues.employee.total == 165_000


def test_voluntary_support_stops_after_120_months() -> None:
    dues = voluntary_dues(month=JAN_2026, salary=3_000_000, support="other", months_supported=120)
    assert dues.state_support == 0 and dues.employee.total == 660_000  # 22% x 3,000,000


def test_voluntary_income_below_the_rural_poverty_line_is_refused() -> None:
    with pytest.raises(ValidationError, match="1,500,000"):
        voluntary_dues(month=JAN_2026, salary=1_000_000)


def test_voluntary_income_above_the_cap_is_refused() -> None:
    with pytest.raises(ValidationError, match="46,800,000"):
        voluntary_dues(month=JAN_2026, salary=50_000_000)


def test_self_chosen_basis_pays_25_percent() -> None:
    dues = self_chosen_dues(month=JAN_2026, salary=10_000_000)
    assert dues.employee.total == 2_500_000  # (22% + 3%) x 10,000,000


def test_household_hi_second_member_pays_70_percent() -> None:
    # 4.5% x 2,340,000 = 105,300; x 70% = 73,710
    assert household_hi_dues(month=JAN_2026, member=2).amount == 73_710


def test_household_hi_sixth_member_pays_like_the_fifth() -> None:
    # 105,300 x 40% = 42,120
    assert household_hi_dues(month=JAN_2026, member=6).amount == 42_120


def test_explanation_names_the_rows_used() -> None:
    dues = compulsory_dues(month=JAN_2026, salary=10_000_000, region="I")
    assert "Decree 293/2025/ND-CP Art 3" in dues.explanation.sources
    assert any("retirement_survivorship" in step for step in dues.explanation.steps)


salaries = st.integers(min_value=5_310_000, max_value=200_000_000)


@settings(max_examples=200)
@given(salaries, salaries)
def test_dues_are_monotone_in_salary(a: int, b: int) -> None:
    low, high = sorted((a, b))
    d_low = compulsory_dues(month=JAN_2026, salary=low, region="I")
    d_high = compulsory_dues(month=JAN_2026, salary=high, region="I")
    assert d_low.employee.total <= d_high.employee.total
    assert d_low.employer.total <= d_high.employer.total
    assert d_low.total <= d_high.total


@settings(max_examples=100)
@given(st.integers(min_value=106_200_000, max_value=5_000_000_000))
def test_dues_are_flat_above_both_caps(salary: int) -> None:
    at_cap = compulsory_dues(month=JAN_2026, salary=106_200_000, region="I")
    above = compulsory_dues(month=JAN_2026, salary=salary, region="I")
    assert above.employer == at_cap.employer and above.employee == at_cap.employee


@settings(max_examples=200)
@given(salaries, st.sampled_from(["I", "II", "III", "IV"]), st.booleans())
def test_parts_add_up_to_the_total(salary: int, region: str, foreign: bool) -> None:
    dues = compulsory_dues(month=JAN_2026, salary=salary, region=region,
                           kind="foreign" if foreign else "compulsory")
    assert dues.employer.total + dues.employee.total + dues.state_support == dues.total
    assert sum(dues.employee.as_dict()[f] for f in dues.by_fund()) == dues.employee.total


@settings(max_examples=200)
@given(st.integers(min_value=1_500_000, max_value=46_800_000),
       st.sampled_from(["poor", "near_poor", "ethnic_minority", "island", "other"]))
def test_voluntary_parts_add_up_to_the_total(salary: int, group: str) -> None:
    dues = voluntary_dues(month=JAN_2026, salary=salary, support=group)
    assert dues.employer.total + dues.employee.total + dues.state_support == dues.total
    assert dues.employee.total >= 0
