"""Pension rate, amount, extra lump sum and average salary: worked examples and properties."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sibook.core.errors import ValidationError
from sibook.core.period import Period
from sibook.rules import average_salary, pension
from sibook.rules.pension import early_retirement, years_above_full_rate

JAN_2026 = Period(2026, 1)


def test_woman_with_15_years_gets_45_percent() -> None:
    assert pension(sex="female", contribution_months=180, on=JAN_2026).rate_percent == 45


def test_man_with_18_years_gets_43_percent() -> None:
    # 40% at 15 years + 1% x 3 years = 43%
    assert pension(sex="male", contribution_months=18 * 12, on=JAN_2026).rate_percent == 43


def test_man_with_20_years_and_7_odd_months_gets_47_percent() -> None:
    # 7 odd months count as a year: 21 years -> 45% + 2% x 1 = 47%
    assert pension(sex="male", contribution_months=247, on=JAN_2026).rate_percent == 47


def test_woman_with_15_years_3_months_gets_46_percent() -> None:
    # 3 odd months count as half a year: 45% + 2% x 0.5 = 46%
    assert pension(sex="female", contribution_months=183, on=JAN_2026).rate_percent == 46


def test_rate_stops_at_75_percent() -> None:
    assert pension(sex="male", contribution_months=40 * 12, on=JAN_2026).rate_percent == 75


def test_early_retirement_of_18_months_cuts_3_points() -> None:
    # 1 year early -2%, 6 odd months -1%: 55% - 3% = 52%
    result = pension(sex="female", contribution_months=20 * 12, months_early=18, on=JAN_2026)
    assert result.rate_percent == 52


def test_five_months_early_is_not_cut() -> None:
    result = pension(sex="female", contribution_months=20 * 12, months_early=5, on=JAN_2026)
    assert result.rate_percent == 55


def test_amount_and_extra_lump_sum_for_a_woman_with_32_and_a_half_years() -> None:
    result = pension(sex="female", contribution_months=32 * 12 + 3, on=JAN_2026,
                     average_salary=10_000_000)
    # rate 75%: 10,000,000 x 75% = 7,500,000; extra 2.5 years above 30 x 0.5 x 10,000,000
    assert result.monthly_pension == 7_500_000
    assert result.extra_lump_sum == 12_500_000


def test_years_above_the_maximum_paid_past_retirement_age_earn_2_averages_each() -> None:
    """Law 41/2024 Art 68(2): 33 years, 2 of them after the retirement age; by the age 31
    years counted, 1 above 30 at 0.5, and the 2 after it at 2 each."""
    result = pension(sex="female", contribution_months=33 * 12, on=JAN_2026,
                     average_salary=10_000_000, months_past_retirement_age=24)
    assert result.extra_lump_sum == 5_000_000 + 40_000_000
    assert pension(sex="female", contribution_months=33 * 12, on=JAN_2026,
                   average_salary=10_000_000).extra_lump_sum == 15_000_000  # 3 x 0.5
    assert any("Art 68(2)" in row.source for row in result.explanation.rows)


def test_years_past_retirement_age_below_the_maximum_earn_no_extra() -> None:
    """A man with 30 years, 5 of them after his age: no year above the 35 of the maximum
    rate, so no extra lump sum at all."""
    assert pension(sex="male", contribution_months=360, on=JAN_2026, average_salary=10_000_000,
                   months_past_retirement_age=60).extra_lump_sum == 0


def test_months_past_retirement_age_are_some_of_the_months_and_not_early() -> None:
    with pytest.raises(ValidationError, match="months_past_retirement_age"):
        pension(sex="male", contribution_months=240, on=JAN_2026, months_past_retirement_age=241)
    with pytest.raises(ValidationError, match="starts early"):
        pension(sex="male", contribution_months=240, on=JAN_2026, months_early=12,
                months_past_retirement_age=12)


@pytest.mark.parametrize("months", [180, 227, 239])
def test_a_man_under_20_years_is_told_the_35_years_of_the_maximum_rate(months: int) -> None:
    """Law 41/2024 Art 68: the extra lump sum is for the years above those that give 75%, 35
    for a man whatever his band; his 15 to under 20 years' band tops out at 45% at 20 years,
    which the explanation (and a settlement's refusal) named as the maximum rate's."""
    result = pension(sex="male", contribution_months=months, on=JAN_2026,
                     average_salary=10_000_000)
    assert result.extra_lump_sum == 0
    assert any(step.endswith("years above 35 = 0") for step in result.explanation.steps)
    assert years_above_full_rate(sex="male", contribution_months=months, on=JAN_2026) == (0, 35)


def test_without_average_salary_amounts_are_none() -> None:
    result = pension(sex="male", contribution_months=300, on=JAN_2026)
    assert result.monthly_pension is None and result.extra_lump_sum is None


def test_fewer_than_15_years_is_refused_naming_the_minimum() -> None:
    with pytest.raises(ValidationError, match="180 months"):
        pension(sex="female", contribution_months=170, on=JAN_2026)


def test_unknown_sex_is_refused() -> None:
    with pytest.raises(ValidationError, match="valid: male, female"):
        pension(sex="x", contribution_months=200, on=JAN_2026)


def test_more_than_10_years_early_is_refused() -> None:
    with pytest.raises(ValidationError, match="months_early: must be between 0 and 120"):
        pension(sex="male", contribution_months=300, months_early=121, on=JAN_2026)


def test_average_salary_revalues_each_year() -> None:
    history = [(Period(2023, m), 5_000_000) for m in range(1, 13)]
    result = average_salary(history=history, started=2023, settlement=Period(2025, 8))
    # 5,000,000 x 1.04 (2023 coefficient, settled in 2025) = 5,200,000
    assert result.average == 5_200_000


def test_state_scale_salaries_are_averaged_over_the_window_for_the_start_year() -> None:
    history = [(Period(1990 + i // 12, i % 12 + 1), 1_000_000) for i in range(12 * 30)]
    result = average_salary(history=(), state_history=history, started=1990,
                            settlement=Period(2025, 8))
    assert result.months_used == 5 * 12  # started before 1995: last 5 years


def test_a_pension_from_2024_is_averaged_by_law_58_and_revalued_by_the_2024_table() -> None:
    """State scale, SI begun in 2010: the last 10 years (Law 58/2014 Art 62(1)(d), in force in
    2024-05);
    2014 salaries x 1.27 (Circular 20/2023, benefits starting in 2024), not 2026's 1.36."""
    history = [(Period(2010 + i // 12, i % 12 + 1), 1_000_000) for i in range(12 * 5)]
    result = average_salary(history=(), state_history=history, started=2010,
                            settlement=Period(2024, 5))
    rows = result.explanation.rows
    assert [r.source for r in rows if r.table == "averaging_windows"] == \
        ["Law 58/2014/QH13 Art 62(1)"]
    assert {r.valid_from for r in rows if r.table == "revaluation"} == {Period(2024, 1)}
    assert result.average == 1_476_000  # (1.83 + 1.54 + 1.41 + 1.33 + 1.27) / 5 x 1,000,000


def test_an_average_for_a_year_without_coefficients_is_refused_naming_the_year() -> None:
    """MoLISA's circular for benefits starting in 2021 is not loaded: no other year's table
    stands in for it."""
    history = [(Period(2020, m), 5_000_000) for m in range(1, 13)]
    with pytest.raises(ValidationError, match="no revaluation coefficients are loaded for "
                                              "benefits starting in 2021"):
        average_salary(history=history, started=2020, settlement=Period(2021, 5))


@given(st.sampled_from(["male", "female"]), st.integers(min_value=180, max_value=12 * 60))
def test_rate_is_within_40_and_75(sex: str, months: int) -> None:
    rate = pension(sex=sex, contribution_months=months, on=JAN_2026).rate_percent
    assert Decimal(40) <= rate <= Decimal(75)


@given(st.sampled_from(["male", "female"]), st.integers(min_value=180, max_value=12 * 60))
def test_rate_is_monotone_in_months(sex: str, months: int) -> None:
    now = pension(sex=sex, contribution_months=months, on=JAN_2026).rate_percent
    later = pension(sex=sex, contribution_months=months + 1, on=JAN_2026).rate_percent
    assert now <= later


def test_early_retirement_needs_20_years_of_si() -> None:
    """Law 41/2024 Art 65(1): reduced working capacity allows early retirement with 20 years of
    SI (FACTS §4.1)."""
    with pytest.raises(ValidationError, match="needs 20 years of SI"):
        pension(sex="male", contribution_months=239, months_early=12, on=Period(2026, 11))
    assert pension(sex="male", contribution_months=240, months_early=12,
                   on=Period(2026, 11)).rate_percent == 43  # 45% at 20 years - 2%


def test_an_especially_hazardous_job_needs_20_years_of_si_too() -> None:
    """Art 65(1)(c) asks 15 years in the especially hazardous job on top of the 20 years of SI
    all of Art 65(1) asks: 15 years of SI allow no early pension."""
    with pytest.raises(ValidationError, match="needs 20 years of SI, also from an especially "
                                              "hazardous job"):
        pension(sex="male", contribution_months=180, months_early=12, on=Period(2026, 11))
    assert early_retirement(capacity_loss_percent=61, hazardous_years=15,
                            on=Period(2026, 11)).min_years == 20


@pytest.mark.parametrize(("loss", "hazardous_years", "months"), [
    (60, 20, 0),  # under 61%: no early pension whatever the job
    (61, 0, 60),  # 61% to under 81%: up to 5 years early (Law 41/2024 Art 65(1)(a))
    (80, 14, 60),
    (81, 0, 120),  # 81% or more: up to 10 years (Art 65(1)(b))
    (61, 15, 120),  # 15 years in especially hazardous jobs with 61% (Art 65(1)(c))
])
def test_a_loss_of_working_capacity_allows_a_pension_so_many_months_early(
        loss: int, hazardous_years: int, months: int) -> None:
    allowed = early_retirement(capacity_loss_percent=loss, hazardous_years=hazardous_years,
                               on=JAN_2026)
    assert (allowed.months, allowed.min_years) == (months, 20)
